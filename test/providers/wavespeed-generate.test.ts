import { startFakeWavespeed, type FakeWavespeed } from '../support/wavespeed-server.js';
import { e2eSuite } from './aggregator-e2e.js';

const KEY = 'ws-live-key-0123456789';

e2eSuite({
  provider: 'wavespeed',
  start: () => startFakeWavespeed({ apiKey: KEY, taskMs: 1200 }),
  keys: (fake) => ({ wavespeedApiKey: KEY, wavespeedBaseUrl: fake.url }),
  created: (fake, part) => (fake as FakeWavespeed).submits.find((s) => String(s.body.prompt ?? '').includes(part)),
  imageOf: (body) => body.image,
  statusEndpoint: 'result',
});

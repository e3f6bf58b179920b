import { startFakeWavespeed, WS_FAULTS, type FakeWavespeed } from '../support/wavespeed-server.js';
import { e2eSuite } from './aggregator-e2e.js';

const KEY = 'ws-live-key-0123456789';

e2eSuite({
  provider: 'wavespeed',
  start: () => startFakeWavespeed({ apiKey: KEY, taskMs: 1200 }),
  keys: (fake) => ({ wavespeedApiKey: KEY, wavespeedBaseUrl: fake.url }),
  created: (fake, part) => (fake as FakeWavespeed).submits.find((s) => String(s.body.prompt ?? '').includes(part)),
  imageOf: (body) => body.image,
  statusEndpoint: 'result',
  submitEndpoint: 'submit',
  faults: WS_FAULTS,
  moderation: { code: 1200, error: 'Content Moderation: the input was flagged' },
});

import { FAL_CONTENT_POLICY, FAL_FAULTS, startFakeFal, type FakeFal } from '../support/fal-server.js';
import { e2eSuite } from './aggregator-e2e.js';

const KEY = 'fal-live-id:fal-live-secret';

e2eSuite({
  provider: 'fal',
  start: () => startFakeFal({ apiKey: KEY, taskMs: 1200 }),
  keys: (fake) => ({ falKey: KEY, falBaseUrl: fake.url, falJwksUrl: `${fake.url}/.well-known/jwks.json` }),
  created: (fake, part) => (fake as FakeFal).submits.find((s) => String(s.body.prompt ?? '').includes(part)),
  imageOf: (body) => body.image_url,
  statusEndpoint: 'status',
  submitEndpoint: 'submit',
  faults: FAL_FAULTS,
  moderation: FAL_CONTENT_POLICY,
});

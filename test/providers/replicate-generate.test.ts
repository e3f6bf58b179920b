import { REPLICATE_FAULTS, REPLICATE_FLAGGED, startFakeReplicate, type FakeReplicate } from '../support/replicate-server.js';
import { e2eSuite } from './aggregator-e2e.js';

const KEY = 'r8_live_0123456789abcdef';

e2eSuite({
  provider: 'replicate',
  start: () => startFakeReplicate({ apiKey: KEY, taskMs: 1200 }),
  keys: (fake) => ({ replicateApiToken: KEY, replicateBaseUrl: `${fake.url}/v1` }),
  created: (fake, part) => (fake as FakeReplicate).creates.find((c) => String((c.body.input as Record<string, unknown>).prompt ?? '').includes(part)),
  imageOf: (body) => (body.input as Record<string, unknown>).first_frame_image,
  statusEndpoint: 'get',
  submitEndpoint: 'create',
  faults: REPLICATE_FAULTS,
  moderation: REPLICATE_FLAGGED,
});

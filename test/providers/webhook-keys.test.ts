/**
 * Forged webhooks must not cost an upstream call each. The signing key was fetched once per
 * forged webhook while the upstream's key endpoint failed (nothing was cached, so every check
 * fetched again), and once per webhook of a burst that arrived before the first fetch returned.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FalProvider, FAL_COSTS, ReplicateProvider, REPLICATE_COSTS, WavespeedProvider, WAVESPEED_COSTS, type RemoteProvider } from '../../src/providers/index.js';
import { startFakeWavespeed, WS_FAULTS } from '../support/wavespeed-server.js';
import { startFakeFal, FAL_FAULTS } from '../support/fal-server.js';
import { startFakeReplicate, REPLICATE_FAULTS } from '../support/replicate-server.js';
import type { Fault } from '../support/fake-upstream.js';
import { adapterEnv, type AdapterEnv } from './aggregator-helpers.js';

interface Fake {
  url: string;
  count(endpoint: string): number;
  inject(endpoint: string, fault: Fault, times?: number): void;
  stop(): Promise<void>;
}

let env: AdapterEnv;
const fakes: Fake[] = [];
before(async () => {
  env = await adapterEnv('webhook-keys');
});
after(async () => {
  for (const f of fakes) await f.stop();
  await env.close();
});

const now = (): string => String(Math.floor(Date.now() / 1000));
const CASES = [
  {
    name: 'WaveSpeed',
    keyEndpoint: 'secret',
    async make(): Promise<{ fake: Fake; p: RemoteProvider; fault: Fault }> {
      const fake = await startFakeWavespeed({ apiKey: 'ws-key-0123456789', taskMs: 600 });
      return { fake, p: new WavespeedProvider(env.options(fake.url, 'ws-key-0123456789', WAVESPEED_COSTS.table)), fault: WS_FAULTS.serverError };
    },
    forged: () => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': now(), 'webhook-signature': `v3,${'ab'.repeat(32)}` }),
  },
  {
    name: 'Replicate',
    keyEndpoint: 'secret',
    async make(): Promise<{ fake: Fake; p: RemoteProvider; fault: Fault }> {
      const fake = await startFakeReplicate({ apiKey: 'r8_key_0123456789', taskMs: 600 });
      return { fake, p: new ReplicateProvider(env.options(`${fake.url}/v1`, 'r8_key_0123456789', REPLICATE_COSTS.table)), fault: REPLICATE_FAULTS.serverError };
    },
    forged: () => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': now(), 'webhook-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}` }),
  },
  {
    name: 'fal',
    keyEndpoint: 'jwks',
    async make(): Promise<{ fake: Fake; p: RemoteProvider; fault: Fault }> {
      const fake = await startFakeFal({ apiKey: 'fal-id:fal-secret-0123', taskMs: 600 });
      const p = new FalProvider({ ...env.options(fake.url, 'fal-id:fal-secret-0123', FAL_COSTS.table), jwksUrl: `${fake.url}/.well-known/jwks.json` });
      return { fake, p, fault: FAL_FAULTS.serverError };
    },
    forged: () => ({ 'x-fal-webhook-request-id': 'r1', 'x-fal-webhook-user-id': 'u1', 'x-fal-webhook-timestamp': now(), 'x-fal-webhook-signature': 'ab'.repeat(64) }),
  },
] as const;

for (const c of CASES) {
  test(`${c.name}: a burst of 20 forged webhooks fetches the signing key once`, async () => {
    const { fake, p } = await c.make();
    fakes.push(fake);
    const results = await Promise.all(Array.from({ length: 20 }, () => p.verifyCallback!('{"id":"x"}', c.forged())));
    assert.ok(results.every((ok) => !ok));
    assert.equal(fake.count(c.keyEndpoint), 1);
  });

  test(`${c.name}: while the key endpoint fails, 10 forged webhooks fetch it once, not 10 times`, async () => {
    const { fake, p, fault } = await c.make();
    fakes.push(fake);
    fake.inject(c.keyEndpoint, fault, 100);
    for (let i = 0; i < 10; i++) assert.equal(await p.verifyCallback!('{"id":"x"}', c.forged()), false);
    assert.equal(fake.count(c.keyEndpoint), 1);
  });
}

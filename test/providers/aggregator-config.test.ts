import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { loadPriceBook, loadUpstreamCosts } from '../../src/catalog/index.js';
import { createAggregators, createMinimax, ProviderBudget, ProviderError, ProviderHealth, ProviderRegistry, WavespeedProvider, WAVESPEED_COSTS } from '../../src/providers/index.js';
import { startFakeWavespeed, type FakeWavespeed } from '../support/wavespeed-server.js';
import { adapterEnv, job, rejection, signal, type AdapterEnv } from './aggregator-helpers.js';

let env: AdapterEnv;
let fake: FakeWavespeed;
before(async () => {
  env = await adapterEnv('agg-config');
  fake = await startFakeWavespeed({ apiKey: 'k' });
});
after(async () => {
  await fake.stop();
  await env.close();
});

test('config by key alone: each variable names its provider, base URLs are overridable, budgets and model ids are JSON', () => {
  const c = loadConfig({
    WAVESPEED_API_KEY: 'ws',
    WAVESPEED_BASE_URL: 'http://ws.local',
    FAL_KEY: 'fal',
    FAL_QUEUE_URL: 'http://fal.local',
    FAL_JWKS_URL: 'http://fal.local/jwks.json',
    REPLICATE_API_TOKEN: 'r8',
    REPLICATE_BASE_URL: 'http://rep.local/v1',
    REELAY_PROVIDER_BUDGETS: '{"wavespeed":{"submitsPerWindow":60}}',
    REELAY_UPSTREAM_MODEL_IDS: '{"replicate":{"fast-768p":"minimax/hailuo-2.3-fast"}}',
  });
  assert.deepEqual(
    [c.wavespeedApiKey, c.wavespeedBaseUrl, c.falKey, c.falBaseUrl, c.falJwksUrl, c.replicateApiToken, c.replicateBaseUrl],
    ['ws', 'http://ws.local', 'fal', 'http://fal.local', 'http://fal.local/jwks.json', 'r8', 'http://rep.local/v1'],
  );
  assert.equal(c.providerBudgets.wavespeed?.submitsPerWindow, 60);
  assert.equal(c.upstreamModelIds.replicate?.['fast-768p'], 'minimax/hailuo-2.3-fast');
  const d = loadConfig({});
  assert.deepEqual([d.wavespeedBaseUrl, d.falBaseUrl, d.replicateBaseUrl], ['https://api.wavespeed.ai', 'https://queue.fal.run', 'https://api.replicate.com/v1']);
  assert.throws(() => loadConfig({ REELAY_UPSTREAM_MODEL_IDS: '{"fal":{"t2v-720p":"x"}}' }), /upstreamModelIds/);
});

test('only the configured aggregators are built; with one key set, pick() sends live jobs to it', () => {
  for (const [keys, name] of [
    [{ wavespeedApiKey: 'k' }, 'wavespeed'],
    [{ falKey: 'k' }, 'fal'],
    [{ replicateApiToken: 'k' }, 'replicate'],
  ] as const) {
    const config = loadConfig({}, keys);
    const built = createAggregators(config, { db: env.db, blobs: env.blobs, log: pino({ level: 'silent' }), callbackUrl: () => null, imageUrl: () => null });
    assert.deepEqual(built.map((p) => p.name), [name]);
    assert.equal(createMinimax(config, { db: env.db, blobs: env.blobs, log: pino({ level: 'silent' }), callbackUrl: null }), null);
    const reg = new ProviderRegistry(new ProviderHealth(null, 1000));
    for (const p of built) reg.register(p);
    reg.route('hailuo-2.3', built.map((p) => p.name));
    assert.equal(reg.pick('hailuo-2.3', 'live'), name);
    assert.equal(reg.pick('hailuo-2.3', 'test'), 'sandbox');
  }
});

test('the price book file carries upstreamCosts: credits still load, each provider\'s table takes the overrides, a typo fails loudly', async () => {
  const file = join(env.dir, 'prices.json');
  await writeFile(file, JSON.stringify({ 'hailuo-2.3': { '768p-6s': 50 }, upstreamCosts: { wavespeed: { 't2v-768p-6s': 0.25 }, replicate: { 't2v-768p-6s': 0.3 } } }));
  assert.equal(loadPriceBook(file)['hailuo-2.3']!['768p-6s'], 50);
  assert.deepEqual(loadUpstreamCosts(file).wavespeed, { 't2v-768p-6s': 0.25 });
  const config = loadConfig({}, { wavespeedApiKey: 'k', replicateApiToken: 'k', priceBookFile: file });
  const [ws, rep] = createAggregators(config, { db: env.db, blobs: env.blobs, log: pino({ level: 'silent' }), callbackUrl: () => null, imageUrl: () => null });
  assert.equal(ws!.costUsd('hailuo-2.3', '768p', 6, false), 0.25);
  assert.equal(ws!.costUsd('hailuo-2.3', '768p', 6, true), 0.28, 'the other defaults stay');
  assert.equal(rep!.costUsd('hailuo-2.3', '768p', 6, false), 0.3);
  await writeFile(file, JSON.stringify({ upstreamCosts: { fal: { 't2v-768-6s': 0.2 } } }));
  assert.throws(() => createAggregators(loadConfig({}, { falKey: 'k', priceBookFile: file }), { db: env.db, blobs: env.blobs, log: pino({ level: 'silent' }), callbackUrl: () => null, imageUrl: () => null }), /unknown variant "t2v-768-6s"/);
  assert.equal(WAVESPEED_COSTS.source.length > 0, true);
});

test('the per-provider call budget applies: past it, a submit is deferred without reaching the upstream', async () => {
  const budget = new ProviderBudget(env.db, 'wavespeed-budget', { windowMs: 60_000, perWindow: { submit: 1, status: 10 }, maxConcurrent: 2, callTtlMs: 10_000 });
  const ws = new WavespeedProvider({ ...env.options(fake.url, 'k', WAVESPEED_COSTS.table), budget });
  await ws.submit(job({ prompt: 'one' }), signal());
  const before = fake.count('submit');
  const e = await rejection<ProviderError>(() => ws.submit(job({ prompt: 'two' }), signal()));
  assert.equal(e.opts.deferred, true);
  assert.ok((e.opts.retryAfterMs ?? 0) > 0);
  assert.equal(fake.count('submit'), before, 'nothing was sent');
});

/**
 * Routes as tiers with weights: the first tier with a usable provider serves, weights share its
 * traffic, equal weights prefer the provider with the better success rate in the last hour, and
 * failover skips providers that already refused the job. Health is measured from provider_events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderHealth, ProviderRegistry, parseRoute, providerStats, recordProviderEvent, type RemoteProvider } from '../../src/providers/index.js';
import { openDb, migrate, type Db } from '../../src/db/index.js';
import { dropSchema, testSchemaName } from '../support/reelay.js';

function stub(name: string): RemoteProvider {
  return {
    kind: 'remote',
    name,
    submit: async () => ({ taskId: '1' }),
    poll: async () => ({ state: 'running' }),
    download: async () => Readable.from([]),
    nextPollDelayMs: () => 1000,
    costUsd: () => null,
  };
}

/** A deterministic sequence for Math.random's place. */
function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-routing-'));
  const schema = process.env.DATABASE_URL ? testSchemaName() : undefined;
  const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: dir, schema });
  try {
    await migrate(db);
    await fn(db);
  } finally {
    await db.close();
    if (schema) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  }
}

test('parseRoute: names, weights and tiers; a bad weight is refused', () => {
  assert.deepEqual(parseRoute(['minimax', ['fal:2', 'replicate']]), [
    [{ name: 'minimax', weight: 1 }],
    [
      { name: 'fal', weight: 2 },
      { name: 'replicate', weight: 1 },
    ],
  ]);
  assert.throws(() => parseRoute(['fal:0']), /weight/);
});

test('weights share a tier’s traffic; a resting provider gives its share to the others; failover skips what was tried', async () => {
  const health = new ProviderHealth(null, 60_000);
  const reg = new ProviderRegistry(health, sequence([0.1, 0.5, 0.7, 0.9])).register(stub('fal')).register(stub('replicate')).register(stub('wavespeed'));
  reg.route('hailuo-2.3', [['fal:3', 'replicate:1'], 'wavespeed']);
  // 3:1 → draws below 0.75 go to fal, above to replicate.
  assert.deepEqual([1, 2, 3, 4].map(() => reg.pick('hailuo-2.3', 'live')), ['fal', 'fal', 'fal', 'replicate']);
  await health.mark('fal', 'upstream_auth: bad key');
  assert.deepEqual([1, 2].map(() => reg.pick('hailuo-2.3', 'live')), ['replicate', 'replicate']);
  assert.equal(reg.fallback('hailuo-2.3', 'replicate'), 'wavespeed', 'next tier when the tier has nothing left');
  assert.equal(reg.fallback('hailuo-2.3', 'replicate', ['wavespeed']), null, 'nothing untried');
  assert.equal(reg.pick('hailuo-2.3', 'test'), 'sandbox');
});

test('equal weights prefer the provider with the better success rate over the last hour (measured from provider_events)', async () => {
  await withDb(async (db) => {
    for (let i = 0; i < 10; i++) {
      await recordProviderEvent(db, { provider: 'fal', model: 'hailuo-2.3', jobId: null, event: 'accepted', ms: 400 + i * 10 });
      await recordProviderEvent(db, { provider: 'fal', model: 'hailuo-2.3', jobId: null, event: i < 4 ? 'failed' : 'succeeded', errorClass: i < 4 ? 'upstream_error' : null, ms: 60_000 });
      await recordProviderEvent(db, { provider: 'replicate', model: 'hailuo-2.3', jobId: null, event: 'accepted', ms: 900 });
      await recordProviderEvent(db, { provider: 'replicate', model: 'hailuo-2.3', jobId: null, event: 'succeeded', ms: 80_000 });
    }
    await recordProviderEvent(db, { provider: 'fal', model: 'hailuo-2.3', jobId: null, event: 'refused', errorClass: 'rate_limited' });
    const health = new ProviderHealth(db, 60_000);
    await health.refresh();
    assert.equal(health.successRate('replicate', 'hailuo-2.3'), 1);
    assert.ok((health.successRate('fal', 'hailuo-2.3') ?? 1) < 0.6);
    const reg = new ProviderRegistry(health, sequence([0, 0.99])).register(stub('fal')).register(stub('replicate'));
    reg.route('hailuo-2.3', [['fal', 'replicate']]);
    assert.deepEqual([1, 2].map(() => reg.pick('hailuo-2.3', 'live')), ['replicate', 'replicate']);

    const stats = await providerStats(db);
    const fal = stats.find((s) => s.provider === 'fal' && s.window === '1h')!;
    assert.equal(fal.accepted, 10);
    assert.equal(fal.submits, 11);
    assert.equal(fal.succeeded, 6);
    assert.equal(fal.failed, 4);
    assert.equal(fal.successRate, Math.round((6 / 11) * 1000) / 1000);
    assert.deepEqual(fal.errors, { upstream_error: 4, rate_limited: 1 });
    assert.ok(fal.acceptMsP50! >= 440 && fal.acceptMsP50! <= 450);
    assert.ok(fal.acceptMsP95! >= 480);
    assert.equal(fal.generationMsP50, 60_000);
    assert.ok(stats.some((s) => s.provider === 'replicate' && s.window === '24h' && s.successRate === 1));
  });
});

/**
 * Shared set-up for the WaveSpeed, fal and Replicate tests: an adapter built directly against its
 * fake (a real database for its budget, real files for inputs), and a real Reelay configured with
 * only that provider's key and base URL, with timings scaled down.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import type { Config } from '../../src/config.js';
import { findModel } from '../../src/catalog/index.js';
import { migrate, openDb, type Db } from '../../src/db/index.js';
import { ProviderBudget, type AggregatorOptions, type CostTable, type ProviderJob, type RemoteProvider, type UpstreamStatus } from '../../src/providers/index.js';
import { LocalBlobStore, type BlobStore } from '../../src/storage/index.js';
import { dropSchema, startReelay, testSchemaName, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';
import { ADMIN } from './minimax-helpers.js';

export interface AdapterEnv {
  db: Db;
  blobs: BlobStore;
  dir: string;
  /** Options for an adapter at `baseUrl`; `o` wins. */
  options(baseUrl: string, apiKey: string, costs: CostTable, o?: Partial<AggregatorOptions>): AggregatorOptions;
  /** A stored 800×600 PNG input, as a job's `image`. */
  image(): Promise<NonNullable<ProviderJob['image']>>;
  close(): Promise<void>;
}

/** A database (PGlite, or a fresh schema on DATABASE_URL) and a blob store for adapter-level tests. */
export async function adapterEnv(name: string): Promise<AdapterEnv> {
  const dir = await mkdtemp(join(tmpdir(), `reelay-${name}-`));
  const schema = process.env.DATABASE_URL ? testSchemaName() : undefined;
  const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: dir, schema });
  await migrate(db);
  const blobs: BlobStore = new LocalBlobStore(join(dir, 'files'));
  let n = 0;
  return {
    db,
    blobs,
    dir,
    options: (baseUrl, apiKey, costs, o = {}) => ({
      apiKey,
      baseUrl,
      timeoutMs: 1500,
      budget: new ProviderBudget(db, `${name}-${++n}`, { windowMs: 60_000, perWindow: { submit: 1000, status: 1000 }, maxConcurrent: 8, callTtlMs: 10_000 }),
      blobs,
      imageUrl: () => null,
      callbackUrl: null,
      typicalMs: () => 1000,
      downloadPolicy: { allowPrivateNetworks: true, allowHttp: true },
      costs,
      log: pino({ level: 'silent' }),
      ...o,
    }),
    async image() {
      const png = await makeImage(join(dir, `frame-${++n}.png`), 800, 600);
      const key = `inputs/frame-${n}.png`;
      await blobs.putStream(key, Readable.from([png]), 'image/png');
      return { key, width: 800, height: 600, mime: 'image/png' };
    },
    async close() {
      await db.close();
      if (schema) await dropSchema(schema);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A canonical job: Hailuo 2.3 t2v 768p 6 s unless `o` says otherwise. */
export function job(o: Partial<Omit<ProviderJob, 'model'>> & { model?: string } = {}): ProviderJob {
  const { model = 'hailuo-2.3', ...rest } = o;
  return {
    jobId: `job-${Math.random().toString(36).slice(2)}`,
    model: findModel(model)!,
    prompt: 'a red fox in snow',
    durationSeconds: 6,
    resolution: '768p',
    promptOptimizer: true,
    fastPretreatment: false,
    image: null,
    ...rest,
  };
}

export const signal = (): AbortSignal => AbortSignal.timeout(20_000);

/** Polls until the task leaves queued/running; returns the final status and every state seen. */
export async function pollToEnd(p: RemoteProvider, taskId: string): Promise<{ status: UpstreamStatus; seen: string[] }> {
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) {
    const s = await p.poll(taskId, signal());
    if (seen.at(-1) !== s.state) seen.push(s.state);
    if (s.state !== 'queued' && s.state !== 'running') return { status: s, seen };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${taskId} never ended`);
}

/** The downloaded bytes. */
export async function bytesOf(stream: Readable): Promise<Buffer> {
  return buffer(stream);
}

/** Runs `fn` and returns the error it throws (failing the test if it does not). */
export async function rejection<T extends Error>(fn: () => Promise<unknown>): Promise<T> {
  try {
    await fn();
  } catch (err) {
    return err as T;
  }
  assert.fail('expected an error');
}

/** Reelay with only `keys` as live providers, scaled for tests; `overrides` win. */
export async function startWith(keys: Partial<Record<keyof Config, unknown>>, overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<TestReelay> {
  return startReelay({
    adminToken: ADMIN,
    allowPrivateUrls: true,
    allowHttpUrls: true,
    modelTimings: { 'hailuo-2.3': { typicalSeconds: 1 }, 'hailuo-2.3-fast': { typicalSeconds: 1 } },
    upstreamPollMinIntervalMs: 200,
    upstreamPollMaxIntervalMs: 1000,
    upstreamTimeoutMs: 2000,
    // A 3 s window: a 429 without Retry-After blocks the bucket for a sixth of it (0.5 s), not 10 s.
    providerBudgets: Object.fromEntries(['wavespeed', 'fal', 'replicate'].map((p) => [p, { submitsPerWindow: 1000, statusCallsPerWindow: 1000, windowMs: 3000 }])),
    providerCooldownSeconds: 2,
    workerIdlePollMs: 100,
    ...keys,
    ...overrides,
  });
}

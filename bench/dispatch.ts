/**
 * Dispatch latency: from a submit's commit to the moment a worker hands the job to its provider,
 * beside graphile-worker's add-to-start latency on the same PostgreSQL.
 *
 * Reelay is measured without touching product code: a purpose-built composition of the real
 * JobService and Worker with one extra provider, `RecordingProvider`, whose `submit` notes the
 * time. The shipped composition (`createReelay`, sandbox engine) is measured as well, from the
 * jobs table: `started_at - created_at` of jobs whose prompt makes the sandbox fail at once.
 *
 * Jobs go in one at a time with 5–25 ms between them, so this is the latency of an idle queue
 * (the wake-up path), not of a backlog.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Logger as GraphileLogger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import { loadConfig } from '../src/config.js';
import { createReelay } from '../src/server.js';
import { migrate, openDb, type Db } from '../src/db/index.js';
import { bootstrapFirstAccount, createApiKey, seedPlans, verifyApiKey } from '../src/billing/index.js';
import { loadPriceBook, MODELS, type ModelSpec } from '../src/catalog/index.js';
import { ProviderError, ProviderHealth, ProviderRegistry, type ProviderJob, type RemoteProvider, type UpstreamStatus } from '../src/providers/index.js';
import { LocalBlobStore } from '../src/storage/index.js';
import { JobService, noJobEvents, Wakeup, Worker } from '../src/jobs/index.js';
import { silentLogger } from '../src/log.js';
import { pgExec, PG_URL, percentile, round, sleep } from './common.js';

export interface LatencyStats {
  samples: number;
  /** Jobs not dispatched within 5 s. */
  lost: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

function stats(ms: number[], lost: number): LatencyStats {
  const p = (q: number): number | null => (ms.length ? round(percentile(ms, q)!, 2) : null);
  return { samples: ms.length, lost, p50Ms: p(50), p99Ms: p(99), maxMs: p(100) };
}

/** Times at which the consumer saw each sequence number. */
class Arrivals {
  private readonly waiting = new Map<number, (t: number) => void>();
  wait(seq: number, timeoutMs: number): Promise<number | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(seq);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(seq, (at) => {
        clearTimeout(t);
        resolve(at);
      });
    });
  }
  mark(seq: number): void {
    const at = performance.now();
    const w = this.waiting.get(seq);
    this.waiting.delete(seq);
    w?.(at);
  }
}

/**
 * Enqueues `n` jobs one at a time; latency is measured from the moment the enqueue call returned
 * (its transaction had committed: a lower bound of commit-to-start) and from the moment it was
 * called (an upper bound).
 */
async function measure(n: number, arrivals: Arrivals, enqueue: (seq: number) => Promise<void>): Promise<{ fromReturn: LatencyStats; fromCall: LatencyStats }> {
  const fromReturn: number[] = [];
  const fromCall: number[] = [];
  let lost = 0;
  for (let seq = 0; seq < n; seq++) {
    const arrived = arrivals.wait(seq, 5000);
    const called = performance.now();
    await enqueue(seq);
    const returned = performance.now();
    const at = await arrived;
    if (at === null) lost++;
    else {
      fromReturn.push(at - returned);
      fromCall.push(at - called);
    }
    await sleep(5 + Math.random() * 20);
  }
  return { fromReturn: stats(fromReturn, lost), fromCall: stats(fromCall, lost) };
}

/** A remote provider that only notes when it was asked to submit; its tasks never finish. */
class RecordingProvider implements RemoteProvider {
  readonly kind = 'remote';
  readonly name = 'bench';
  constructor(private readonly arrivals: Arrivals) {}
  async submit(job: ProviderJob): Promise<{ taskId: string }> {
    this.arrivals.mark(Number(/seq (\d+)/.exec(job.prompt)?.[1] ?? -1));
    return { taskId: `bench-${job.jobId}` };
  }
  poll = async (): Promise<UpstreamStatus> => ({ state: 'running' });
  download = async (): Promise<Readable> => Promise.reject(new ProviderError('internal', 'the bench provider has no files', false));
  nextPollDelayMs = (_model: ModelSpec): number => 3_600_000;
  costUsd = (): number | null => null;
}

export interface ReelayDispatch {
  variant: string;
  fromReturn: LatencyStats;
  fromCall: LatencyStats;
}

type Variant = 'pglite' | 'postgres, one process' | 'postgres, api and worker apart';

async function reelayDispatch(variant: Variant, n: number): Promise<ReelayDispatch> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-bench-'));
  const schema = variant === 'pglite' ? undefined : `bench_${randomBytes(5).toString('hex')}`;
  const open = (): Promise<Db> => openDb({ dataDir, ...(schema ? { databaseUrl: PG_URL, schema } : {}) });
  const closers: Array<() => Promise<void>> = [];
  try {
    const db = await open();
    closers.push(() => db.close());
    await migrate(db);
    await seedPlans(db);
    const first = await bootstrapFirstAccount(db, { testCredits: 0, liveCredits: 1e11 });
    // Tasks that never finish stay 'running' and would count against the plan's ceiling.
    await db.query('UPDATE plans SET concurrency = 1000000, rate_limit_per_minute = 2000000000');
    const principal = (await verifyApiKey(db, (await createApiKey(db, first!.accountId, 'live', 'bench')).key))!;
    const arrivals = new Arrivals();
    const blobs = new LocalBlobStore(join(dataDir, 'files'));
    const providers = new ProviderRegistry(new ProviderHealth(db, 300_000)).register(new RecordingProvider(arrivals));
    for (const m of MODELS) providers.route(m.id, ['bench']);
    const apiWakeup = new Wakeup(db);
    await apiWakeup.start();
    closers.push(() => apiWakeup.stop());
    // Apart: the worker has its own pool and hears of new jobs only through LISTEN/NOTIFY, as a
    // `--role worker` process does; in one process the submit's local event wakes it first.
    const apart = variant === 'postgres, api and worker apart';
    const workerDb = apart ? await open() : db;
    const workerWakeup = apart ? new Wakeup(workerDb) : apiWakeup;
    if (apart) {
      closers.push(() => workerDb.close());
      await workerWakeup.start();
      closers.push(() => workerWakeup.stop());
    }
    const jobs = new JobService({
      db,
      blobs,
      providers,
      prices: loadPriceBook(undefined),
      wakeup: apiWakeup,
      urlPolicy: { allowPrivateNetworks: false, allowHttp: false },
      events: noJobEvents,
      checkWebhookUrl: async () => {},
    });
    const worker = new Worker({
      db: workerDb,
      blobs,
      providers,
      wakeup: workerWakeup,
      log: silentLogger,
      dataDir,
      leaseSeconds: 30,
      concurrency: 16,
      inlineConcurrency: 2,
      idlePollMs: loadConfig({}, {}).workerIdlePollMs,
      retentionHours: 0,
    });
    worker.start();
    closers.push(() => worker.stop(2000));
    await sleep(200);
    const result = await measure(n, arrivals, async (seq) => {
      const prompt = `dispatch seq ${seq}`;
      await jobs.submit({
        principal,
        dialect: 'apiframe',
        request: { model: 'hailuo-2.3', prompt, durationSeconds: 6, resolution: '768p', promptOptimizer: false },
        wording: { paths: { model: 'model', prompt: 'prompt', image: 'image', durationSeconds: 'duration', resolution: 'resolution', promptOptimizer: 'prompt_optimizer' } },
        original: { prompt },
      });
    });
    return { variant: `Reelay, ${variant}`, ...result };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    if (schema) await pgExec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function graphileDispatch(n: number): Promise<ReelayDispatch> {
  const schema = `bench_gw_${randomBytes(5).toString('hex')}`;
  const logger = new GraphileLogger(() => () => {});
  const arrivals = new Arrivals();
  const runner = await runGraphile({
    connectionString: PG_URL,
    schema,
    logger,
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: 2000,
    taskList: {
      bench: async (payload) => arrivals.mark(Number((payload as { seq?: number }).seq ?? -1)),
    },
  });
  // Jobs are added from a pool of their own, as another process would: the worker learns of them by NOTIFY.
  const utils = await makeWorkerUtils({ connectionString: PG_URL, schema, logger });
  try {
    await sleep(200);
    const result = await measure(n, arrivals, async (seq) => {
      await utils.addJob('bench', { seq });
    });
    return { variant: 'graphile-worker 0.17 (addJob from another pool)', ...result };
  } finally {
    await utils.release();
    await runner.stop();
    await pgExec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  }
}

export interface ShippedDispatch {
  database: 'postgres' | 'pglite';
  /** `started_at - created_at`: from the submit transaction's start (so including its commit) to the worker's start. */
  startedMinusCreated: LatencyStats;
}

/** The shipped composition (`createReelay`, role all, sandbox engine) on `kind`. */
async function shippedDispatch(kind: 'postgres' | 'pglite', n: number): Promise<ShippedDispatch> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-bench-'));
  const schema = kind === 'postgres' ? `bench_${randomBytes(5).toString('hex')}` : undefined;
  const config = loadConfig(
    {},
    { dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', printBanner: false, ...(schema ? { databaseUrl: PG_URL, databaseSchema: schema } : {}) },
  );
  const r = await createReelay(config);
  try {
    await r.db.query('UPDATE plans SET concurrency = 1000000, rate_limit_per_minute = 2000000000');
    r.start();
    await sleep(200);
    let lost = 0;
    for (let seq = 0; seq < n; seq++) {
      const res = await r.app.inject({
        method: 'POST',
        url: '/v2/videos/generate',
        headers: { 'x-api-key': r.firstKey! },
        payload: { prompt: `dispatch ${seq} [[sandbox:fail=content_policy]]`, model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '768p' } },
      });
      const id = (res.json() as { jobId: string }).jobId;
      const deadline = Date.now() + 5000;
      for (;;) {
        const { rows } = await r.db.query<{ started: boolean }>('SELECT started_at IS NOT NULL AS started FROM jobs WHERE id = $1', [id]);
        if (rows[0]?.started) break;
        if (Date.now() > deadline) {
          lost++;
          break;
        }
        await sleep(2);
      }
      await sleep(5 + Math.random() * 20);
    }
    const { rows } = await r.db.query<{ ms: number }>(
      'SELECT (extract(epoch FROM started_at - created_at) * 1000)::float8 AS ms FROM jobs WHERE started_at IS NOT NULL',
    );
    return { database: kind, startedMinusCreated: stats(rows.map((x) => Number(x.ms)), lost) };
  } finally {
    await r.stop();
    if (schema) await pgExec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

export interface DispatchBenchResult {
  jobsPerVariant: number;
  pattern: string;
  rows: Array<ReelayDispatch | { variant: string; error: string }>;
  shipped: Array<ShippedDispatch | { database: string; error: string }>;
}

const failed = (err: unknown): string => (err as Error).message.slice(0, 500);

/**
 * @example
 * const r = await runDispatchBench({ jobs: 150, postgres: true });
 */
export async function runDispatchBench(o: { jobs: number; shippedJobs: number; postgres: boolean }, log: (line: string) => void = () => {}): Promise<DispatchBenchResult> {
  const rows: DispatchBenchResult['rows'] = [];
  const variants: Variant[] = o.postgres ? ['pglite', 'postgres, one process', 'postgres, api and worker apart'] : ['pglite'];
  for (const v of variants) {
    log(`dispatch: Reelay, ${v}`);
    rows.push(await reelayDispatch(v, o.jobs).catch((err: unknown) => ({ variant: `Reelay, ${v}`, error: failed(err) })));
  }
  if (o.postgres) {
    log('dispatch: graphile-worker');
    rows.push(await graphileDispatch(o.jobs).catch((err: unknown) => ({ variant: 'graphile-worker', error: failed(err) })));
  } else rows.push({ variant: 'graphile-worker', error: 'PostgreSQL not reachable' });
  const shipped: DispatchBenchResult['shipped'] = [];
  for (const kind of o.postgres ? (['pglite', 'postgres'] as const) : (['pglite'] as const)) {
    log(`dispatch: shipped composition, sandbox, ${kind}`);
    shipped.push(await shippedDispatch(kind, o.shippedJobs).catch((err: unknown) => ({ database: kind, error: failed(err) })));
  }
  return { jobsPerVariant: o.jobs, pattern: 'one job at a time, 5–25 ms apart (idle queue)', rows, shipped };
}

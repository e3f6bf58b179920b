/**
 * Submit and poll throughput of `reelay serve --role api` on PostgreSQL and on PGlite, each beside
 * the same run's baselines: a bare Fastify server (no database, no auth) and pgbench's one
 * transaction per request (simple-update `-N` for a submit, select-only `-S` for a poll) at the
 * same number of clients, on a throwaway database.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createReelay } from '../src/server.js';
import { createAccount, createApiKey } from '../src/billing/index.js';
import { reelaySqlBaseline, type SqlBaseline } from './sql.js';
import {
  load,
  percentile,
  pgExec,
  PG_URL,
  procMemory,
  round,
  run,
  sleep,
  spawnBaseline,
  spawnReelay,
  watchPeak,
  type LoadResult,
  type LoadSettings,
} from './common.js';

/**
 * The cheapest request (hailuo-2.3, 768p, 6 s: 48 credits). Workers are off, so it stays queued;
 * the trigger makes it fail at once, without rendering, should a worker ever take it.
 */
export const SUBMIT_BODY = JSON.stringify({
  prompt: 'bench [[sandbox:fail=content_policy]]',
  model: 'hailuo-2.3',
  hailuoParams: { duration: 6, resolution: '768p' },
});
/** What SUBMIT_BODY holds in credits. */
export const SUBMIT_PRICE = 48;

export interface PreparedReelay {
  kind: 'postgres' | 'pglite';
  dataDir: string;
  /** The PostgreSQL schema, or null on PGlite. */
  schema: string | null;
  key: string;
  /** Test keys of further accounts on the same plan, one account each. */
  otherKeys: string[];
  fileSigningSecret: string;
  /** Environment for `reelay serve` on this database. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A fresh Reelay database whose first account has 10^11 test credits and a plan with a rate limit
 * (2·10^9 a minute) and a concurrency ceiling nothing in the bench reaches. Built with the product's
 * own start-up, then closed, so that `reelay serve` can open it (PGlite allows one process).
 */
export async function prepareReelay(kind: 'postgres' | 'pglite', otherAccounts = 0): Promise<PreparedReelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-bench-'));
  const schema = kind === 'postgres' ? `bench_${randomBytes(5).toString('hex')}` : null;
  const config = loadConfig(
    {},
    {
      dataDir,
      port: 0,
      host: '127.0.0.1',
      role: 'api',
      logLevel: 'silent',
      printBanner: false,
      initialTestCredits: 1e11,
      ...(schema ? { databaseUrl: PG_URL, databaseSchema: schema } : {}),
    },
  );
  const cleanup = async (): Promise<void> => {
    if (schema) await pgExec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const r = await createReelay(config);
    try {
      await r.db.query(`UPDATE plans SET rate_limit_per_minute = 2000000000, concurrency = 1000000 WHERE id = 'enterprise'`);
      await r.db.query(`UPDATE accounts SET plan_id = 'enterprise'`);
      const otherKeys: string[] = [];
      for (let i = 0; i < otherAccounts; i++) {
        otherKeys.push(
          await r.db.tx(async (q) => {
            const id = await createAccount(q, { name: `bench ${i}`, planId: 'enterprise', testCredits: 1e11, liveCredits: 0, actor: 'bench' });
            return (await createApiKey(q, id, 'test', 'bench')).key;
          }),
        );
      }
      const { rows } = await r.db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'file_signing_secret'`);
      return {
        kind,
        dataDir,
        schema,
        key: r.firstKey!,
        otherKeys,
        fileSigningSecret: rows[0]!.value,
        env: { REELAY_DATA_DIR: dataDir, ...(schema ? { DATABASE_URL: PG_URL, REELAY_DATABASE_SCHEMA: schema } : {}) },
        cleanup,
      };
    } finally {
      await r.stop();
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface PgbenchResult {
  script: 'simple-update (-N)' | 'select-only (-S)' | 'one hot row (-f)';
  clients: number;
  tps: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** pgbench's baselines on a database created for them and dropped afterwards; each warm-up run is discarded. */
export async function pgbenchPair(s: LoadSettings): Promise<PgbenchResult[]> {
  const db = `reelay_bench_pgbench_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG_URL);
  url.pathname = `/${db}`;
  const logDir = await mkdtemp(join(tmpdir(), 'reelay-pgbench-'));
  await pgExec(`CREATE DATABASE ${db}`);
  try {
    // Scale 1 = 100,000 account rows: 10 clients updating random rows never wait on each other.
    await run('pgbench', ['-i', '-s', '1', '-q', url.href]);
    const out: PgbenchResult[] = [];
    // Every client increments the same row, as every request of one key does to its rate-limit
    // window (and every submit of one account to its wallet): the ceiling of a per-request counter.
    const hot = join(logDir, 'hot.sql');
    await writeFile(hot, 'UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1;\n');
    for (const [args, script, tag] of [
      [['-N'], 'simple-update (-N)', 'N'],
      [['-S'], 'select-only (-S)', 'S'],
      [['-f', hot], 'one hot row (-f)', 'H'],
    ] as const) {
      const common = [...args, '-n', '-c', String(s.connections), '-j', '2'];
      if (s.warmupSeconds > 0) await run('pgbench', [...common, '-T', String(s.warmupSeconds), url.href]);
      const prefix = join(logDir, tag);
      const text = await run('pgbench', [...common, '-T', String(s.durationSeconds), '-l', `--log-prefix=${prefix}`, url.href]);
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(text)?.[1] ?? NaN);
      // Per-transaction log: "client_id transaction_no time_us script_no epoch epoch_us".
      const latencies: number[] = [];
      for (const f of (await readdir(logDir)).filter((n) => n.startsWith(`${tag}.`))) {
        for (const line of (await readFile(join(logDir, f), 'utf8')).split('\n')) {
          const us = Number(line.split(' ')[2]);
          if (Number.isFinite(us) && line) latencies.push(us / 1000);
        }
      }
      const p = (q: number): number | null => {
        const v = percentile(latencies, q);
        return v === null ? null : round(v, 2);
      };
      out.push({ script, clients: s.connections, tps: round(tps, 0), p50Ms: p(50), p99Ms: p(99) });
    }
    return out;
  } finally {
    await pgExec(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
    await rm(logDir, { recursive: true, force: true });
  }
}

export interface ReelayHttpRun {
  database: 'postgres' | 'pglite';
  /** One key, as the issue asks: every request touches the same rate-limit row and wallet. */
  submit: LoadResult;
  submitIdempotent: LoadResult;
  /** One account (and key) per connection: the same load without the shared hot rows. */
  submitManyAccounts: LoadResult;
  poll: LoadResult;
  pollManyAccounts: LoadResult;
  idleRssMb: number | null;
  /** Peak RSS during the two submit cases. */
  submitPeakRssMb: number | null;
  peakMethod: string;
  /** Jobs the runs created (held credits / price): checks that 2xx really were new jobs. */
  jobsCreated: number | null;
  /** The same SQL through pgbench (PostgreSQL only; bench/sql.ts). */
  sqlBaseline: SqlBaseline[] | { error: string } | null;
}

/** Submits one job with `key` and returns its id. */
export async function submitOne(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/v2/videos/generate`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: SUBMIT_BODY });
  const body = (await res.json()) as { jobId?: string };
  if (res.status !== 202 || !body.jobId) throw new Error(`submit answered ${res.status} ${JSON.stringify(body)}`);
  return body.jobId;
}

async function reelayRun(kind: 'postgres' | 'pglite', s: LoadSettings): Promise<ReelayHttpRun> {
  const prep = await prepareReelay(kind, s.connections);
  try {
    const child = await spawnReelay(prep.env);
    try {
      const headers = { 'x-api-key': prep.key, 'content-type': 'application/json' };
      const jobId = await submitOne(child.url, prep.key);
      const others: Array<{ key: string; jobId: string }> = [];
      for (const key of prep.otherKeys) others.push({ key, jobId: await submitOne(child.url, key) });
      let next = 0;
      const account = (): { key: string; jobId: string } => others[next++ % others.length]!;
      await sleep(500);
      const idle = await procMemory(child.pid);
      const peak = await watchPeak(child.pid);
      const submitCase = { url: `${child.url}/v2/videos/generate`, method: 'POST' as const, headers, body: SUBMIT_BODY, serverPid: child.pid };
      const submit = await load(submitCase, s);
      const submitIdempotent = await load({ ...submitCase, perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }) }, s);
      const p = await peak.stop();
      const submitManyAccounts = await load({ ...submitCase, perConnection: () => ({ headers: { 'x-api-key': account().key } }) }, s);
      const poll = await load({ url: `${child.url}/v2/jobs/${jobId}`, headers: { 'x-api-key': prep.key }, serverPid: child.pid }, s);
      const pollManyAccounts = await load(
        {
          url: `${child.url}/v2/jobs/${jobId}`,
          serverPid: child.pid,
          perConnection: () => {
            const a = account();
            return { headers: { 'x-api-key': a.key }, path: `/v2/jobs/${a.jobId}` };
          },
        },
        s,
      );
      const me = (await (await fetch(`${child.url}/v2/me`, { headers: { 'x-api-key': prep.key } })).json()) as {
        credits?: { test?: { held?: number } };
      };
      const held = me.credits?.test?.held;
      await child.stop();
      const sqlBaseline = prep.schema
        ? await reelaySqlBaseline({ schema: prep.schema, key: prep.key, jobId, settings: s }).catch((err: unknown) => ({ error: (err as Error).message.slice(0, 500) }))
        : null;
      return {
        database: kind,
        submit,
        submitIdempotent,
        submitManyAccounts,
        poll,
        pollManyAccounts,
        idleRssMb: idle?.rssMb ?? null,
        submitPeakRssMb: p.peakMb,
        peakMethod: p.method,
        jobsCreated: typeof held === 'number' ? held / SUBMIT_PRICE : null,
        sqlBaseline,
      };
    } finally {
      await child.stop();
    }
  } finally {
    await prep.cleanup();
  }
}

export interface HttpBenchResult {
  settings: LoadSettings;
  fastify: { get: LoadResult; postJson: LoadResult; idleRssMb: number | null; peakRssMb: number | null };
  pgbench: PgbenchResult[] | { error: string };
  reelay: Array<ReelayHttpRun | { database: 'postgres' | 'pglite'; error: string }>;
}

/** The bare Fastify baseline (child process): GET /hello and the JSON POST, with its memory. */
export async function fastifyBaseline(s: LoadSettings): Promise<HttpBenchResult['fastify']> {
  const hello = await spawnBaseline(['hello']);
  try {
    await sleep(300);
    const idle = await procMemory(hello.pid);
    const peak = await watchPeak(hello.pid);
    const get = await load({ url: `${hello.url}/hello`, serverPid: hello.pid }, s);
    const postJson = await load(
      { url: `${hello.url}/v2/videos/generate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: SUBMIT_BODY, serverPid: hello.pid },
      s,
    );
    return { get, postJson, idleRssMb: idle?.rssMb ?? null, peakRssMb: (await peak.stop()).peakMb };
  } finally {
    await hello.stop();
  }
}

/**
 * @example
 * const r = await runHttpBench({ connections: 10, durationSeconds: 10, warmupSeconds: 2 }, true);
 */
export async function runHttpBench(s: LoadSettings, postgres: boolean, log: (line: string) => void = () => {}): Promise<HttpBenchResult> {
  log('bare Fastify hello-world');
  const fastify = await fastifyBaseline(s);
  let pgbench: HttpBenchResult['pgbench'] = { error: 'PostgreSQL not reachable' };
  const reelay: HttpBenchResult['reelay'] = [];
  if (postgres) {
    log('pgbench -N / -S / one hot row');
    pgbench = await pgbenchPair(s).catch((err: unknown) => ({ error: (err as Error).message.slice(0, 500) }));
  } else reelay.push({ database: 'postgres', error: 'PostgreSQL not reachable' });
  for (const kind of postgres ? (['postgres', 'pglite'] as const) : (['pglite'] as const)) {
    log(`reelay serve --role api on ${kind}`);
    reelay.push(await reelayRun(kind, s).catch((err: unknown) => ({ database: kind, error: (err as Error).message.slice(0, 1000) })));
  }
  return { settings: s, fastify, pgbench, reelay };
}

/**
 * Idle CPU of a worker whose queue holds work it cannot take yet: 100 jobs queued behind a plan's
 * concurrency ceiling of 1 (one long render holds the slot), and 100 queued behind full render
 * slots (two long renders). Measured in-process with `process.cpuUsage` over `seconds`, so on
 * PGlite the database's own work counts too; the baseline is the same server with an empty queue.
 * Goal (issue 12): under 2 % of a core. Before the fix the worker queried every 5 ms: 57 % of a
 * core with 4 jobs waiting.
 *
 *   npx tsx bench/idle.ts            one run, prints JSON
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createReelay, type Reelay } from '../src/server.js';
import { createAccount, createApiKey } from '../src/billing/index.js';
import { round, sleep } from './common.js';

export interface IdleCase {
  case: string;
  queued: number;
  rendering: number;
  /** Percent of one core used over the window (user + system). */
  cpuPercentOfCore: number;
  /** Database statements the process sent over the window. */
  statementsPerSecond: number;
  seconds: number;
}

export interface IdleBenchResult {
  database: 'pglite';
  goalPercentOfCore: number;
  cases: IdleCase[];
}

async function measure(r: Reelay, seconds: number): Promise<{ cpu: number; sps: number }> {
  const db = r.db;
  const original = db.query.bind(db);
  let statements = 0;
  (db as { query: typeof db.query }).query = (sql, params) => {
    statements++;
    return original(sql, params);
  };
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await sleep(seconds * 1000);
  const used = process.cpuUsage(c0);
  const elapsedUs = Number(process.hrtime.bigint() - t0) / 1000;
  (db as { query: typeof db.query }).query = original;
  return { cpu: round((100 * (used.user + used.system)) / elapsedUs, 2), sps: round(statements / seconds, 1) };
}

async function submit(url: string, key: string, prompt: string): Promise<string> {
  const res = await fetch(`${url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, model: 'hailuo-2.3' }),
  });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return String(((await res.json()) as { jobId: string }).jobId);
}

async function settle(r: Reelay, rendering: number): Promise<void> {
  for (let i = 0; i < 600 && (r.worker?.busy.length ?? 0) < rendering; i++) await sleep(50);
  if ((r.worker?.busy.length ?? 0) < rendering) throw new Error('the long renders did not start');
  await sleep(2000); // let the claims of the submits die down
}

/**
 * @example
 * const result = await runIdleBench({ seconds: 10 });
 */
export async function runIdleBench(opts: { seconds?: number; queued?: number } = {}): Promise<IdleBenchResult> {
  const seconds = opts.seconds ?? 10;
  const queued = opts.queued ?? 100;
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-bench-idle-'));
  const r = await createReelay(
    loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', printBanner: false, sandboxConcurrency: 2, workerIdlePollMs: 1000 }),
  );
  const cases: IdleCase[] = [];
  try {
    await r.db.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('bench_solo', 'Solo', 0, 1, 100000)`);
    await r.db.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('bench_wide', 'Wide', 0, 1000, 100000)`);
    r.start();
    const url = await r.listen();
    await sleep(2000);
    const empty = await measure(r, seconds);
    cases.push({ case: 'empty queue (baseline)', queued: 0, rendering: 0, cpuPercentOfCore: empty.cpu, statementsPerSecond: empty.sps, seconds });

    for (const c of [
      { name: `${queued} jobs behind a concurrency ceiling of 1`, plan: 'bench_solo', rendering: 1 },
      { name: `${queued} jobs behind 2 busy render slots`, plan: 'bench_wide', rendering: 2 },
    ]) {
      const account = await createAccount(r.db, { name: c.plan, planId: c.plan, testCredits: 100_000, liveCredits: 0, actor: 'bench' });
      const { key } = await createApiKey(r.db, account, 'test');
      const ids: string[] = [];
      for (let i = 0; i < c.rendering; i++) ids.push(await submit(url, key, `holds a slot ${i} [[sandbox:delay=600]]`));
      await settle(r, c.rendering);
      for (let i = 0; i < queued; i++) ids.push(await submit(url, key, `waits ${i} [[sandbox:delay=600]]`));
      await sleep(2000);
      const m = await measure(r, seconds);
      cases.push({ case: c.name, queued, rendering: c.rendering, cpuPercentOfCore: m.cpu, statementsPerSecond: m.sps, seconds });
      await r.db.query(`UPDATE jobs SET state = 'canceled', lease_owner = NULL, lease_until = NULL WHERE account_id = $1`, [account]);
      for (let i = 0; i < 200 && (r.worker?.busy.length ?? 0) > 0; i++) await sleep(50);
    }
  } finally {
    await r.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { database: 'pglite', goalPercentOfCore: 2, cases };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runIdleBench();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

/**
 * 10,000 open waiters on one `reelay serve --role api` process: half Server-Sent Events streams
 * (`GET /v2/jobs/{id}/events`), half long-polls (`GET /v2/jobs/{id}?wait=60`), all on one queued
 * job. Measures the server's RSS before and with them open, the database reads they cost while
 * idle (PostgreSQL: `idx_scan + seq_scan` of the bench schema's `jobs` table), and how long one
 * change (a cancel through the API) takes to reach every one of them (p50/p99/max).
 *
 *   npx tsx bench/waiters.ts [--waiters 10000] [--db pglite|postgres|both]
 *
 * Not part of `npm test`. Clients run in this process; the server is a child process.
 */
import { Agent, get, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pgExec, percentile, postgresReachable, procMemory, round, sleep, spawnReelay } from './common.js';
import { prepareReelay, SUBMIT_BODY } from './http.js';

export interface WaitersResult {
  database: 'postgres' | 'pglite';
  waiters: number;
  connected: number;
  idleRssMb: number | null;
  withWaitersRssMb: number | null;
  rssIncreaseMb: number | null;
  connectSeconds: number;
  /** Reads of the jobs table while all waiters sat idle for `idleSeconds` (PostgreSQL only). */
  idleJobReads: number | null;
  idleSeconds: number;
  /** Reads of the jobs table from the cancel until every waiter had its answer (PostgreSQL only). */
  changeJobReads: number | null;
  delivered: number;
  deliveryP50Ms: number | null;
  deliveryP99Ms: number | null;
  deliveryMaxMs: number | null;
}

async function jobReads(schema: string | null): Promise<number | null> {
  if (!schema) return null;
  const { rows } = await pgExec(`SELECT (COALESCE(idx_scan, 0) + COALESCE(seq_scan, 0))::bigint AS n FROM pg_stat_user_tables WHERE schemaname = '${schema}' AND relname = 'jobs'`);
  return Number((rows[0] as { n: string } | undefined)?.n ?? NaN);
}

export async function runWaitersBench(kind: 'postgres' | 'pglite', waiters = 10_000, idleSeconds = 5): Promise<WaitersResult> {
  const prep = await prepareReelay(kind);
  try {
    const child = await spawnReelay(prep.env);
    try {
      const sub = await fetch(`${child.url}/v2/videos/generate`, { method: 'POST', headers: { 'x-api-key': prep.key, 'content-type': 'application/json' }, body: SUBMIT_BODY });
      const jobId = ((await sub.json()) as { jobId: string }).jobId;
      await sleep(1000);
      const idle = await procMemory(child.pid);
      const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
      const u = new URL(child.url);
      const delivered: number[] = [];
      let changeAt = 0;
      let connected = 0;
      const opened: Array<() => void> = [];
      const t0 = performance.now();
      // Connect in batches so the accept queue is not what is measured.
      for (let i = 0; i < waiters; i += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, waiters - i) }, (_, k) => {
            const sse = (i + k) % 2 === 0;
            const path = sse ? `/v2/jobs/${jobId}/events` : `/v2/jobs/${jobId}?wait=60`;
            return new Promise<void>((resolve) => {
              const req = get({ host: u.hostname, port: u.port, path, agent, headers: { 'x-api-key': prep.key } }, (res) => {
                let seen = '';
                let done = false;
                if (sse) {
                  connected++;
                  resolve();
                }
                res.setEncoding('utf8');
                res.on('data', (d: string) => {
                  seen += d;
                  if (!done && changeAt && (sse ? seen.includes('event: done') : false)) {
                    done = true;
                    delivered.push(performance.now() - changeAt);
                  }
                });
                res.on('end', () => {
                  if (!sse && !done && changeAt) {
                    done = true;
                    delivered.push(performance.now() - changeAt);
                  }
                });
                res.on('error', () => {});
              });
              req.on('error', () => resolve());
              opened.push(() => req.destroy());
              if (!sse) {
                // A long-poll has no response until the change: count it once the request is sent.
                req.on('socket', (s) =>
                  s.once('connect', () => {
                    connected++;
                    resolve();
                  }),
                );
              }
            });
          }),
        );
      }
      const connectSeconds = round((performance.now() - t0) / 1000, 1);
      await sleep(2000); // let the long-polls reach their wait, and stats settle
      const readsBefore = await jobReads(prep.schema);
      await sleep(idleSeconds * 1000);
      const readsIdle = await jobReads(prep.schema);
      const withWaiters = await procMemory(child.pid);
      changeAt = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: `/v2/jobs/${jobId}/cancel`, method: 'POST', headers: { 'x-api-key': prep.key } }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
      for (const end = Date.now() + 30_000; delivered.length < connected && Date.now() < end; ) await sleep(20);
      await sleep(1000);
      const readsAfter = await jobReads(prep.schema);
      for (const close of opened) close();
      agent.destroy();
      return {
        database: kind,
        waiters,
        connected,
        idleRssMb: idle?.rssMb ?? null,
        withWaitersRssMb: withWaiters?.rssMb ?? null,
        rssIncreaseMb: idle && withWaiters ? round(withWaiters.rssMb - idle.rssMb) : null,
        connectSeconds,
        idleJobReads: readsBefore !== null && readsIdle !== null ? readsIdle - readsBefore : null,
        idleSeconds,
        changeJobReads: readsIdle !== null && readsAfter !== null ? readsAfter - readsIdle : null,
        delivered: delivered.length,
        deliveryP50Ms: percentile(delivered, 50),
        deliveryP99Ms: percentile(delivered, 99),
        deliveryMaxMs: delivered.length ? round(Math.max(...delivered)) : null,
      };
    } finally {
      await child.stop();
    }
  } finally {
    await prep.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const n = Number(arg('waiters') ?? 10_000);
  const which = arg('db') ?? 'both';
  const kinds: Array<'pglite' | 'postgres'> = which === 'both' ? ['pglite', 'postgres'] : [which as 'pglite' | 'postgres'];
  for (const kind of kinds) {
    if (kind === 'postgres' && !(await postgresReachable())) {
      console.log('postgres: not measured (no server)');
      continue;
    }
    console.log(JSON.stringify(await runWaitersBench(kind, n)));
  }
}

/**
 * Reelay's own per-request SQL, statement for statement and round trip for round trip, driven by
 * pgbench against the bench's Reelay schema: what the database alone allows for a submit and a
 * poll, without HTTP, Fastify, Node or the `pg` driver. The gap between this and the HTTP figure is
 * Reelay's process; the gap between this and pgbench's built-in scripts is Reelay's SQL.
 *
 * The statements are those of src/jobs/service.ts: a submit is one call of reelay_submit
 * (010_submit.sql: job, hold, ledger row; the workers' NOTIFY is sent apart, at most one in flight
 * per process, by Wakeup.nudge, and is not replayed here), a poll at most one read of the job (usually
 * none: src/jobs/views.ts). Keys and rate limits cost no statement per request any more
 * (src/billing/principals.ts, ratelimit.ts). Keep them in step if those change.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_URL, pgExec, round, run, type LoadSettings } from './common.js';

// Spaces after every colon: pgbench reads ":name" as a variable.
const INPUT =
  '{"model": "hailuo-2.3", "prompt": "bench", "image": null, "durationSeconds": 6, "resolution": "768p", "promptOptimizer": true, ' +
  '"fastPretreatment": false, "original": {"prompt": "bench", "model": "hailuo-2.3", "hailuoParams": {"duration": 6, "resolution": "768p"}}}';
// Keys are cached and rate limits counted in memory (blocks reserved now and then): a submit's
// only statement is the submit itself, and a poll of a job whose view is cached sends none.
const SUBMIT = [
  `SELECT id FROM reelay_submit(gen_random_uuid(), :acct, :keyid, 'test', 'apiframe', 'hailuo-2.3', '${INPUT}', 48, 'sandbox', 1800, NULL, NULL, NULL, 'bench', false);`,
].join('\n');
const POLL = ['SELECT * FROM jobs WHERE id = :job;'].join('\n');

export interface SqlBaseline {
  script: 'Reelay submit SQL' | 'Reelay poll SQL';
  roundTrips: number;
  clients: number;
  tps: number;
  latencyAvgMs: number | null;
}

/**
 * @example
 * const [submit, poll] = await reelaySqlBaseline({ schema: 'bench_1a2b', key: 'rl_test_…', jobId, settings });
 */
export async function reelaySqlBaseline(o: { schema: string; key: string; jobId: string; settings: LoadSettings }): Promise<SqlBaseline[]> {
  const hash = createHash('sha256').update(o.key).digest('hex');
  const { rows } = await pgExec(`SELECT id, account_id FROM ${o.schema}.api_keys WHERE key_hash = '${hash}'`);
  const key = rows[0] as { id: string; account_id: string } | undefined;
  if (!key) throw new Error('bench key not found in its schema');
  const dir = await mkdtemp(join(tmpdir(), 'reelay-sql-'));
  try {
    const out: SqlBaseline[] = [];
    for (const [script, text, roundTrips] of [
      ['Reelay submit SQL', SUBMIT, 1],
      ['Reelay poll SQL', POLL, 1],
    ] as const) {
      const file = join(dir, 'script.sql');
      await writeFile(file, `${text}\n`);
      // -M extended: parameters travel apart from the statement, as node-postgres sends them.
      const args = ['-n', '-M', 'extended', '-f', file, '-c', String(o.settings.connections), '-j', '2'];
      const vars = ['-D', `hash=${hash}`, '-D', `keyid=${key.id}`, '-D', `acct=${key.account_id}`, '-D', `job=${o.jobId}`];
      const env = { PGOPTIONS: `-c search_path=${o.schema},public` };
      if (o.settings.warmupSeconds > 0) await run('pgbench', [...args, ...vars, '-T', String(o.settings.warmupSeconds), PG_URL], env);
      const text2 = await run('pgbench', [...args, ...vars, '-T', String(o.settings.durationSeconds), PG_URL], env);
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(text2)?.[1] ?? NaN);
      const avg = Number(/latency average = ([\d.]+) ms/.exec(text2)?.[1] ?? NaN);
      out.push({ script, roundTrips, clients: o.settings.connections, tps: round(tps, 0), latencyAvgMs: Number.isFinite(avg) ? round(avg, 2) : null });
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

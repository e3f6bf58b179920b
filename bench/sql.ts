/**
 * Reelay's own per-request SQL, statement for statement and round trip for round trip, driven by
 * pgbench against the bench's Reelay schema: what the database alone allows for a submit and a
 * poll, without HTTP, Fastify, Node or the `pg` driver. The gap between this and the HTTP figure is
 * Reelay's process; the gap between this and pgbench's built-in scripts is Reelay's SQL.
 *
 * The statements are those of src/http/auth.ts (verifyApiKey), src/billing/limits.ts
 * (countRequest) and src/jobs/service.ts (submit: one call of reelay_submit, 010_submit.sql, which
 * inserts the job, holds, writes the ledger row and notifies), in the same order. Keep them in step
 * if those change.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_URL, pgExec, round, run, type LoadSettings } from './common.js';

const AUTH =
  'SELECT k.id, k.key_hash, k.account_id, a.name AS account_name, a.plan_id, p.rate_limit_per_minute, k.name, k.prefix, k.mode ' +
  'FROM api_keys k JOIN accounts a ON a.id = k.account_id JOIN plans p ON p.id = a.plan_id ' +
  'WHERE k.key_hash = :hash AND k.revoked_at IS NULL AND a.disabled_at IS NULL;';
const RATE =
  "INSERT INTO rate_windows (key_id, window_start, count) VALUES (:keyid, date_trunc('minute', now()), 1) " +
  'ON CONFLICT (key_id, window_start) DO UPDATE SET count = rate_windows.count + 1 RETURNING count;';
// Spaces after every colon: pgbench reads ":name" as a variable.
const INPUT =
  '{"model": "hailuo-2.3", "prompt": "bench", "image": null, "durationSeconds": 6, "resolution": "768p", "promptOptimizer": true, ' +
  '"fastPretreatment": false, "original": {"prompt": "bench", "model": "hailuo-2.3", "hailuoParams": {"duration": 6, "resolution": "768p"}}}';
const SUBMIT = [
  AUTH,
  RATE,
  `SELECT id FROM reelay_submit(gen_random_uuid(), :acct, :keyid, 'test', 'apiframe', 'hailuo-2.3', '${INPUT}', 48, 'sandbox', 1800, NULL, NULL, NULL, 'bench', true);`,
].join('\n');
const POLL = [AUTH, RATE, 'SELECT * FROM jobs WHERE id = :job;'].join('\n');

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
      ['Reelay submit SQL', SUBMIT, 3],
      ['Reelay poll SQL', POLL, 3],
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

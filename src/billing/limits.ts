import type { Queryable } from '../db/index.js';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

/** Drops rate-limit windows older than a few minutes (run by the sweeper). */
export async function pruneRateWindows(q: Queryable): Promise<void> {
  await q.query(`DELETE FROM rate_counts WHERE window_start < now() - interval '5 minutes'`);
  // The per-key table of migration 003, no longer written (counts are per account and mode now).
  await q.query(`DELETE FROM rate_windows WHERE window_start < now() - interval '5 minutes'`);
}

/**
 * The concurrency ceiling, checked exactly at the moment a job would start. Counted per account
 * AND mode: a leaked test key's renders must not hold back the account's live jobs. Locking the account
 * row serialises starts of one account across every worker process, so two workers cannot both
 * take the last slot. Returns true when the job may start.
 *
 * `FOR NO KEY UPDATE`, not `FOR UPDATE`: the ledger's foreign key takes `KEY SHARE` on the account
 * row, and a cancel (job row locked, then a ledger insert) against a start (account row locked,
 * then the job row) deadlocked on PostgreSQL with `FOR UPDATE` (regression: webhooks e2e cancel).
 */
export async function mayStart(q: Queryable, accountId: string, jobId: string): Promise<boolean> {
  const { rows } = await q.query<{ concurrency: number }>(
    `SELECT p.concurrency FROM accounts a JOIN plans p ON p.id = a.plan_id WHERE a.id = $1 FOR NO KEY UPDATE OF a`,
    [accountId],
  );
  const ceiling = rows[0]?.concurrency ?? 1;
  const { rows: n } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM jobs
      WHERE account_id = $1 AND id <> $2 AND state IN ('submitting', 'running', 'finalizing')
        AND mode = (SELECT mode FROM jobs WHERE id = $2)`,
    [accountId, jobId],
  );
  return (n[0]?.n ?? 0) < ceiling;
}

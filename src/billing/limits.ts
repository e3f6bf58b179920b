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

// The concurrency ceiling is checked exactly at the moment a job starts, under a lock on the
// account row: `reelay_start` (db/migrations/014_start.sql, which names the deadlock that lock
// order avoids), called by jobs/repo.ts `startJob`.

import type { Queryable } from '../db/index.js';
import type { KeyMode } from './keys.js';

/**
 * Credits move only here, and only inside a transaction the caller owns (the one that also moves
 * the job). Every movement is one ledger row from one book to another plus the matching wallet
 * update, so `sum(ledger)` and the wallet always agree.
 *
 * The one exception is the hold (available → held): the submit writes it together with the job
 * row in one statement, `reelay_submit` in db/migrations/010_submit.sql, with the same guarded
 * UPDATE and ledger row, so that a submit is one round trip.
 */

async function settle(q: Queryable, jobId: string, kind: 'capture' | 'release', actor: string, reason: string): Promise<number> {
  const { rows } = await q.query<{ account_id: string; mode: KeyMode; amount: number }>(
    `SELECT account_id, mode, amount FROM ledger WHERE job_id = $1 AND kind = 'hold'`,
    [jobId],
  );
  const hold = rows[0];
  if (!hold) return 0; // free job: nothing was held
  const to = kind === 'capture' ? 'spent' : 'available';
  // ledger_job_once makes a second capture or release of the same job fail loudly.
  await q.query(
    `INSERT INTO ledger (account_id, mode, kind, from_book, to_book, amount, job_id, actor, reason)
     VALUES ($1, $2, $3, 'held', $4, $5, $6, $7, $8)`,
    [hold.account_id, hold.mode, kind, to, hold.amount, jobId, actor, reason],
  );
  const column = kind === 'capture' ? 'spent' : 'available';
  const res = await q.query(
    `UPDATE wallets SET held = held - $1, ${column} = ${column} + $1 WHERE account_id = $2 AND mode = $3 AND held >= $1`,
    [hold.amount, hold.account_id, hold.mode],
  );
  if (res.rowCount !== 1) throw new Error(`wallet for ${hold.account_id}/${hold.mode} lacks the held credits of job ${jobId}`);
  return hold.amount;
}

/** The job succeeded: its held credits are spent. Call only after the job's CAS to `completed` won. */
export function captureCredits(q: Queryable, jobId: string, actor: string): Promise<number> {
  return settle(q, jobId, 'capture', actor, 'job completed');
}

/** The job failed, was canceled or timed out: its held credits go back. Call only after the CAS won. */
export function releaseCredits(q: Queryable, jobId: string, actor: string, reason: string): Promise<number> {
  return settle(q, jobId, 'release', actor, reason);
}

/**
 * Adds credits from outside (a grant) or takes them back (a negative adjustment, never below zero).
 * Returns false when a negative adjustment exceeds the available credits, or a grant would take them
 * past 2^53 - 1: bigint columns are read as JavaScript numbers (db/postgres.ts), and past that the
 * balance shown is not the balance stored.
 */
export async function grantCredits(
  q: Queryable,
  a: { accountId: string; mode: KeyMode; amount: number; kind: 'grant' | 'adjust'; actor: string; reason: string },
): Promise<boolean> {
  if (a.amount === 0) return true;
  const res = await q.query(
    `UPDATE wallets SET available = available + $1 WHERE account_id = $2 AND mode = $3 AND available + $1 BETWEEN 0 AND 9007199254740991`,
    [a.amount, a.accountId, a.mode],
  );
  if (res.rowCount !== 1) return false;
  const [from, to] = a.amount > 0 ? ['world', 'available'] : ['available', 'world'];
  await q.query(
    `INSERT INTO ledger (account_id, mode, kind, from_book, to_book, amount, actor, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [a.accountId, a.mode, a.kind, from, to, Math.abs(a.amount), a.actor, a.reason],
  );
  return true;
}

export interface WalletView {
  mode: KeyMode;
  available: number;
  held: number;
  spent: number;
}

export async function readWallets(q: Queryable, accountId: string): Promise<WalletView[]> {
  const { rows } = await q.query<WalletView>(
    'SELECT mode, available, held, spent FROM wallets WHERE account_id = $1 ORDER BY mode',
    [accountId],
  );
  return rows;
}

import assert from 'node:assert/strict';
import type { Db, Queryable } from '../../src/db/index.js';

/**
 * Every money invariant, for every account and mode, read straight from the database, in one
 * snapshot (REPEATABLE READ): read while jobs are being submitted and settled, separate statements
 * saw a wallet before a hold and its ledger after it (CI on PostgreSQL: held 384 against a book of
 * 432), which is no break of the books, since each movement updates both in one transaction.
 */
export async function checkInvariants(db: Db): Promise<void> {
  await db.tx(async (q) => {
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await checkInSnapshot(q);
  });
}

async function checkInSnapshot(q: Queryable): Promise<void> {
  const wallets = (
    await q.query<{ account_id: string; mode: string; available: number; held: number; spent: number }>('SELECT * FROM wallets')
  ).rows;
  for (const w of wallets) {
    const where = [w.account_id, w.mode];
    const book = async (name: string) => {
      const { rows } = await q.query<{ v: number }>(
        `SELECT COALESCE(sum(CASE WHEN to_book = $3 THEN amount ELSE 0 END) - sum(CASE WHEN from_book = $3 THEN amount ELSE 0 END), 0)::bigint AS v
           FROM ledger WHERE account_id = $1 AND mode = $2`,
        [...where, name],
      );
      return rows[0]!.v;
    };
    const label = `${w.account_id}/${w.mode}`;
    assert.equal(await book('available'), w.available, `${label}: available matches its ledger book`);
    assert.equal(await book('held'), w.held, `${label}: held matches its ledger book`);
    assert.equal(await book('spent'), w.spent, `${label}: spent matches its ledger book`);
    assert.equal((await book('world')) + w.available + w.held + w.spent, 0, `${label}: balance == grants − removals`);
    const { rows: jobs } = await q.query<{ open: number; done: number }>(
      `SELECT COALESCE(sum(price) FILTER (WHERE state IN ('queued','submitting','running','finalizing')), 0)::bigint AS open,
              COALESCE(sum(price) FILTER (WHERE state = 'completed'), 0)::bigint AS done
         FROM jobs WHERE account_id = $1 AND mode = $2`,
      where,
    );
    assert.equal(w.held, jobs[0]!.open, `${label}: held == prices of open jobs`);
    assert.equal(w.spent, jobs[0]!.done, `${label}: spent == prices of completed jobs`);
    assert.ok(w.available >= 0 && w.held >= 0 && w.spent >= 0, `${label}: nothing negative`);
  }
  const { rows: bad } = await q.query<{ id: string; state: string; kinds: string }>(
    `SELECT j.id, j.state, string_agg(l.kind, ',' ORDER BY l.id) AS kinds
       FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id
      GROUP BY j.id, j.state
     HAVING NOT (
       (j.state IN ('queued','submitting','running','finalizing') AND string_agg(l.kind, ',' ORDER BY l.id) = 'hold') OR
       (j.state = 'completed' AND string_agg(l.kind, ',' ORDER BY l.id) = 'hold,capture') OR
       (j.state IN ('failed','canceled') AND string_agg(l.kind, ',' ORDER BY l.id) = 'hold,release'))`,
  );
  assert.deepEqual(bad, [], 'each job: one hold, then exactly one capture (completed) or one release (failed/canceled)');
}

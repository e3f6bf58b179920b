import type { Db } from '../db/index.js';
import { grantCredits } from './wallet.js';

/** The grant period a moment falls in: calendar months in UTC ("2026-11"). */
export function periodOf(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/**
 * Applies each account's monthly plan grant for the period of `now`, once. The period row and the
 * credits are written in one transaction and the period row's primary key refuses a second one, so
 * running this twice (or on two processes at once) never doubles a grant.
 *
 * @example
 * await applyMonthlyGrants(db, new Date()); // { granted: 3 }
 */
export async function applyMonthlyGrants(db: Db, now = new Date(), actor = 'grant-job'): Promise<{ granted: number }> {
  const period = periodOf(now);
  const { rows } = await db.query<{ id: string; monthly_credits: number }>(
    `SELECT a.id, p.monthly_credits FROM accounts a JOIN plans p ON p.id = a.plan_id
      WHERE a.disabled_at IS NULL AND p.monthly_credits > 0
        AND NOT EXISTS (SELECT 1 FROM grant_periods g WHERE g.account_id = a.id AND g.period = $1)`,
    [period],
  );
  let granted = 0;
  for (const r of rows) {
    const ok = await db.tx(async (q) => {
      const ins = await q.query(
        `INSERT INTO grant_periods (account_id, period, amount) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [r.id, period, r.monthly_credits],
      );
      if (ins.rowCount !== 1) return false;
      await grantCredits(q, { accountId: r.id, mode: 'live', amount: r.monthly_credits, kind: 'grant', actor, reason: `monthly plan grant ${period}` });
      return true;
    });
    if (ok) granted++;
  }
  return { granted };
}

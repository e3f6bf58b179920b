import type { Db, Queryable } from '../db/index.js';
import { newId } from '../ids.js';
import { createApiKey } from './keys.js';
import { grantCredits } from './wallet.js';

export interface PlanSpec {
  id: string;
  name: string;
  monthlyCredits: number;
  concurrency: number;
  rateLimitPerMinute: number;
}

/** Shipped plans; an operator may change them in the database. */
export const DEFAULT_PLANS: readonly PlanSpec[] = [
  { id: 'free', name: 'Free', monthlyCredits: 0, concurrency: 2, rateLimitPerMinute: 120 },
  { id: 'pro', name: 'Pro', monthlyCredits: 10_000, concurrency: 10, rateLimitPerMinute: 600 },
  { id: 'enterprise', name: 'Enterprise', monthlyCredits: 100_000, concurrency: 50, rateLimitPerMinute: 3000 },
];

/**
 * Inserts the default plans that are missing (never overwriting an operator's edits), then applies
 * the plans given in config, which do overwrite: the config file is the operator's word.
 */
export async function seedPlans(q: Queryable, fromConfig: readonly PlanSpec[] = []): Promise<void> {
  for (const [plans, overwrite] of [[DEFAULT_PLANS, false], [fromConfig, true]] as const) {
    for (const p of plans) {
      await q.query(
        `INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO ${overwrite ? 'UPDATE SET name = $2, monthly_credits = $3, concurrency = $4, rate_limit_per_minute = $5, updated_at = now()' : 'NOTHING'}`,
        [p.id, p.name, p.monthlyCredits, p.concurrency, p.rateLimitPerMinute],
      );
    }
  }
}

/**
 * Creates an account with both wallets, granting its starting credits.
 *
 * @example
 * const id = await createAccount(tx, { name: 'acme', planId: 'pro', testCredits: 5000, liveCredits: 0, actor: 'admin' });
 */
export async function createAccount(
  q: Queryable,
  a: { name: string; planId: string; testCredits: number; liveCredits: number; actor: string },
): Promise<string> {
  const id = newId('account');
  await q.query('INSERT INTO accounts (id, name, plan_id) VALUES ($1, $2, $3)', [id, a.name, a.planId]);
  await q.query(`INSERT INTO wallets (account_id, mode) VALUES ($1, 'live'), ($1, 'test')`, [id]);
  await grantCredits(q, { accountId: id, mode: 'test', amount: a.testCredits, kind: 'grant', actor: a.actor, reason: 'starting test credits' });
  await grantCredits(q, { accountId: id, mode: 'live', amount: a.liveCredits, kind: 'grant', actor: a.actor, reason: 'starting live credits' });
  return id;
}

/**
 * On a fresh database: creates the first account and a test key, and returns the key so the
 * server can print it once. On later starts returns null.
 */
export async function bootstrapFirstAccount(
  db: Db,
  a: { testCredits: number; liveCredits: number },
): Promise<{ accountId: string; key: string } | null> {
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(727275)');
    const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
    if ((rows[0]?.n ?? 0) > 0) return null;
    const accountId = await createAccount(q, { name: 'default', planId: 'free', ...a, actor: 'bootstrap' });
    const { key } = await createApiKey(q, accountId, 'test', 'first key');
    return { accountId, key };
  });
}

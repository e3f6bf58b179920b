/**
 * The operator's view of accounts, keys, credits and plans: one service behind both `/admin` HTTP
 * routes and the `reelay` CLI, so the two can never disagree.
 */
import type { Db } from '../db/index.js';
import { AppError } from '../errors.js';
import { createAccount } from './accounts.js';
import { createApiKey, revokeApiKey, type KeyMode } from './keys.js';
import { grantCredits, readWallets, type WalletView } from './wallet.js';
import { marginReport, parseSince, type MarginReport } from './margins.js';

export interface AccountView {
  id: string;
  name: string;
  plan: string;
  createdAt: string;
  disabled: boolean;
  credits: Record<KeyMode, Omit<WalletView, 'mode'>>;
}

export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  mode: KeyMode;
  createdAt: string;
  revokedAt: string | null;
}

export interface LedgerEntry {
  id: number;
  mode: KeyMode;
  kind: string;
  from: string;
  to: string;
  amount: number;
  jobId: string | null;
  actor: string;
  reason: string;
  createdAt: string;
}

export interface PlanView {
  id: string;
  name: string;
  monthlyCredits: number;
  concurrency: number;
  rateLimitPerMinute: number;
}

export class AdminService {
  /** `usdPerCredit` turns credits into revenue for the margins report. */
  constructor(
    private readonly db: Db,
    private readonly usdPerCredit = 0.01,
  ) {}

  /**
   * Revenue against upstream cost since `since` (`7d`, `24h`, an ISO date), per day, model and provider.
   *
   * @example
   * const r = await admin.margins('7d'); // r.totals.marginUsd
   */
  async margins(since: string): Promise<MarginReport> {
    return marginReport(this.db, { since: parseSince(since), usdPerCredit: this.usdPerCredit });
  }

  private async requireAccount(id: string): Promise<{ id: string; name: string; plan_id: string; created_at: Date; disabled_at: Date | null }> {
    const { rows } = await this.db.query<{ id: string; name: string; plan_id: string; created_at: Date; disabled_at: Date | null }>(
      'SELECT id, name, plan_id, created_at, disabled_at FROM accounts WHERE id = $1',
      [id],
    );
    if (!rows[0]) throw new AppError('not_found', `No account ${id}`);
    return rows[0];
  }

  private async requirePlan(id: string): Promise<void> {
    const { rows } = await this.db.query('SELECT 1 FROM plans WHERE id = $1', [id]);
    if (!rows[0]) throw new AppError('validation_error', `Unknown plan "${id}"`, { fields: { plan: [`Unknown plan "${id}"`] } });
  }

  async getAccount(id: string): Promise<AccountView> {
    const a = await this.requireAccount(id);
    const wallets = await readWallets(this.db, id);
    const credits = { live: { available: 0, held: 0, spent: 0 }, test: { available: 0, held: 0, spent: 0 } };
    for (const w of wallets) credits[w.mode] = { available: w.available, held: w.held, spent: w.spent };
    return { id: a.id, name: a.name, plan: a.plan_id, createdAt: a.created_at.toISOString(), disabled: a.disabled_at !== null, credits };
  }

  async listAccounts(): Promise<AccountView[]> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM accounts ORDER BY created_at, id');
    return Promise.all(rows.map((r) => this.getAccount(r.id)));
  }

  /**
   * @example
   * const { account, key } = await admin.createAccount({ name: 'acme', plan: 'pro', testCredits: 5000, liveCredits: 0, actor: 'admin' });
   */
  async createAccount(a: { name: string; plan: string; testCredits: number; liveCredits: number; actor: string; withKey?: KeyMode }): Promise<{ account: AccountView; key: string | null }> {
    await this.requirePlan(a.plan);
    const out = await this.db.tx(async (q) => {
      const id = await createAccount(q, { name: a.name, planId: a.plan, testCredits: a.testCredits, liveCredits: a.liveCredits, actor: a.actor });
      const key = a.withKey ? (await createApiKey(q, id, a.withKey, 'first key')).key : null;
      return { id, key };
    });
    return { account: await this.getAccount(out.id), key: out.key };
  }

  async updateAccount(id: string, patch: { plan?: string | undefined; disabled?: boolean | undefined; name?: string | undefined }): Promise<AccountView> {
    await this.requireAccount(id);
    // `!== undefined`: an empty plan is an unknown plan (it was skipped, and the rest applied).
    if (patch.plan !== undefined) {
      await this.requirePlan(patch.plan);
      await this.db.query('UPDATE accounts SET plan_id = $2 WHERE id = $1', [id, patch.plan]);
    }
    if (patch.name) await this.db.query('UPDATE accounts SET name = $2 WHERE id = $1', [id, patch.name]);
    if (patch.disabled !== undefined) {
      await this.db.query('UPDATE accounts SET disabled_at = CASE WHEN $2 THEN now() ELSE NULL END WHERE id = $1', [id, patch.disabled]);
    }
    return this.getAccount(id);
  }

  async createKey(accountId: string, mode: KeyMode, name: string): Promise<KeyView & { key: string }> {
    await this.requireAccount(accountId);
    const k = await createApiKey(this.db, accountId, mode, name);
    return { id: k.id, name: k.name, prefix: k.prefix, mode: k.mode, createdAt: new Date().toISOString(), revokedAt: null, key: k.key };
  }

  /** How many unrevoked keys of `mode` the account holds. */
  async activeKeyCount(accountId: string, mode: KeyMode): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_keys WHERE account_id = $1 AND mode = $2 AND revoked_at IS NULL',
      [accountId, mode],
    );
    return rows[0]?.n ?? 0;
  }

  /** Every key of the account (the operator's view), or only one mode's (an API key's own view). */
  async listKeys(accountId: string, mode?: KeyMode): Promise<KeyView[]> {
    await this.requireAccount(accountId);
    const { rows } = await this.db.query<{ id: string; name: string; prefix: string; mode: KeyMode; created_at: Date; revoked_at: Date | null }>(
      `SELECT id, name, prefix, mode, created_at, revoked_at FROM api_keys
        WHERE account_id = $1 AND ($2::text IS NULL OR mode = $2) ORDER BY created_at, id`,
      [accountId, mode ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      mode: r.mode,
      createdAt: r.created_at.toISOString(),
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }

  /** Revokes a key; with `mode`, only a key of that mode (another mode's key answers 404). */
  async revokeKey(accountId: string, keyId: string, mode?: KeyMode): Promise<void> {
    if (!(await revokeApiKey(this.db, accountId, keyId, mode))) throw new AppError('not_found', `No active key ${keyId} on this account`);
  }

  /**
   * Adds (positive) or removes (negative) available credits with a reason. A removal larger than
   * what is available is refused: balances never go below zero (nor past 2^53 - 1).
   */
  async adjustCredits(accountId: string, a: { mode: KeyMode; amount: number; reason: string; actor: string }): Promise<AccountView> {
    await this.requireAccount(accountId);
    if (!Number.isSafeInteger(a.amount) || a.amount === 0) {
      throw new AppError('validation_error', 'amount must be a non-zero integer', { fields: { amount: ['Must be a non-zero integer'] } });
    }
    if (!a.reason.trim()) throw new AppError('validation_error', 'A reason is required', { fields: { reason: ['Required'] } });
    const ok = await this.db.tx((q) =>
      grantCredits(q, { accountId, mode: a.mode, amount: a.amount, kind: a.amount > 0 ? 'grant' : 'adjust', actor: a.actor, reason: a.reason }),
    );
    if (!ok && a.amount > 0) throw new AppError('conflict', `Available credits are at most ${Number.MAX_SAFE_INTEGER}; this grant would pass that`);
    if (!ok) throw new AppError('conflict', 'The account does not have that many available credits to remove');
    return this.getAccount(accountId);
  }

  /** Newest first; every mode for the operator, one mode for an API key (`opts.mode`). */
  async ledger(
    accountId: string,
    opts: { limit: number; before?: number | undefined; mode?: KeyMode | undefined },
  ): Promise<{ entries: LedgerEntry[]; nextBefore: number | null }> {
    await this.requireAccount(accountId);
    const { rows } = await this.db.query<{
      id: number;
      mode: KeyMode;
      kind: string;
      from_book: string;
      to_book: string;
      amount: number;
      job_id: string | null;
      actor: string;
      reason: string;
      created_at: Date;
    }>(
      `SELECT * FROM ledger WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2) AND ($4::text IS NULL OR mode = $4)
        ORDER BY id DESC LIMIT $3`,
      [accountId, opts.before ?? null, opts.limit + 1, opts.mode ?? null],
    );
    const page = rows.slice(0, opts.limit);
    return {
      entries: page.map((r) => ({
        id: r.id,
        mode: r.mode,
        kind: r.kind,
        from: r.from_book,
        to: r.to_book,
        amount: r.amount,
        jobId: r.job_id,
        actor: r.actor,
        reason: r.reason,
        createdAt: r.created_at.toISOString(),
      })),
      nextBefore: rows.length > opts.limit ? page[page.length - 1]!.id : null,
    };
  }

  async listPlans(): Promise<PlanView[]> {
    const { rows } = await this.db.query<{ id: string; name: string; monthly_credits: number; concurrency: number; rate_limit_per_minute: number }>(
      'SELECT * FROM plans ORDER BY monthly_credits, id',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, monthlyCredits: r.monthly_credits, concurrency: r.concurrency, rateLimitPerMinute: r.rate_limit_per_minute }));
  }

  async upsertPlan(p: PlanView): Promise<PlanView> {
    await this.db.query(
      `INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name = $2, monthly_credits = $3, concurrency = $4, rate_limit_per_minute = $5, updated_at = now()`,
      [p.id, p.name, p.monthlyCredits, p.concurrency, p.rateLimitPerMinute],
    );
    return p;
  }
}

import type { AccountView, AdminService, KeyView, LedgerEntry, MarginReport, PlanView, KeyMode } from '../billing/index.js';
import { AppError, type ErrorCode } from '../errors.js';

/** What the CLI's admin commands need; `AdminService` (local database) and `HttpAdmin` (remote) both provide it. */
export type AdminApi = Pick<
  AdminService,
  'listAccounts' | 'createAccount' | 'getAccount' | 'updateAccount' | 'listKeys' | 'createKey' | 'revokeKey' | 'adjustCredits' | 'ledger' | 'listPlans' | 'margins'
> & { runGrants(): Promise<{ granted: number }> };

/** The `/admin` HTTP API, for admin commands against a remote server with the admin token. */
export class HttpAdmin implements AdminApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl.replace(/\/+$/, '') + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new AppError('unavailable', `Cannot reach Reelay at ${this.baseUrl}: ${(err as Error).message}`);
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new AppError((json.code as ErrorCode | undefined) ?? 'internal', String(json.error ?? res.statusText));
    return json as T;
  }

  margins(since: string): Promise<MarginReport> {
    return this.call('GET', `/admin/reports/margins?${new URLSearchParams({ since })}`);
  }
  async listAccounts(): Promise<AccountView[]> {
    return (await this.call<{ accounts: AccountView[] }>('GET', '/admin/accounts')).accounts;
  }
  createAccount(a: { name: string; plan: string; testCredits: number; liveCredits: number; withKey?: KeyMode }): Promise<{ account: AccountView; key: string | null }> {
    return this.call('POST', '/admin/accounts', { name: a.name, plan: a.plan, testCredits: a.testCredits, liveCredits: a.liveCredits, ...(a.withKey ? { withKey: a.withKey } : {}) });
  }
  getAccount(id: string): Promise<AccountView> {
    return this.call('GET', `/admin/accounts/${encodeURIComponent(id)}`);
  }
  updateAccount(id: string, patch: { plan?: string; disabled?: boolean; name?: string }): Promise<AccountView> {
    return this.call('PATCH', `/admin/accounts/${encodeURIComponent(id)}`, patch);
  }
  async listKeys(accountId: string): Promise<KeyView[]> {
    return (await this.call<{ keys: KeyView[] }>('GET', `/admin/accounts/${encodeURIComponent(accountId)}/keys`)).keys;
  }
  createKey(accountId: string, mode: KeyMode, name: string): Promise<KeyView & { key: string }> {
    return this.call('POST', `/admin/accounts/${encodeURIComponent(accountId)}/keys`, { mode, name });
  }
  async revokeKey(accountId: string, keyId: string): Promise<void> {
    await this.call('DELETE', `/admin/accounts/${encodeURIComponent(accountId)}/keys/${encodeURIComponent(keyId)}`);
  }
  adjustCredits(accountId: string, a: { mode: KeyMode; amount: number; reason: string }): Promise<AccountView> {
    return this.call('POST', `/admin/accounts/${encodeURIComponent(accountId)}/credits`, { mode: a.mode, amount: a.amount, reason: a.reason });
  }
  ledger(accountId: string, opts: { limit: number; before?: number | undefined }): Promise<{ entries: LedgerEntry[]; nextBefore: number | null }> {
    const q = new URLSearchParams({ limit: String(opts.limit), ...(opts.before ? { before: String(opts.before) } : {}) });
    return this.call('GET', `/admin/accounts/${encodeURIComponent(accountId)}/ledger?${q}`);
  }
  async listPlans(): Promise<PlanView[]> {
    return (await this.call<{ plans: PlanView[] }>('GET', '/admin/plans')).plans;
  }
  runGrants(): Promise<{ granted: number }> {
    return this.call('POST', '/admin/grants/run');
  }
}

/**
 * Operator commands: accounts, keys, credits, plans, ledger, grants. They work against a remote
 * server's `/admin` API when `--url`/REELAY_URL and an admin token are given, otherwise directly
 * against the local database (the embedded PGlite in REELAY_DATA_DIR, or DATABASE_URL).
 */
import { loadClientSettings, loadConfig } from '../config.js';
import { migrate, openDb } from '../db/index.js';
import { AdminService, applyMonthlyGrants, seedPlans, type KeyMode } from '../billing/index.js';
import { AppError } from '../errors.js';
import { exitCodeFor, flag, type Args } from './args.js';
import { HttpAdmin, type AdminApi } from './http-admin.js';

type Out = (value: unknown, human: string) => void;

function need(args: Args, i: number, what: string): string {
  const v = args.positionals[i];
  if (!v) throw new AppError('validation_error', `missing ${what}; see: reelay help`);
  return v;
}

function modeOf(args: Args, dflt: KeyMode): KeyMode {
  const m = flag(args, 'mode') ?? dflt;
  if (m !== 'live' && m !== 'test') throw new AppError('validation_error', '--mode must be live or test');
  return m;
}

function int(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new AppError('validation_error', `${what} must be an integer, got "${v}"`);
  return n;
}

async function run(admin: AdminApi, group: string, args: Args, out: Out): Promise<void> {
  const sub = args.positionals[0] ?? '';
  if (group === 'ledger') {
    const l = await admin.ledger(need(args, 0, 'account id'), { limit: int(flag(args, 'limit') ?? '50', '--limit') });
    out(l, l.entries.map((e) => `${e.createdAt}  ${e.mode}  ${e.kind.padEnd(7)} ${String(e.amount).padStart(7)}  ${e.from}→${e.to}  ${e.reason}${e.jobId ? `  job ${e.jobId}` : ''}`).join('\n') || '(no entries)');
    return;
  }
  switch (`${group} ${sub}`) {
    case 'accounts list': {
      const accounts = await admin.listAccounts();
      out(accounts, accounts.map((a) => `${a.id}  ${a.name}  plan=${a.plan}  test=${a.credits.test.available}  live=${a.credits.live.available}${a.disabled ? '  DISABLED' : ''}`).join('\n'));
      return;
    }
    case 'accounts create': {
      const r = await admin.createAccount({
        name: need(args, 1, 'account name'),
        plan: flag(args, 'plan') ?? 'free',
        testCredits: int(flag(args, 'test-credits') ?? '5000', '--test-credits'),
        liveCredits: int(flag(args, 'live-credits') ?? '0', '--live-credits'),
        actor: 'cli',
        withKey: modeOf(args, 'test'),
      });
      out(r, `created ${r.account.id} (${r.account.name}, plan ${r.account.plan})\nkey (shown once): ${r.key}`);
      return;
    }
    case 'accounts show': {
      const a = await admin.getAccount(need(args, 1, 'account id'));
      out(a, JSON.stringify(a, null, 2));
      return;
    }
    case 'accounts set-plan': {
      const a = await admin.updateAccount(need(args, 1, 'account id'), { plan: need(args, 2, 'plan id') });
      out(a, `${a.id} is now on plan ${a.plan}`);
      return;
    }
    case 'keys list': {
      const keys = await admin.listKeys(need(args, 1, 'account id'));
      out(keys, keys.map((k) => `${k.id}  ${k.prefix}…  ${k.mode}  ${k.name}${k.revokedAt ? '  revoked' : ''}`).join('\n'));
      return;
    }
    case 'keys create': {
      const k = await admin.createKey(need(args, 1, 'account id'), modeOf(args, 'test'), flag(args, 'name') ?? '');
      out(k, `key (shown once): ${k.key}`);
      return;
    }
    case 'keys revoke': {
      await admin.revokeKey(need(args, 1, 'account id'), need(args, 2, 'key id'));
      out({ revoked: true }, 'revoked');
      return;
    }
    case 'credits show': {
      const a = await admin.getAccount(need(args, 1, 'account id'));
      out(a.credits, Object.entries(a.credits).map(([m, c]) => `${m}: available ${c.available}, held ${c.held}, spent ${c.spent}`).join('\n'));
      return;
    }
    case 'credits grant': {
      const reason = flag(args, 'reason');
      if (!reason) throw new AppError('validation_error', '--reason is required');
      const a = await admin.adjustCredits(need(args, 1, 'account id'), { mode: modeOf(args, 'live'), amount: int(need(args, 2, 'amount'), 'amount'), reason, actor: 'cli' });
      out(a.credits, `balance now: live ${a.credits.live.available}, test ${a.credits.test.available}`);
      return;
    }
    case 'plans list': {
      const plans = await admin.listPlans();
      out(plans, plans.map((p) => `${p.id}  monthly=${p.monthlyCredits}  concurrency=${p.concurrency}  rpm=${p.rateLimitPerMinute}`).join('\n'));
      return;
    }
    case 'grants run': {
      const g = await admin.runGrants();
      out(g, `granted to ${g.granted} account(s)`);
      return;
    }
    default:
      throw new AppError('validation_error', `unknown command "${group} ${sub}"; see: reelay help`);
  }
}

/** Runs one admin command; returns the process exit code. */
export async function adminCommand(group: string, args: Args): Promise<number> {
  const json = args.flags.json === true;
  const out: Out = (value, human) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human}\n`);
  const client = loadClientSettings(process.env, { url: flag(args, 'url'), adminToken: flag(args, 'admin-token') });
  try {
    if (client.urlGiven && client.adminToken) {
      await run(new HttpAdmin(client.url, client.adminToken), group, args, out);
      return 0;
    }
    const config = loadConfig();
    const db = await openDb(config);
    try {
      await migrate(db);
      await seedPlans(db, config.plans ?? []);
      const local = new AdminService(db);
      const api: AdminApi = Object.assign(local, { runGrants: () => applyMonthlyGrants(db, new Date(), 'cli') });
      await run(api, group, args, out);
      return 0;
    } finally {
      await db.close();
    }
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`reelay: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    throw err;
  }
}

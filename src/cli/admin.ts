/**
 * Operator commands: accounts, keys, credits, plans, ledger, grants, report. They work against a remote
 * server's `/admin` API when `--url`/REELAY_URL and an admin token are given, otherwise directly
 * against the local database (the embedded PGlite in REELAY_DATA_DIR, or DATABASE_URL).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientSettings, loadConfig, type Config } from '../config.js';
import { migrate, openDb, type Db } from '../db/index.js';
import { AdminService, applyMonthlyGrants, seedPlans, type KeyMode } from '../billing/index.js';
import { AppError } from '../errors.js';
import { EXIT, exitCodeFor, flag, has, UsageError, type Args } from './args.js';
import { HttpAdmin, type AdminApi } from './http-admin.js';

type Out = (value: unknown, human: string) => void;

function need(args: Args, i: number, what: string, group: string): string {
  const v = args.positionals[i];
  if (!v) throw new UsageError(`reelay ${group}: missing ${what}; see: reelay help ${group}`);
  return v;
}

/**
 * An account named by id (`acct_…`) or by name: operators remember "default" and "acme", not ids.
 * Names are not unique, so an ambiguous name is refused with the ids to choose from.
 */
export async function resolveAccount(admin: Pick<AdminApi, 'listAccounts'>, ref: string): Promise<string> {
  if (/^acct_/.test(ref)) return ref;
  const all = await admin.listAccounts();
  const named = all.filter((a) => a.name === ref);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    throw new UsageError(`${named.length} accounts are named "${ref}"; use an id instead: ${named.map((a) => `${a.id} (plan ${a.plan}, created ${a.createdAt})`).join(', ')}`);
  }
  throw new AppError('not_found', `No account with id or name "${ref}"; see: reelay accounts list`);
}

function modeOf(args: Args, dflt: KeyMode): KeyMode {
  const m = flag(args, 'mode') ?? dflt;
  if (m !== 'live' && m !== 'test') throw new UsageError(`--mode must be live or test, got "${m}"`);
  return m;
}

function int(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} must be an integer, got "${v}"`);
  return n;
}

async function run(admin: AdminApi, group: string, args: Args, out: Out): Promise<void> {
  const sub = args.positionals[0] ?? '';
  const arg = (i: number, what: string): string => need(args, i, what, group);
  const account = async (i: number): Promise<string> => resolveAccount(admin, arg(i, 'account (id or name)'));
  if (group === 'ledger') {
    const l = await admin.ledger(await account(0), { limit: int(flag(args, 'limit') ?? '50', '--limit') });
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
        name: arg(1, 'account name'),
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
      const a = await admin.getAccount(await account(1));
      out(a, JSON.stringify(a, null, 2));
      return;
    }
    case 'accounts set-plan': {
      const a = await admin.updateAccount(await account(1), { plan: arg(2, 'plan id') });
      out(a, `${a.id} is now on plan ${a.plan}`);
      return;
    }
    case 'keys list': {
      const keys = await admin.listKeys(await account(1));
      out(keys, keys.map((k) => `${k.id}  ${k.prefix}…  ${k.mode}  ${k.name}${k.revokedAt ? '  revoked' : ''}`).join('\n'));
      return;
    }
    case 'keys create': {
      const k = await admin.createKey(await account(1), modeOf(args, 'test'), flag(args, 'name') ?? '');
      out(k, `key (shown once): ${k.key}`);
      return;
    }
    case 'keys revoke': {
      await admin.revokeKey(await account(1), arg(2, 'key id'));
      out({ revoked: true }, 'revoked');
      return;
    }
    case 'credits show': {
      const a = await admin.getAccount(await account(1));
      out(a.credits, Object.entries(a.credits).map(([m, c]) => `${m}: available ${c.available}, held ${c.held}, spent ${c.spent}`).join('\n'));
      return;
    }
    case 'credits grant': {
      const reason = flag(args, 'reason');
      if (!reason) throw new UsageError('reelay credits grant: --reason is required (it is written to the ledger); see: reelay help credits');
      const a = await admin.adjustCredits(await account(1), { mode: modeOf(args, 'live'), amount: int(arg(2, 'amount'), 'amount'), reason, actor: 'cli' });
      out(a.credits, `balance now: live ${a.credits.live.available}, test ${a.credits.test.available}`);
      return;
    }
    case 'plans list': {
      const plans = await admin.listPlans();
      out(plans, plans.map((p) => `${p.id}  monthly=${p.monthlyCredits}  concurrency=${p.concurrency}  rpm=${p.rateLimitPerMinute}`).join('\n'));
      return;
    }
    case 'report margins': {
      const r = await admin.margins(flag(args, 'since') ?? '7d');
      const usd = (x: number) => `$${x.toFixed(2)}`;
      const pct = (x: number | null) => (x === null ? '   –' : `${Math.round(x * 100)}%`.padStart(4));
      const lines = r.rows.map(
        (x) => `${x.day}  ${x.model.padEnd(16)} ${x.provider.padEnd(10)} ${String(x.jobs).padStart(5)}  ${usd(x.revenueUsd).padStart(10)}  ${usd(x.costUsd).padStart(10)}  ${usd(x.marginUsd).padStart(10)}  ${pct(x.marginRatio)}${x.uncosted ? `  (${x.uncosted} without a cost)` : ''}`,
      );
      const t = r.totals;
      out(
        r,
        [
          `live videos since ${r.since} (1 credit = $${r.usdPerCredit})`,
          `day         model            provider    jobs     revenue        cost      margin`,
          ...(lines.length ? lines : ['(no completed live jobs)']),
          `total${' '.repeat(29)}${String(t.jobs).padStart(5)}  ${usd(t.revenueUsd).padStart(10)}  ${usd(t.costUsd).padStart(10)}  ${usd(t.marginUsd).padStart(10)}  ${pct(t.marginRatio)}`,
        ].join('\n'),
      );
      return;
    }
    case 'grants run': {
      const g = await admin.runGrants();
      out(g, `granted to ${g.granted} account(s)`);
      return;
    }
    default:
      throw new UsageError(`unknown command "reelay ${group} ${sub}"; see: reelay help ${group}`);
  }
}

/** An argument as it would be typed in a POSIX shell, for commands the CLI suggests. */
function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}

/**
 * Opens the local database for an admin command, or explains why not: an operator who runs the CLI
 * in the wrong folder must not get a fresh empty database (and exit 0), and one whose server holds
 * the embedded database must learn to go through that server instead.
 */
async function openLocal(config: Config, serverUrl: string): Promise<Db> {
  if (!config.databaseUrl && !existsSync(join(config.dataDir, 'pg'))) {
    throw new AppError(
      'not_found',
      [
        `No Reelay database in ${config.dataDir}.`,
        'Run this command where the server keeps its data (the folder you ran `npm start` in), or point it there:',
        '  REELAY_DATA_DIR=/path/to/data reelay …     (or DATABASE_URL=postgres://… for a PostgreSQL server)',
        'To start a new installation here, run `npm start` once (or `reelay migrate` for an empty database).',
      ].join('\n'),
    );
  }
  try {
    return await openDb(config);
  } catch (err) {
    const owner = /in use by process (\d+)/.exec((err as Error).message)?.[1];
    if (!owner) throw err;
    throw new AppError(
      'unavailable',
      [
        `The database in ${config.dataDir} is in use by a running Reelay (process ${owner}); the embedded database allows one process at a time.`,
        "Use that server's admin API instead, with the admin token it was started with:",
        `  REELAY_URL=${serverUrl} REELAY_ADMIN_TOKEN=<the server's REELAY_ADMIN_TOKEN> reelay ${process.argv.slice(2).map(shellQuote).join(' ')}`,
        '(a server started without REELAY_ADMIN_TOKEN has no admin API: restart it with one, at least 16 characters), or stop the server first.',
      ].join('\n'),
    );
  }
}

/** Runs one admin command; returns the process exit code. */
export async function adminCommand(group: string, args: Args): Promise<number> {
  const json = has(args, 'json');
  const out: Out = (value, human) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human}\n`);
  const client = loadClientSettings(process.env, { url: flag(args, 'url'), adminToken: flag(args, 'admin-token') });
  try {
    if (client.urlGiven && client.adminToken) {
      await run(new HttpAdmin(client.url, client.adminToken), group, args, out);
      return EXIT.ok;
    }
    const config = loadConfig();
    const db = await openLocal(config, client.url);
    try {
      await migrate(db);
      await seedPlans(db, config.plans ?? []);
      const local = new AdminService(db, config.usdPerCredit);
      const api: AdminApi = Object.assign(local, { runGrants: () => applyMonthlyGrants(db, new Date(), 'cli') });
      await run(api, group, args, out);
      return EXIT.ok;
    } finally {
      await db.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`reelay: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof AppError) {
      process.stderr.write(`reelay: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    throw err;
  }
}

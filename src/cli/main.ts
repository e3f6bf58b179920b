/**
 * `reelay` command line: `serve`, `migrate`, the client commands (`generate`, `jobs`) and the admin
 * commands. Every command's options are declared in OPTIONS and parsed strictly before it runs.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createReelay } from '../server.js';
import { adminCommand } from './admin.js';
import { generateCommand, jobsCommand } from './generate.js';
import { EXIT, flag, has, parseCommandArgs, UsageError, type Args, type OptionSpec } from './args.js';

function banner(config: Config, address: string, key: string | null): string {
  const port = new URL(address).port;
  const base = config.publicUrl ?? `http://localhost:${port}`;
  const lines = [
    '',
    `Reelay is listening on ${base}  (data in ${config.dataDir}, database: ${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite'})`,
  ];
  if (key) {
    lines.push(
      '',
      'A first account was created with 5,000 test credits. Its test API key (shown only this once):',
      '',
      `  ${key}`,
      '',
      'Make your first video (test keys render locally with the sandbox engine):',
      '',
      `  curl -s -X POST ${base}/v2/videos/generate \\`,
      `    -H "X-API-Key: ${key}" -H "Content-Type: application/json" \\`,
      `    -d '{"prompt": "cinematic aerial shot of a medieval castle at dawn [Push in]", "model": "hailuo-2.3", "hailuoParams": {"duration": 6, "resolution": "768p"}}'`,
      '',
      `  curl -s ${base}/v2/jobs/<jobId> -H "X-API-Key: ${key}"     # poll until "status": "COMPLETED", then open result.videoUrl`,
      '',
    );
  }
  return lines.join('\n');
}

async function serve(args: Args): Promise<void> {
  const role = flag(args, 'role');
  if (role !== undefined && !['all', 'api', 'worker'].includes(role)) throw new UsageError(`reelay serve: --role must be all, api or worker, got "${role}"; see: reelay help serve`);
  const config = loadConfig(process.env, role ? { role: role as Config['role'] } : {});
  const reelay = await createReelay(config);
  reelay.start();
  const address = await reelay.listen();
  if (address && config.printBanner) process.stdout.write(`${banner(config, address, reelay.firstKey)}\n`);
  if (!address) process.stdout.write(`Reelay worker ${reelay.worker?.id ?? ''} started (role worker, database: ${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite'})\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    reelay.log.info({ signal }, 'shutting down');
    reelay
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        reelay.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Each command's usage lines (`reelay help <command>`, `reelay <command> --help`). */
const HELP: Record<string, string> = {
  serve: '  serve [--role all|api|worker]        start the API and/or workers',
  migrate: '  migrate                              create the database (or bring it up to date)',
  generate: `  generate "prompt" [--image file-or-url] [--model hailuo-2.3] [--duration 6|10] [--resolution 768p|1080p]
           [--out clip.mp4] [--no-wait] [--no-prompt-optimizer] [--json] [--url U] [--key K]
                                       submit, show progress, download the MP4; Ctrl-C asks whether to cancel the job`,
  jobs: '  jobs list [--status S] [--limit N] | show <id> | cancel <id>   [--json] [--url U] [--key K]',
  accounts: `  accounts list | create <name> [--plan free] [--test-credits 5000] [--live-credits 0] [--mode test|live]
  accounts show <account> | set-plan <account> <plan>`,
  keys: '  keys list <account> | create <account> [--mode test|live] [--name n] | revoke <account> <key-id>',
  credits: '  credits show <account> | grant <account> <amount> --reason "…" [--mode live|test]   (negative amounts remove)',
  ledger: '  ledger <account> [--limit 50]',
  plans: '  plans list',
  grants: '  grants run                           apply this month\'s plan grants (idempotent)',
  report: '  report margins [--since 7d]          revenue against upstream cost per day, model and provider (live videos)',
};

const FOOTER = `<account> is an account id (acct_…) or its name.
Client commands use REELAY_URL (default http://localhost:8080) and REELAY_API_KEY (or --url, --key).
Admin commands (accounts, keys, credits, ledger, plans, grants, report; all take --json, --url, --admin-token) use the
server's /admin API when REELAY_URL (or --url) and REELAY_ADMIN_TOKEN (or --admin-token) are set, otherwise the
local database (REELAY_DATA_DIR, default ./data, or DATABASE_URL) when no server holds it.
Exit codes: 0 ok, 1 job failed or cancelled, 2 bad usage (unknown option, missing argument) or invalid request,
3 not found (also: no database in REELAY_DATA_DIR), 4 bad key or token, 5 server unreachable or unavailable
(also: the local database is in use by a running server), 6 insufficient credits, 130 interrupted (Ctrl-C).
`;

function usage(command?: string): string {
  if (command && HELP[command]) return `usage: reelay\n${HELP[command]}\n\n${FOOTER}`;
  return `usage: reelay <command>\n${Object.values(HELP).join('\n')}\n${FOOTER}`;
}

const CLIENT: OptionSpec = { url: 'string', key: 'string', json: 'boolean' };
const ADMIN: OptionSpec = { url: 'string', 'admin-token': 'string', json: 'boolean' };
/** The options each command accepts; anything else is a usage error before any work is done. */
const OPTIONS: Record<string, OptionSpec> = {
  serve: { role: 'string' },
  migrate: {},
  generate: { ...CLIENT, image: 'string', model: 'string', duration: 'string', resolution: 'string', out: 'string', 'no-wait': 'boolean', 'no-prompt-optimizer': 'boolean' },
  jobs: { ...CLIENT, status: 'string', limit: 'string' },
  accounts: { ...ADMIN, plan: 'string', 'test-credits': 'string', 'live-credits': 'string', mode: 'string' },
  keys: { ...ADMIN, mode: 'string', name: 'string' },
  credits: { ...ADMIN, mode: 'string', reason: 'string' },
  ledger: { ...ADMIN, limit: 'string' },
  plans: ADMIN,
  grants: ADMIN,
  report: { ...ADMIN, since: 'string' },
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const cmd = first ?? 'serve';
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = rest[0];
    if (topic && !HELP[topic]) {
      process.stderr.write(`reelay: no help for "${topic}"; try: reelay help\n`);
      return EXIT.usage;
    }
    process.stdout.write(usage(topic));
    return EXIT.ok;
  }
  const spec = OPTIONS[cmd];
  if (!spec) {
    process.stderr.write(`reelay: unknown command "${cmd}"; try: reelay help\n`);
    return EXIT.usage;
  }
  let args: Args;
  try {
    args = parseCommandArgs(cmd, rest, spec);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return EXIT.usage;
  }
  if (has(args, 'help')) {
    process.stdout.write(usage(cmd));
    return EXIT.ok;
  }
  switch (cmd) {
    case 'serve':
      await serve(args);
      return -1; // keep running
    case 'migrate': {
      const { openDb, migrate } = await import('../db/index.js');
      const config = loadConfig();
      const db = await openDb(config);
      const applied = await migrate(db);
      await db.close();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return EXIT.ok;
    }
    case 'generate':
      return generateCommand(args);
    case 'jobs':
      return jobsCommand(args);
    default:
      return adminCommand(cmd, args);
  }
}

main(process.argv.slice(2))
  .then((code) => {
    if (code >= 0) process.exit(code);
  })
  .catch((err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT.usage);
    } else process.stderr.write(`reelay: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });

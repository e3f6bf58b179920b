/**
 * `reelay` command line. `serve` starts the API and workers; more commands arrive with the CLI work.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createReelay } from '../server.js';
import { adminCommand } from './admin.js';
import { generateCommand, jobsCommand } from './generate.js';
import { parseArgs } from './args.js';

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

async function serve(args: string[]): Promise<void> {
  const roleArg = args.find((a) => a.startsWith('--role='))?.split('=')[1] ?? (args.includes('--role') ? args[args.indexOf('--role') + 1] : undefined);
  const config = loadConfig(process.env, roleArg ? { role: roleArg as Config['role'] } : {});
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

const USAGE = `usage: reelay <command>
  serve [--role all|api|worker]        start the API and/or workers
  migrate                              apply database migrations
  generate "prompt" [--image file-or-url] [--model hailuo-2.3] [--duration 6|10] [--resolution 768p|1080p]
           [--out clip.mp4] [--no-wait] [--json]     submit, show progress, download the MP4
  jobs list [--status S] [--limit N] | show <id> | cancel <id>   [--json]
  accounts list | create <name> [--plan free] [--test-credits 5000] [--live-credits 0] [--mode test]
  accounts show <account> | set-plan <account> <plan>
  keys list <account> | create <account> [--mode test|live] [--name n] | revoke <account> <key-id>
  credits show <account> | grant <account> <amount> --reason "…" [--mode live|test]   (negative amounts remove)
  ledger <account> [--limit 50]
  plans list
  grants run                           apply this month's plan grants (idempotent)
Client commands use REELAY_URL (default http://localhost:8080) and REELAY_API_KEY (or --url, --key).
Admin commands use the server's /admin API when REELAY_URL (or --url) and REELAY_ADMIN_TOKEN (or --admin-token)
are set, otherwise the local database (REELAY_DATA_DIR or DATABASE_URL). --json prints JSON.
Exit codes: 0 ok, 1 job failed or cancelled, 2 bad usage or invalid request, 3 not found, 4 bad key or token,
5 server unreachable or unavailable, 6 insufficient credits, 130 interrupted.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'serve':
    case undefined:
      await serve(rest);
      return -1; // keep running
    case 'migrate': {
      const { openDb, migrate } = await import('../db/index.js');
      const config = loadConfig();
      const db = await openDb(config);
      const applied = await migrate(db);
      await db.close();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return 0;
    }
    case 'generate':
      return generateCommand(parseArgs(rest));
    case 'jobs':
      return jobsCommand(parseArgs(rest));
    case 'accounts':
    case 'keys':
    case 'credits':
    case 'ledger':
    case 'plans':
    case 'grants':
      return adminCommand(cmd, parseArgs(rest));
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`reelay: unknown command "${cmd}"; try: reelay help\n`);
      return 2;
  }
}

main(process.argv.slice(2))
  .then((code) => {
    if (code >= 0) process.exit(code);
  })
  .catch((err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`reelay: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });

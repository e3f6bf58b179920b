/** A small argv parser: `--flag value`, `--flag=value`, `--bool`, positionals. */
export interface Args {
  positionals: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[]): Args {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          flags[a.slice(2)] = next;
          i++;
        } else flags[a.slice(2)] = true;
      }
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export function flag(args: Args, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** Exit codes scripts can rely on (documented in `reelay help` and the README). */
export const EXIT = { ok: 0, jobFailed: 1, usage: 2, notFound: 3, auth: 4, unavailable: 5, credits: 6, interrupted: 130 } as const;

/** An API error code → exit code. */
export function exitCodeFor(code: string): number {
  switch (code) {
    case 'not_found':
      return EXIT.notFound;
    case 'unauthorized':
    case 'forbidden':
      return EXIT.auth;
    case 'insufficient_credits':
      return EXIT.credits;
    case 'unavailable':
    case 'provider_unavailable':
    case 'internal':
    case 'rate_limited':
      return EXIT.unavailable;
    default:
      return EXIT.usage;
  }
}

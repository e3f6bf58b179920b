/**
 * Argument parsing for every `reelay` command: `node:util` `parseArgs` in strict mode, so a
 * misspelt flag (`--durration 6`) stops the command before anything reaches the server instead of
 * being ignored (which used to submit, and charge, a default job).
 */
import { parseArgs as nodeParseArgs } from 'node:util';

export interface Args {
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

/** One command's options: each `--name` takes a value (`string`) or is a switch (`boolean`). */
export type OptionSpec = Record<string, 'string' | 'boolean'>;

/** A mistake in how a command was called: exit code 2 with the message and where its help is. */
export class UsageError extends Error {}

/** Exit codes scripts can rely on (documented in `reelay help` and the README). */
export const EXIT = { ok: 0, jobFailed: 1, usage: 2, notFound: 3, auth: 4, unavailable: 5, credits: 6, interrupted: 130 } as const;

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

// `credits grant acct -500` must reach the command as a number, but strict parseArgs reads any
// `-5…` token as short options. Such tokens travel behind this marker and are restored after.
const NEGATIVE = '\u0000';

/**
 * Parses `argv` for `command` against `spec` (plus `--help`/`-h`); unknown flags, a missing value or
 * a value given to a switch throw a `UsageError` naming the flag and `reelay help <command>`.
 *
 * @example
 * const args = parseCommandArgs('generate', ['a cat', '--duration', '6'], { duration: 'string' });
 * args.flags.duration; // '6'
 */
export function parseCommandArgs(command: string, argv: string[], spec: OptionSpec): Args {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, type] of Object.entries(spec)) options[name] = { type };
  const marked = argv.map((a) => (/^-\d/.test(a) ? NEGATIVE + a : a));
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: marked, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const help = `see: reelay help ${command}`;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'([^']+)'/.exec(e.message)?.[1] ?? e.message;
      const bare = given.replace(/^-+/, '').split('=')[0]!;
      const near = Object.keys(spec).find((k) => distance(k, bare) <= 2);
      throw new UsageError(`reelay ${command}: unknown option ${given}${near ? ` (did you mean --${near}?)` : ''}; ${help}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`reelay ${command}: ${e.message.split(NEGATIVE).join('')}; ${help}`);
    }
    throw err;
  }
  const restore = (v: string | boolean | undefined): string | boolean | undefined => (typeof v === 'string' ? v.replace(NEGATIVE, '') : v);
  const flags: Args['flags'] = {};
  for (const [k, v] of Object.entries(parsed.values)) flags[k] = restore(Array.isArray(v) ? v.at(-1) : v);
  return { positionals: parsed.positionals.map((p) => p.replace(NEGATIVE, '')), flags };
}

/** A flag's string value, or undefined when absent. */
export function flag(args: Args, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** True when a switch (`--json`) was given. */
export function has(args: Args, name: string): boolean {
  return args.flags[name] === true;
}

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

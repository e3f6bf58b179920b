/**
 * Runs the real `reelay` binary for CLI tests: plainly (pipes, no terminal), or inside a
 * pseudo-terminal through util-linux `script`, so Ctrl-C travels the way it does for a person:
 * a ^C byte typed into the terminal, turned into SIGINT by the terminal's line discipline, or read
 * as a key while readline has the terminal in raw mode.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/reelay.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI child gets: nothing from the test process but PATH, plus `env`. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env };
}

/** `reelay …args` with stdin closed and stdout/stderr captured. */
export function runCli(args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** True when util-linux `script` can give a child a pseudo-terminal here. */
export function havePty(): boolean {
  return spawnSync('script', ['-qfec', 'true', '/dev/null']).status === 0;
}

function shellQuote(a: string): string {
  return `'${a.replace(/'/g, "'\\''")}'`;
}

/** A `reelay` process on a pseudo-terminal: what it printed so far, keys to type, its exit code. */
export interface PtySession {
  output(): string;
  /** Types bytes into the terminal (`'\x03'` is Ctrl-C, `'\r'` is Enter). */
  type(keys: string): void;
  /** Resolves once the output after offset `from` matches `pattern`; `end` is where the match ends in the whole output. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<{ match: RegExpExecArray; end: number }>;
  exited: Promise<number | null>;
}

/**
 * `script -qfec "reelay …" /dev/null`: the child's stdin, stdout and stderr are the terminal;
 * what the test types goes through `script` into it.
 */
export function ptyCli(args: string[], env: Record<string, string>): PtySession {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...childEnv(env), TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    type: (keys) => child.stdin.write(keys),
    waitFor(pattern, from = 0, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(out.slice(from));
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve({ match: m, end: from + m.index + m[0].length });
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`terminal never showed ${String(pattern)}; it shows:\n${JSON.stringify(out)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exited,
  };
}

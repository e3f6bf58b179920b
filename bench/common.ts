/**
 * What every part of `npm run bench` shares: the load generator, child servers, memory readings
 * from /proc, percentiles and the PostgreSQL the bench may use. Nothing here is product code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

/** The PostgreSQL server the bench uses (a schema or database of its own, dropped afterwards). */
export const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** How hard and how long each HTTP case runs; see docs/performance.md for why these numbers. */
export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export const round = (x: number, places = 1): number => Number(x.toFixed(places));

/** Nearest-rank percentile of unsorted samples; null for none. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when the bench's PostgreSQL answers. */
export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Runs statements on the bench's PostgreSQL with a short-lived connection. */
export async function pgExec(sql: string, url = PG_URL): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

export interface LoadResult {
  /** 2xx responses per second over the measured window. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Response bytes per second, MB/s. */
  mbPerSecond: number;
  durationSeconds: number;
  /** The server process's CPU time (user + system) per response, when its pid was given. */
  serverCpuMsPerRequest?: number | null;
  /** …and its CPU use over the window, in cores (1 = one core busy all the time). */
  serverCpuCores?: number | null;
  /** Responses per HTTP status over the window, e.g. { '202': 4810, '429': 3 }. */
  statusCodes?: Record<string, number>;
  /** Requests written, answered or not: autocannon stops with one in flight per connection. */
  sent?: number;
}

export interface LoadCase {
  /** Several URLs spread the connections over several servers: connection i goes to url[i mod n]. */
  url: string | readonly string[];
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Called per request, e.g. to give each one its own Idempotency-Key or Range. */
  perRequestHeaders?: () => Record<string, string>;
  /** Called once per connection, e.g. to give each connection its own account's key. */
  perConnection?: () => { headers: Record<string, string>; path?: string };
  /** The server's pid, to measure its CPU time over the measured window. */
  serverPid?: number;
  /** …or the pids of every server the URLs reach: their CPU time is summed. */
  serverPids?: readonly number[];
}

/**
 * Warms up for `warmupSeconds` (discarded), then measures for `durationSeconds`. The generator
 * runs in this process; every server under test is a child process, so they never share an
 * event loop.
 */
export async function load(c: LoadCase, s: LoadSettings): Promise<LoadResult> {
  const base = {
    // autocannon takes an array (connection i → url i mod n) though its types say string.
    url: c.url as string,
    method: c.method ?? 'GET',
    headers: c.headers ?? {},
    connections: s.connections,
    ...(c.body !== undefined ? { body: c.body } : {}),
    ...(c.perRequestHeaders
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request): autocannon.Request => ({ ...req, headers: { ...(req.headers ?? {}), ...c.perRequestHeaders!() } }),
            },
          ],
        }
      : {}),
    ...(c.perConnection
      ? {
          setupClient: (client: autocannon.Client): void => {
            const x = c.perConnection!();
            // setRequests, not setRequest: the latter changes only the connection's first request.
            client.setRequests([
              {
                method: c.method ?? 'GET',
                headers: { ...(c.headers ?? {}), ...x.headers },
                ...(c.body !== undefined ? { body: c.body } : {}),
                ...(x.path ? { path: x.path } : {}),
              },
            ]);
          },
        }
      : {}),
  };
  if (s.warmupSeconds > 0) await autocannon({ ...base, duration: s.warmupSeconds });
  const pids = c.serverPids ?? (c.serverPid ? [c.serverPid] : []);
  const cpuBefore = await cpuOf(pids);
  const r = await autocannon({ ...base, duration: s.durationSeconds });
  const cpuAfter = await cpuOf(pids);
  const cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  return {
    ...(pids.length > 0
      ? {
          serverCpuMsPerRequest: cpu === null || r.requests.total === 0 ? null : round((cpu * 1000) / r.requests.total, 2),
          serverCpuCores: cpu === null ? null : round(cpu / r.duration, 2),
        }
      : {}),
    rps: round(r['2xx'] / r.duration, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    mbPerSecond: round(r.throughput.total / r.duration / 1e6, 1),
    durationSeconds: round(r.duration, 2),
    sent: r.requests.sent,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count?: number }).count ?? 0])),
  };
}

/** CPU seconds of all `pids` together; null if there are none or one cannot be read. */
async function cpuOf(pids: readonly number[]): Promise<number | null> {
  if (pids.length === 0) return null;
  let sum = 0;
  for (const pid of pids) {
    const x = await procCpuSeconds(pid);
    if (x === null) return null;
    sum += x;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Memory, from /proc/<pid>/status (Linux).

export interface ProcMemory {
  rssMb: number;
  hwmMb: number;
}

export async function procMemory(pid: number): Promise<ProcMemory | null> {
  try {
    const s = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssMb: round(kb('VmRSS') / 1024), hwmMb: round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

/** User + system CPU seconds a process has used (/proc/<pid>/stat; clock ticks are 1/100 s on Linux). */
export async function procCpuSeconds(pid: number): Promise<number | null> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * Measures a process's peak RSS over a window. Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0),
 * so the peak is the window's own and not start-up's (tsx compiling, migrations). Where that is
 * refused, the highest VmRSS sampled every 50 ms stands in.
 */
export async function watchPeak(pid: number): Promise<{ stop(): Promise<{ peakMb: number | null; method: 'VmHWM' | 'sampled VmRSS' }> }> {
  let exact = true;
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
  } catch {
    exact = false;
  }
  let sampled = 0;
  const timer = setInterval(() => {
    void procMemory(pid).then((m) => {
      if (m) sampled = Math.max(sampled, m.rssMb);
    });
  }, 50);
  return {
    async stop() {
      clearInterval(timer);
      const m = await procMemory(pid);
      if (exact && m) return { peakMb: m.hwmMb, method: 'VmHWM' as const };
      return { peakMb: m ? Math.max(sampled, m.rssMb) : null, method: 'sampled VmRSS' as const };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child servers.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REELAY_BIN = fileURLToPath(new URL('../bin/reelay.js', import.meta.url));
const SERVERS = fileURLToPath(new URL('./servers.ts', import.meta.url));

export interface Child {
  pid: number;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A bench that throws must not leave its servers running.
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export { freePort } from '../test/support/process.js';
import { freePort } from '../test/support/process.js';

function track(child: ChildProcess): Omit<Child, 'url'> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  live.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      live.delete(child);
    },
  };
}

async function waitFor(what: string, ok: () => Promise<boolean>, child: ChildProcess, output: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start:\n${output()}`);
    await sleep(50);
  }
}

/** Starts `reelay serve --role api` (no workers: rendering would take the CPU) with `env`. */
export async function spawnReelay(env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [REELAY_BIN, 'serve', '--role', 'api'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      HOST: '127.0.0.1',
      // Fastify logs two lines per request at info; the bench measures the API, not pino on a pipe.
      LOG_LEVEL: 'warn',
      REELAY_PRINT_BANNER: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  const t = track(child);
  const ready = async (): Promise<boolean> => {
    try {
      return (await fetch(`${url}/readyz`)).ok;
    } catch {
      return false;
    }
  };
  await waitFor('reelay serve', ready, child, t.output);
  return { ...t, url };
}

/** Starts one of bench/servers.ts's baselines ('hello' Fastify, or 'stream <file>' bare Node). */
export async function spawnBaseline(args: string[]): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVERS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  await waitFor(`baseline ${args[0] ?? ''}`, async () => /LISTENING \d+/.test(t.output()), child, t.output);
  const port = /LISTENING (\d+)/.exec(t.output())![1]!;
  return { ...t, url: `http://127.0.0.1:${port}` };
}

/** Runs a command to completion, with its output; rejects on a non-zero exit. */
export async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

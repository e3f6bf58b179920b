/**
 * Status calls per job and detection lag, per upstream (MiniMax, WaveSpeed, fal, Replicate) and
 * mode (polling only; callbacks/webhooks on), each against its fake over real HTTP, with the same
 * seeded completion times for every scenario.
 *
 *   npx tsx bench/upstreams.ts [--jobs 30] [--scale 10] [--sigma 0.1] [--providers fal,replicate]
 *   npm run bench -- --only upstreams                        the same, into bench/results.json
 *
 * Completion times: the reference gives no distribution, so the bench assumes what the catalog's
 * `typicalSeconds` means: a log-normal around the typical time (median = typical 180 s for
 * Hailuo 2.3; σ = 0.10 by default, p5-p95 ≈ 152-213 s; `--sigma 0.15` widens it to 141-230 s),
 * clipped to 0.6-2 × typical. Every
 * upstream-facing time (task durations, typical time, poll intervals, budget windows) is divided
 * by `scale` (10 by default: a 180 s task takes 18 s), so a full run takes about four minutes. A
 * larger scale runs faster but multiplies our own pick-up latency in the polling figures by as
 * much (below), which on a loaded 2-core box swamps the schedule.
 *
 * How lags are converted back to real seconds: the wait for a scheduled poll scales with the
 * schedule, so in polling mode "done → the status call that saw it" is multiplied by `scale`
 * (this also multiplies our pick-up latency, so the figure is pessimistic). With callbacks that
 * interval is OUR work alone (webhook delivery, wake-up, claim, one poll), which does not shrink
 * with the scale, so it is reported as measured. "→ completed" adds the time from that status call
 * to the job's COMPLETED row (download, ffprobe, store), also our work, as measured.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Config } from '../src/config.js';
import { api, startReelay, waitForJob, type TestReelay } from '../test/support/reelay.js';
import { freePort } from '../test/support/process.js';
import { startFakeMinimax } from '../test/support/minimax-server.js';
import { startFakeWavespeed } from '../test/support/wavespeed-server.js';
import { startFakeFal } from '../test/support/fal-server.js';
import { startFakeReplicate } from '../test/support/replicate-server.js';
import { ADMIN, liveAccount } from '../test/providers/minimax-helpers.js';

export interface UpstreamBenchOptions {
  jobs?: number;
  /** Real seconds per bench second. */
  scale?: number;
  seed?: number;
  /** σ of the log-normal completion time around the typical time. */
  sigma?: number;
  providers?: readonly Provider[];
}

type Provider = 'minimax' | 'wavespeed' | 'fal' | 'replicate';
const PROVIDERS: readonly Provider[] = ['minimax', 'wavespeed', 'fal', 'replicate'];
const TYPICAL_S = 180;
const KEY = 'bench-key';

export interface UpstreamScenario {
  provider: Provider;
  mode: 'polling' | 'callbacks';
  jobs: number;
  completed: number;
  statusCallsPerJob: { mean: number; max: number };
  /** Real seconds from the task finishing upstream to the status call that saw it. */
  detectLagSeconds: { mean: number; p95: number };
  /** Real seconds from the task finishing upstream to our job COMPLETED. */
  completedLagSeconds: { mean: number; p95: number };
  webhooksSent: number;
  wallSeconds: number;
}

export interface UpstreamBenchResult {
  scale: number;
  completionSeconds: { median: number; sigma: number; p5: number; p95: number };
  scenarios: UpstreamScenario[];
}

/** What the bench reads from any fake: its call log and its tasks' finish times. */
interface Fake {
  url: string;
  calls: ReadonlyArray<{ endpoint: string; start: number; taskId?: string }>;
  doneAt(taskId: string): number | undefined;
  taskIds(): string[];
  webhooks(): number;
  stop(): Promise<void>;
}

interface Setup {
  /** The endpoint that answers "is it done?". */
  status: string;
  start(plan: (prompt: string) => number): Promise<Fake>;
  keys(fake: Fake): Partial<Record<keyof Config, unknown>>;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Completion times in real seconds, log-normal around the typical time (Box-Muller on the seeded PRNG). */
export function completionSeconds(n: number, seed: number, sigma: number): number[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return TYPICAL_S * Math.min(2, Math.max(0.6, Math.exp(sigma * z)));
  });
}

const jobIndex = (prompt: string): number => Number(/#job-(\d+)/.exec(prompt)?.[1] ?? 0);

const SETUPS: Record<Provider, Setup> = {
  minimax: {
    status: 'query',
    async start(plan) {
      const f = await startFakeMinimax({ apiKey: KEY });
      f.plan = (body) => ({ durationMs: plan(String(body.prompt)) });
      return fakeView(f, () => f.callbacksSent.length);
    },
    keys: (f) => ({ minimaxApiKey: KEY, minimaxBaseUrl: f.url }),
  },
  wavespeed: { status: 'result', start: (plan) => aggregator(startFakeWavespeed, plan), keys: (f) => ({ wavespeedApiKey: KEY, wavespeedBaseUrl: f.url }) },
  fal: { status: 'status', start: (plan) => aggregator(startFakeFal, plan), keys: (f) => ({ falKey: KEY, falBaseUrl: f.url, falJwksUrl: `${f.url}/.well-known/jwks.json` }) },
  replicate: { status: 'get', start: (plan) => aggregator(startFakeReplicate, plan), keys: (f) => ({ replicateApiToken: KEY, replicateBaseUrl: `${f.url}/v1` }) },
};

type AggregatorFake = Awaited<ReturnType<typeof startFakeWavespeed | typeof startFakeFal | typeof startFakeReplicate>>;

async function aggregator(start: (o: { apiKey: string }) => Promise<AggregatorFake>, plan: (prompt: string) => number): Promise<Fake> {
  const f = await start({ apiKey: KEY });
  f.plan = (input) => ({ durationMs: plan(String(input.prompt)) });
  return fakeView(f, () => f.webhooksSent.length);
}

/** What the bench reads of any fake: its calls, when each task is done, how many webhooks it sent. */
function fakeView(
  f: { url: string; calls: Fake['calls']; tasks: ReadonlyMap<string, { createdAt: number; plan: { durationMs: number } }>; stop(): Promise<void> },
  webhooks: () => number,
): Fake {
  return {
    url: f.url,
    calls: f.calls,
    doneAt: (id) => {
      const t = f.tasks.get(id);
      return t ? t.createdAt + t.plan.durationMs : undefined;
    },
    taskIds: () => [...f.tasks.keys()],
    webhooks,
    stop: () => f.stop(),
  };
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] ?? 0;

async function scenario(provider: Provider, callbacks: boolean, o: Required<UpstreamBenchOptions>, durations: number[]): Promise<UpstreamScenario> {
  const setup = SETUPS[provider];
  const s = o.scale;
  const fake = await setup.start((prompt) => ((durations[jobIndex(prompt)] ?? TYPICAL_S) * 1000) / s);
  const port = await freePort();
  let r: TestReelay | undefined;
  try {
    const window = Math.round(60_000 / s);
    r = await startReelay({
      adminToken: ADMIN,
      port,
      allowPrivateUrls: true,
      allowHttpUrls: true,
      ...(callbacks ? { publicUrl: `http://127.0.0.1:${port}` } : {}),
      modelTimings: { 'hailuo-2.3': { typicalSeconds: TYPICAL_S / s } },
      // The shipped schedules' intervals, scaled like everything else the upstream sees.
      minimaxPollMinIntervalMs: Math.round(10_000 / s),
      minimaxPollMaxIntervalMs: Math.round(60_000 / s),
      upstreamPollMinIntervalMs: Math.round(5_000 / s),
      upstreamPollMaxIntervalMs: Math.round(30_000 / s),
      minimaxBudgetWindowMs: window,
      providerBudgets: Object.fromEntries(['wavespeed', 'fal', 'replicate'].map((p) => [p, { windowMs: window }])),
      workerConcurrency: 64,
      // The shipped idle timer (1 s): a wake-up that does not arrive shows in the lag.
      workerIdlePollMs: 1000,
      ...setup.keys(fake),
    });
    const a = await liveAccount(r, 1_000_000);
    const t0 = Date.now();
    const ids = await Promise.all(
      durations.map(async (_, i) => {
        const res = await api(r!.url, a.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: `bench #job-${i}` });
        if (res.status !== 202) throw new Error(`${provider} submit: ${res.status} ${JSON.stringify(res.body)}`);
        return String(res.body.jobId);
      }),
    );
    // Once a second per job keeps 30 waiters under the account rate limit; lags come from the rows, not from here.
    const jobs = await Promise.all(ids.map((id) => waitForJob(r!.url, a.key, id, { timeoutMs: 600_000, intervalMs: 1000 })));
    const wallMs = Date.now() - t0;
    const { rows } = await r.reelay.db.query<{ upstream_task_id: string; completed_at: Date | null }>(
      `SELECT upstream_task_id, completed_at FROM jobs WHERE id::text = ANY($1::text[])`,
      [ids],
    );
    const completedAt = new Map(rows.map((x) => [x.upstream_task_id, x.completed_at?.getTime()]));
    const polls: number[] = [];
    const detect: number[] = [];
    const done: number[] = [];
    for (const id of fake.taskIds()) {
      const finished = fake.doneAt(id)!;
      const status = fake.calls.filter((c) => c.endpoint === setup.status && c.taskId === id);
      const seen = status.find((c) => c.start >= finished)?.start;
      // Status calls up to the one that saw it done: WaveSpeed's and Replicate's downloads read the
      // same endpoint again for a fresh URL, which is a fetch, not a poll.
      polls.push(seen === undefined ? status.length : status.filter((c) => c.start <= seen).length);
      const end = completedAt.get(id);
      if (seen === undefined || end === undefined) continue;
      // Polling: the wait is the (scaled) schedule. Callbacks: the wait is our own work, unscaled.
      const detectReal = (seen - finished) * (callbacks ? 1 : s);
      detect.push(detectReal / 1000);
      done.push((detectReal + Math.max(0, end - seen)) / 1000);
    }
    return {
      provider,
      mode: callbacks ? 'callbacks' : 'polling',
      jobs: ids.length,
      completed: jobs.filter((j) => j.status === 'COMPLETED').length,
      statusCallsPerJob: { mean: round(mean(polls), 2), max: Math.max(0, ...polls) },
      detectLagSeconds: { mean: round(mean(detect), 2), p95: round(p95(detect), 2) },
      completedLagSeconds: { mean: round(mean(done), 2), p95: round(p95(done), 2) },
      webhooksSent: fake.webhooks(),
      wallSeconds: round(wallMs / 1000),
    };
  } finally {
    await r?.stop();
    await fake.stop();
  }
}

/**
 * @example
 * const { scenarios } = await runUpstreamBench({ jobs: 30, scale: 30 });
 * scenarios.find((x) => x.provider === 'fal' && x.mode === 'callbacks')?.detectLagSeconds.p95
 */
export async function runUpstreamBench(opts: UpstreamBenchOptions = {}): Promise<UpstreamBenchResult> {
  const o: Required<UpstreamBenchOptions> = { jobs: 30, scale: 10, seed: 42, sigma: 0.1, providers: PROVIDERS, ...opts };
  const durations = completionSeconds(o.jobs, o.seed, o.sigma);
  const scenarios: UpstreamScenario[] = [];
  for (const p of o.providers) {
    scenarios.push(await scenario(p, false, o, durations));
    scenarios.push(await scenario(p, true, o, durations));
  }
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    scale: o.scale,
    completionSeconds: { median: TYPICAL_S, sigma: o.sigma, p5: round(sorted[Math.floor(sorted.length * 0.05)]!), p95: round(p95(sorted)) },
    scenarios,
  };
}

export function upstreamTable(res: UpstreamBenchResult): string {
  const head = ['provider', 'mode', 'jobs', 'done', 'status calls/job (mean, max)', 'done → seen, real s (mean, p95)', 'done → completed, real s (mean, p95)', 'webhooks', 'wall s'];
  const rows = res.scenarios.map((x) => [
    x.provider,
    x.mode,
    String(x.jobs),
    String(x.completed),
    `${x.statusCallsPerJob.mean}, ${x.statusCallsPerJob.max}`,
    `${x.detectLagSeconds.mean}, ${x.detectLagSeconds.p95}`,
    `${x.completedLagSeconds.mean}, ${x.completedLagSeconds.p95}`,
    String(x.webhooksSent),
    String(x.wallSeconds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const only = process.argv.includes('--providers') ? (process.argv[process.argv.indexOf('--providers') + 1]!.split(',') as Provider[]) : undefined;
  const res = await runUpstreamBench({ ...(arg('jobs') ? { jobs: arg('jobs') } : {}), ...(arg('scale') ? { scale: arg('scale') } : {}), ...(only ? { providers: only } : {}), ...(arg('sigma') ? { sigma: arg('sigma') } : {}) });
  const c = res.completionSeconds;
  process.stdout.write(
    `Load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}. Completion times log-normal, median ${c.median} s, σ ${c.sigma} (this sample: p5 ${c.p5} s, p95 ${c.p95} s); every upstream-facing time scaled down ${res.scale}×; lags in real seconds.\n\n${upstreamTable(res)}\n`,
  );
  process.exit(0);
}

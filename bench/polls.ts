/**
 * Upstream status calls per completed job: Reelay's scheduled polling, Reelay with MiniMax
 * callbacks, and a naive poller that asks every 5 s (what peers do, peers.md §1.5), all against the
 * fake MiniMax with the same task durations scaled down 30×: log-normal around the typical 180 s
 * (σ 0.1, seeded; bench/upstreams.ts explains why). Until issue 14 they were uniform over
 * 90-180 s, which put the model's typical time at the slowest task; the other upstreams, and the
 * lag to the job's completion, are in bench/upstreams.ts.
 *
 *   npx tsx bench/polls.ts            # prints a table
 *   import { runPollBench } from './bench/polls.js'   # the same numbers as JSON
 */
import { pathToFileURL } from 'node:url';
import { api, waitForJob, type TestReelay } from '../test/support/reelay.js';
import { freePort } from '../test/support/process.js';
import { startFakeMinimax, type FakeMinimax } from '../test/support/minimax-server.js';
import { liveAccount, startLive, MM_KEY } from '../test/providers/minimax-helpers.js';
import { completionSeconds } from './upstreams.js';

export interface PollBenchOptions {
  /** Jobs per scenario. */
  jobs?: number;
  /** Real seconds per bench second (30: a 180 s generation takes 6 s). */
  scale?: number;
  /** Seed of the task durations, so every scenario meets the same ones. */
  seed?: number;
}

export interface ScenarioResult {
  scenario: string;
  jobs: number;
  completed: number;
  statusCallsPerJob: { mean: number; max: number };
  retrieveCallsPerJob: number;
  /** Real seconds between a task finishing upstream and a poll seeing it. */
  detectLagSeconds: { mean: number; p95: number };
  wallSeconds: number;
}

export interface PollBenchResult {
  scale: number;
  taskSecondsRange: [number, number];
  scenarios: ScenarioResult[];
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

function summarize(name: string, fake: FakeMinimax, taskIds: string[], completed: number, scale: number, wallMs: number): ScenarioResult {
  const polls = taskIds.map((id) => fake.count('query', id));
  const lags = taskIds
    .map((id) => fake.tasks.get(id))
    .filter((t) => t?.seenDoneAt !== undefined)
    .map((t) => ((t!.seenDoneAt! - t!.createdAt - t!.plan.durationMs) * scale) / 1000)
    .sort((a, b) => a - b);
  const retrieves = fake.calls.filter((c) => c.endpoint === 'retrieve').length;
  return {
    scenario: name,
    jobs: taskIds.length,
    completed,
    statusCallsPerJob: { mean: round(polls.reduce((a, b) => a + b, 0) / Math.max(1, polls.length)), max: Math.max(0, ...polls) },
    retrieveCallsPerJob: round(retrieves / Math.max(1, taskIds.length)),
    detectLagSeconds: {
      mean: round(lags.reduce((a, b) => a + b, 0) / Math.max(1, lags.length)),
      p95: round(lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.95))] ?? 0),
    },
    wallSeconds: round(wallMs / 1000),
  };
}

/** Durations in bench milliseconds, by job index (prompt `#job-<i>`). */
function durationsFor(o: Required<PollBenchOptions>): number[] {
  return completionSeconds(o.jobs, o.seed, 0.1).map((s) => (s * 1000) / o.scale);
}

function planByPrompt(durations: number[]): (body: Record<string, unknown>) => { durationMs: number } {
  return (body) => ({ durationMs: durations[Number(/#job-(\d+)/.exec(String(body.prompt))?.[1] ?? 0)] ?? durations[0]! });
}

async function reelayScenario(name: string, o: Required<PollBenchOptions>, durations: number[], callbacks: boolean): Promise<ScenarioResult> {
  const fake = await startFakeMinimax({ apiKey: MM_KEY });
  fake.plan = planByPrompt(durations);
  const port = await freePort();
  const s = o.scale;
  let r: TestReelay | undefined;
  try {
    // Every MiniMax-facing number scaled by the same factor: typical 180 s, poll interval 10-60 s,
    // budget windows of a minute (20 creates, 120 status calls per window, the defaults).
    r = await startLive(fake, {
      port,
      ...(callbacks ? { publicUrl: `http://127.0.0.1:${port}` } : {}),
      modelTimings: { 'hailuo-2.3': { typicalSeconds: 180 / s } },
      minimaxPollMinIntervalMs: Math.round(10_000 / s),
      minimaxPollMaxIntervalMs: Math.round(60_000 / s),
      minimaxBudgetWindowMs: Math.round(60_000 / s),
      minimaxSubmitsPerWindow: 20,
      minimaxStatusCallsPerWindow: 120,
      workerConcurrency: 64,
    });
    const a = await liveAccount(r, 1_000_000);
    const t0 = Date.now();
    const ids = await Promise.all(
      durations.map(async (_, i) => {
        const res = await api(r!.url, a.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: `bench #job-${i}` });
        if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
        return String(res.body.jobId);
      }),
    );
    const jobs = await Promise.all(ids.map((id) => waitForJob(r!.url, a.key, id, { timeoutMs: 300_000, intervalMs: 500 })));
    const completed = jobs.filter((j) => j.status === 'COMPLETED').length;
    const taskIds = fake.creates.filter((c) => c.taskId).map((c) => c.taskId!);
    return summarize(name, fake, taskIds, completed, s, Date.now() - t0);
  } finally {
    await r?.stop();
    await fake.stop();
  }
}

/** The baseline: create each task, then ask every `intervalMs` until it is done, then fetch the file. */
async function naiveScenario(o: Required<PollBenchOptions>, durations: number[]): Promise<ScenarioResult> {
  const fake = await startFakeMinimax({ apiKey: MM_KEY });
  fake.plan = planByPrompt(durations);
  const intervalMs = 5000 / o.scale;
  const auth = { authorization: `Bearer ${MM_KEY}` };
  const t0 = Date.now();
  try {
    const taskIds = await Promise.all(
      durations.map(async (_, i) => {
        const res = await fetch(`${fake.url}/v1/video_generation`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'MiniMax-Hailuo-2.3', prompt: `bench #job-${i}`, duration: 6, resolution: '768P' }),
        });
        const { task_id: id } = (await res.json()) as { task_id: string };
        for (;;) {
          await new Promise((r) => setTimeout(r, intervalMs));
          const q = (await (await fetch(`${fake.url}/v1/query/video_generation?task_id=${id}`, { headers: auth })).json()) as { status: string; file_id: string };
          if (q.status !== 'Success') continue;
          const f = (await (await fetch(`${fake.url}/v1/files/retrieve?file_id=${q.file_id}`, { headers: auth })).json()) as { file: { download_url: string } };
          await (await fetch(f.file.download_url)).arrayBuffer();
          return id;
        }
      }),
    );
    return summarize('naive poller, every 5 s', fake, taskIds, taskIds.length, o.scale, Date.now() - t0);
  } finally {
    await fake.stop();
  }
}

/**
 * Runs the three scenarios one after another and returns their numbers.
 *
 * @example
 * const { scenarios } = await runPollBench({ jobs: 30, scale: 30 });
 * scenarios[0].statusCallsPerJob.mean // ≈ 5 for Reelay's scheduled polling
 */
export async function runPollBench(opts: PollBenchOptions = {}): Promise<PollBenchResult> {
  const o: Required<PollBenchOptions> = { jobs: 30, scale: 30, seed: 42, ...opts };
  const durations = durationsFor(o);
  const scenarios = [
    await reelayScenario('reelay, scheduled polling', o, durations, false),
    await reelayScenario('reelay + MiniMax callbacks', o, durations, true),
    await naiveScenario(o, durations),
  ];
  const sorted = durations.map((d) => (d * o.scale) / 1000).sort((a, b) => a - b);
  return { scale: o.scale, taskSecondsRange: [round(sorted[0] ?? 0), round(sorted.at(-1) ?? 0)], scenarios };
}

function table(res: PollBenchResult): string {
  const head = ['scenario', 'jobs', 'done', 'status calls/job (mean, max)', 'retrieve/job', 'seen late by, real s (mean, p95)', 'wall s'];
  const rows = res.scenarios.map((x) => [
    x.scenario,
    String(x.jobs),
    String(x.completed),
    `${x.statusCallsPerJob.mean}, ${x.statusCallsPerJob.max}`,
    String(x.retrieveCallsPerJob),
    `${x.detectLagSeconds.mean}, ${x.detectLagSeconds.p95}`,
    String(x.wallSeconds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = await runPollBench();
  process.stdout.write(`Generations of ${res.taskSecondsRange.join('-')} s (log-normal around 180 s, seeded), every time scaled down ${res.scale}×; lags reported in real seconds.\n\n${table(res)}\n`);
}

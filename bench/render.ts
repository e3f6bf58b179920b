/**
 * How long the sandbox engine takes to render, against a bare ffmpeg encode of the same frame
 * count, size and encoder settings: the ratio is what the procedural scene, camera and caption add
 * on top of the encoder.
 *
 * Two baselines: `testsrc2` (moving, detailed content, so the encoder works about as hard as on a
 * render) and `color` (a still colour: the encoder's floor).
 *
 * Run: npx tsx bench/render.ts            (prints a table and the JSON)
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileArg, runFfmpeg } from '../src/media/index.js';
import { encoderArgs, outputSize, renderVideo } from '../src/providers/sandbox/render.js';

const FPS = 24;

export interface RenderBenchRow {
  kind: 't2v' | 'i2v';
  resolution: '768p' | '1080p';
  width: number;
  height: number;
  durationSeconds: number;
  frames: number;
  /** Wall-clock seconds (median). */
  renderSeconds: number;
  /** CPU seconds, ffmpeg's and ours (median); null where not measurable. */
  renderCpuSeconds: number | null;
  /** Bare encode of testsrc2 (moving content) with the same encoder settings. */
  baselineSeconds: number;
  baselineCpuSeconds: number | null;
  /** Bare encode of a still colour: the encoder's floor. */
  colorBaselineSeconds: number;
  colorBaselineCpuSeconds: number | null;
  /** renderSeconds / baselineSeconds. */
  ratio: number;
  /** renderCpuSeconds / baselineCpuSeconds: steadier than the wall ratio on a busy machine. */
  cpuRatio: number | null;
  ratioToColor: number;
}

export interface RenderBenchResult {
  name: 'render';
  at: string;
  machine: { cpus: number; model: string; loadAverage1m: number };
  runs: number;
  rows: RenderBenchRow[];
}

/**
 * CPU seconds used so far by this process's finished children (Linux `/proc/self/stat` cutime +
 * cstime, in 1/100 s ticks), or undefined elsewhere. On a shared box wall time mostly measures the
 * neighbours; CPU time is what the render itself costs.
 */
function childCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

interface Timing {
  wall: number;
  /** ffmpeg's CPU plus ours (the scene painting), when measurable. */
  cpu: number | undefined;
}

async function timed(fn: () => Promise<void>, runs: number): Promise<Timing> {
  const samples: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    const children = childCpuSeconds();
    const own = process.cpuUsage();
    const started = process.hrtime.bigint();
    await fn();
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const ownUsed = process.cpuUsage(own);
    const after = childCpuSeconds();
    const cpu = children === undefined || after === undefined ? undefined : after - children + (ownUsed.user + ownUsed.system) / 1e6;
    samples.push({ wall, cpu });
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const cpus = samples.map((t) => t.cpu).filter((c): c is number => c !== undefined);
  return { wall: median(samples.map((t) => t.wall)), cpu: cpus.length === samples.length ? median(cpus) : undefined };
}

const round = (x: number, places = 2): number => Number(x.toFixed(places));

/**
 * Renders text-to-video at 768p and 1080p for 6 s and 10 s (and image-to-video at 6 s unless
 * `imageToVideo` is false), each against its baselines; `runs` repeats take the median.
 *
 * @example
 * const result = await runRenderBench({ runs: 3 });
 * console.log(JSON.stringify(result));
 */
export async function runRenderBench(opts: { runs?: number; imageToVideo?: boolean } = {}): Promise<RenderBenchResult> {
  const runs = opts.runs ?? 1;
  const dir = await mkdtemp(join(tmpdir(), 'reelay-bench-'));
  const rows: RenderBenchRow[] = [];
  try {
    const image = join(dir, 'input.jpg');
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1600x900', '-frames:v', '1', fileArg(image)]);
    const cases: Array<{ kind: 't2v' | 'i2v'; resolution: '768p' | '1080p'; durationSeconds: number }> = [
      { kind: 't2v', resolution: '768p', durationSeconds: 6 },
      { kind: 't2v', resolution: '768p', durationSeconds: 10 },
      { kind: 't2v', resolution: '1080p', durationSeconds: 6 },
      { kind: 't2v', resolution: '1080p', durationSeconds: 10 },
      ...(opts.imageToVideo === false
        ? []
        : ([
            { kind: 'i2v', resolution: '768p', durationSeconds: 6 },
            { kind: 'i2v', resolution: '1080p', durationSeconds: 6 },
          ] as const)),
    ];
    for (const c of cases) {
      const { width, height } = outputSize(c.resolution, c.kind === 'i2v' ? { width: 1600, height: 900 } : undefined);
      const frames = c.durationSeconds * FPS;
      const out = join(dir, 'out.mp4');
      const prompt = 'A lighthouse on a cliff at dusk, waves below [Pan left] [Push in]';
      const render = await timed(
        () => renderVideo({ prompt, width, height, durationSeconds: c.durationSeconds, fps: FPS, seed: 'bench', ...(c.kind === 'i2v' ? { imagePath: image } : {}) }, out),
        runs,
      );
      const encode = (source: string) => (): Promise<void> =>
        runFfmpeg(['-f', 'lavfi', '-i', `${source}s=${width}x${height}:r=${FPS}`, '-frames:v', String(frames), ...encoderArgs(FPS), fileArg(out)]);
      const baseline = await timed(encode('testsrc2='), runs);
      const color = await timed(encode('color=c=gray:'), runs);
      const orNull = (x: number | undefined): number | null => (x === undefined ? null : round(x));
      rows.push({
        ...c,
        width,
        height,
        frames,
        renderSeconds: round(render.wall),
        renderCpuSeconds: orNull(render.cpu),
        baselineSeconds: round(baseline.wall),
        baselineCpuSeconds: orNull(baseline.cpu),
        colorBaselineSeconds: round(color.wall),
        colorBaselineCpuSeconds: orNull(color.cpu),
        ratio: round(render.wall / baseline.wall),
        cpuRatio: render.cpu !== undefined && baseline.cpu ? round(render.cpu / baseline.cpu) : null,
        ratioToColor: round(render.wall / color.wall),
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: 'render',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverage1m: round(loadavg()[0] ?? 0) },
    runs,
    rows,
  };
}

function printTable(result: RenderBenchResult): void {
  const header = ['kind', 'size', 'secs', 'frames', 'render s', 'cpu s', 'testsrc2 s', 'cpu s', 'ratio', 'cpu ratio', 'color s', 'ratio'];
  const n = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  const lines = result.rows.map((r) => [
    r.kind,
    `${r.width}×${r.height}`,
    String(r.durationSeconds),
    String(r.frames),
    n(r.renderSeconds),
    n(r.renderCpuSeconds),
    n(r.baselineSeconds),
    n(r.baselineCpuSeconds),
    n(r.ratio),
    n(r.cpuRatio),
    n(r.colorBaselineSeconds),
    n(r.ratioToColor),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  console.log(`${result.machine.cpus} × ${result.machine.model}, load ${result.machine.loadAverage1m}, median of ${result.runs}`);
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.env.BENCH_RUNS ?? '1');
  const result = await runRenderBench({ runs: Number.isInteger(runs) && runs > 0 ? runs : 1 });
  printTable(result);
  console.log(JSON.stringify(result));
}

/**
 * Turns bench/results.json's sections into one table: each Reelay figure beside its baseline and
 * the ratio between them. Sections that failed or were not available say so in the table.
 */
import type { LoadResult } from './common.js';
import type { DispatchBenchResult, LatencyStats } from './dispatch.js';
import type { HttpBenchResult, PgbenchResult } from './http.js';
import type { SqlBaseline } from './sql.js';
import type { MemoryBenchResult } from './memory.js';
import type { IdleBenchResult } from './idle.js';
import type { ClusterBenchResult } from './cluster.js';

export interface TableRow {
  section: string;
  measure: string;
  reelay: string;
  baseline: string;
  ratio: string;
}

const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
const ms = (x: number | null): string => (x === null ? '–' : x < 10 ? x.toFixed(1) : n0(x));
/** autocannon records whole milliseconds. */
const wholeMs = (x: number): string => (x < 1 ? '<1' : n0(x));
const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a === null || a === undefined || !b ? '–' : `×${a / b >= 10 ? (a / b).toFixed(0) : (a / b).toFixed(2)}`;
const cpu = (r: LoadResult): string =>
  r.serverCpuMsPerRequest != null ? ` · server CPU ${r.serverCpuMsPerRequest.toFixed(2)} ms/req (${r.serverCpuCores ?? '–'} cores)` : '';
const rps = (r: LoadResult, unit = 'req/s'): string =>
  `${n0(r.rps)} ${unit} · p50 ${wholeMs(r.p50Ms)} · p99 ${wholeMs(r.p99Ms)} ms${cpu(r)}${r.non2xx || r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}`;
const tps = (p: PgbenchResult): string => `${n0(p.tps)} tps · p50 ${ms(p.p50Ms)} · p99 ${ms(p.p99Ms)} ms`;
const lat = (s: LatencyStats): string => `p50 ${ms(s.p50Ms)} · p99 ${ms(s.p99Ms)} ms${s.lost ? ` (${s.lost} lost)` : ''}`;

/** The failure or absence a section recorded instead of a result, if any. */
function problem(x: unknown): string | null {
  if (x === undefined) return 'not run';
  if (x && typeof x === 'object') {
    for (const k of ['error', 'notAvailable', 'skipped'] as const) {
      const v = (x as Record<string, unknown>)[k];
      if (typeof v === 'string') return v.split('\n')[0]!.slice(0, 200);
    }
  }
  return null;
}

function httpRows(h: HttpBenchResult): TableRow[] {
  const rows: TableRow[] = [];
  const pgb = Array.isArray(h.pgbench) ? h.pgbench : [];
  const update = pgb.find((p) => p.script.startsWith('simple-update'));
  const select = pgb.find((p) => p.script.startsWith('select-only'));
  const hot = pgb.find((p) => p.script.startsWith('one hot row'));
  const noPgbench = Array.isArray(h.pgbench) ? 'not measured' : `not measured: ${h.pgbench.error.slice(0, 120)}`;
  const vs = (
    section: string,
    measure: string,
    r: LoadResult,
    fast: LoadResult,
    fastName: string,
    p: PgbenchResult | undefined,
    pName: string,
    oneKey: boolean,
    sql?: SqlBaseline,
  ): void => {
    rows.push({ section, measure, reelay: rps(r), baseline: `${fastName}: ${rps(fast)}`, ratio: ratio(r.rps, fast.rps) });
    rows.push({ section, measure: '', reelay: '', baseline: p ? `${pName}: ${tps(p)}` : `${pName}: ${noPgbench}`, ratio: ratio(r.rps, p?.tps) });
    if (oneKey && hot) rows.push({ section, measure: '', reelay: '', baseline: `pgbench, 10 clients incrementing one row: ${tps(hot)}`, ratio: ratio(r.rps, hot.tps) });
    if (sql) rows.push({ section, measure: '', reelay: '', baseline: `${sql.script} through pgbench (${sql.roundTrips} round trips, no HTTP/Node): ${n0(sql.tps)} tps · avg ${ms(sql.latencyAvgMs)} ms`, ratio: ratio(r.rps, sql.tps) });
  };
  for (const run of h.reelay) {
    const db = run.database === 'postgres' ? 'PostgreSQL' : 'PGlite';
    if ('error' in run) {
      rows.push({ section: '1–2 submit/poll', measure: `Reelay on ${db}`, reelay: `not measured: ${run.error.split('\n')[0]!.slice(0, 160)}`, baseline: '', ratio: '' });
      continue;
    }
    const sqls = Array.isArray(run.sqlBaseline) ? run.sqlBaseline : [];
    const sqlSubmit = sqls.find((x) => x.script === 'Reelay submit SQL');
    const sqlPoll = sqls.find((x) => x.script === 'Reelay poll SQL');
    const fastPost = 'bare Fastify POST (JSON parse, 202)';
    const fastGet = 'bare Fastify GET /hello';
    vs('1 submit', `POST /v2/videos/generate, ${db}, 1 key`, run.submit, h.fastify.postJson, fastPost, update, 'pgbench -N', true, sqlSubmit);
    vs('1 submit', `… with Idempotency-Key, ${db}, 1 key`, run.submitIdempotent, h.fastify.postJson, fastPost, update, 'pgbench -N', false);
    vs('1 submit', `… ${db}, one account per connection`, run.submitManyAccounts, h.fastify.postJson, fastPost, update, 'pgbench -N', false);
    vs('2 poll', `GET /v2/jobs/{id}, ${db}, 1 key`, run.poll, h.fastify.get, fastGet, select, 'pgbench -S', true, sqlPoll);
    vs('2 poll', `… ${db}, one account per connection`, run.pollManyAccounts, h.fastify.get, fastGet, select, 'pgbench -S', false);
    rows.push({
      section: '6 memory',
      measure: `RSS under submit load, ${db} (reelay serve --role api)`,
      reelay: `idle ${run.idleRssMb} MB → peak ${run.submitPeakRssMb} MB`,
      baseline: `bare Fastify under its load: idle ${h.fastify.idleRssMb} MB → peak ${h.fastify.peakRssMb} MB`,
      ratio: ratio(run.submitPeakRssMb, h.fastify.peakRssMb),
    });
  }
  return rows;
}

function dispatchRows(d: DispatchBenchResult): TableRow[] {
  const rows: TableRow[] = [];
  const gw = d.rows.find((r) => r.variant.startsWith('graphile-worker'));
  const base = gw && !('error' in gw) ? gw : null;
  const baseText = base ? `graphile-worker add→start: ${lat(base.fromReturn)}` : `graphile-worker: not measured${gw && 'error' in gw ? `: ${gw.error.slice(0, 120)}` : ''}`;
  for (const r of d.rows) {
    if (r === gw) continue;
    if ('error' in r) {
      rows.push({ section: '3 dispatch', measure: r.variant, reelay: `not measured: ${r.error.slice(0, 160)}`, baseline: baseText, ratio: '–' });
      continue;
    }
    rows.push({
      section: '3 dispatch',
      measure: `commit → provider.submit, ${r.variant.replace(/^Reelay, /, '')}`,
      reelay: lat(r.fromReturn),
      baseline: baseText,
      ratio: base ? `p50 ${ratio(r.fromReturn.p50Ms, base.fromReturn.p50Ms)}, p99 ${ratio(r.fromReturn.p99Ms, base.fromReturn.p99Ms)}` : '–',
    });
  }
  for (const s of d.shipped) {
    const measure = `submit tx start → worker start (started_at − created_at), shipped sandbox, ${s.database}`;
    if ('error' in s) {
      rows.push({ section: '3 dispatch', measure, reelay: `not measured: ${s.error.slice(0, 160)}`, baseline: '', ratio: '–' });
      continue;
    }
    rows.push({
      section: '3 dispatch',
      measure,
      reelay: lat(s.startedMinusCreated),
      baseline: base ? `graphile-worker, from before addJob: ${lat(base.fromCall)}` : baseText,
      ratio: base ? `p50 ${ratio(s.startedMinusCreated.p50Ms, base.fromCall.p50Ms)}, p99 ${ratio(s.startedMinusCreated.p99Ms, base.fromCall.p99Ms)}` : '–',
    });
  }
  return rows;
}

function memoryRows(m: MemoryBenchResult): TableRow[] {
  const [reelay, bare] = m.servers;
  if (!reelay || 'error' in reelay) return [{ section: '6 memory', measure: 'streaming 50 MB', reelay: `not measured: ${reelay && 'error' in reelay ? reelay.error.slice(0, 160) : ''}`, baseline: '', ratio: '–' }];
  const ok = bare && !('error' in bare) ? bare : null;
  const growth = (peak: number | null, idle: number | null): number | null => (peak === null || idle === null ? null : Math.max(0, peak - idle));
  const cases = [
    ['full GETs', 'fullGet'],
    ['1 MiB Range GETs', 'rangeGet'],
    [`${m.stalledReaders} readers that stop reading`, 'stalledReaders'],
  ] as const;
  return cases.map(([label, k]) => {
    const r = reelay[k];
    const b = ok?.[k];
    const text = (c: typeof r, idle: number | null): string =>
      `peak ${c.peakRssMb} MB (idle ${idle} MB, +${growth(c.peakRssMb, idle)?.toFixed(0)})${c.load ? ` · ${n0(c.load.mbPerSecond)} MB/s` : ''}`;
    return {
      section: '6 memory',
      measure: `streaming 50 MB via /files, ${k === 'stalledReaders' ? label : `${label}, ${m.settings.connections} clients`}`,
      reelay: text(r, reelay.idleRssMb),
      baseline: b && ok ? `bare Node createReadStream: ${text(b, ok.idleRssMb)}` : 'bare Node: not measured',
      ratio: b && ok ? `growth ${ratio(growth(r.peakRssMb, reelay.idleRssMb), growth(b.peakRssMb, ok.idleRssMb))}${r.load && b.load ? `, MB/s ${ratio(r.load.mbPerSecond, b.load.mbPerSecond)}` : ''}` : '–',
    };
  });
}

/** Rows of bench/render.ts's result (another helper's file; read defensively). */
function renderRows(x: unknown): TableRow[] {
  const rows = (x as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) return [{ section: '5 render', measure: 'sandbox render', reelay: 'unrecognised result (see results.json)', baseline: '', ratio: '–' }];
  return rows.map((r: Record<string, unknown>) => ({
    section: '5 render',
    measure: `sandbox render ${String(r.kind)} ${String(r.resolution)} ${String(r.durationSeconds)} s (${String(r.width)}×${String(r.height)})`,
    reelay: `${Number(r.renderSeconds).toFixed(2)} s`,
    baseline: `bare ffmpeg encode, same size/frames/encoder (testsrc2): ${Number(r.baselineSeconds).toFixed(2)} s`,
    ratio: ratio(Number(r.renderSeconds), Number(r.baselineSeconds)),
  }));
}

interface PollScenario {
  scenario: string;
  jobs: number;
  completed: number;
  statusCallsPerJob: { mean: number; max: number };
  retrieveCallsPerJob: number;
  detectLagSeconds: { mean: number; p95: number };
}

/** Rows of bench/polls.ts's result (another helper's file, read defensively): each scenario against the naive poller. */
function pollRows(x: unknown): TableRow[] {
  const all = (x as { scenarios?: unknown }).scenarios;
  const scenarios = Array.isArray(all)
    ? (all as unknown[]).filter((s): s is PollScenario => typeof (s as PollScenario | null)?.statusCallsPerJob?.mean === 'number')
    : [];
  if (scenarios.length === 0) return [{ section: '4 upstream calls', measure: 'runPollBench()', reelay: 'unrecognised result (see results.json)', baseline: '', ratio: '–' }];
  const naive = scenarios.find((s) => s.scenario.startsWith('naive'));
  const text = (s: PollScenario): string =>
    `${s.statusCallsPerJob.mean} status calls/job (max ${s.statusCallsPerJob.max}) + ${s.retrieveCallsPerJob} retrieve · ${s.completed}/${s.jobs} completed · detect lag mean ${s.detectLagSeconds.mean} s, p95 ${s.detectLagSeconds.p95} s`;
  return scenarios
    .filter((s) => s !== naive)
    .map((s) => ({
      section: '4 upstream calls',
      measure: `MiniMax status calls per completed job, ${s.scenario}`,
      reelay: text(s),
      baseline: naive ? `${naive.scenario}: ${text(naive)}` : 'not measured',
      ratio: ratio(s.statusCallsPerJob.mean, naive?.statusCallsPerJob.mean),
    }));
}

/** Idle CPU of a worker with work queued that it cannot take yet, beside the same server with an empty queue. */
function idleRows(x: IdleBenchResult): TableRow[] {
  const base = x.cases.find((c) => c.queued === 0);
  return x.cases
    .filter((c) => c.queued > 0)
    .map((c) => ({
      section: '7 idle worker',
      measure: `${c.case} (${x.database}, goal < ${x.goalPercentOfCore} % of a core)`,
      reelay: `${c.cpuPercentOfCore.toFixed(2)} % of a core · ${c.statementsPerSecond} statements/s`,
      baseline: base ? `empty queue: ${base.cpuPercentOfCore.toFixed(2)} % · ${base.statementsPerSecond} statements/s` : '–',
      ratio: ratio(c.cpuPercentOfCore, base?.cpuPercentOfCore),
    }));
}

/** Three API processes on one schema beside one, and each beside the baseline the 1-process case is held to. */
function clusterRows(c: ClusterBenchResult): TableRow[] {
  const section = '8 cluster';
  const rows: TableRow[] = [];
  const cases = [
    ['submit', 'POST /v2/videos/generate, PostgreSQL, 1 key'],
    ['submitManyAccounts', '… PostgreSQL, one account per connection'],
    ['poll', 'GET /v2/jobs/{id}, PostgreSQL, 1 key'],
  ] as const;
  const pgb = Array.isArray(c.baselines.pgbench) ? c.baselines.pgbench : [];
  const baselineText = (k: (typeof cases)[number][0]): string => {
    if (k === 'poll') return rps(c.baselines.fastifyGet);
    const p = pgb.find((x) => x.script.startsWith(k === 'submit' ? 'one hot row' : 'simple-update'));
    return p ? tps(p) : 'not measured';
  };
  for (const [k, label] of cases) {
    const q = c.ratios[k];
    rows.push({ section, measure: `${label}, 3 API processes`, reelay: rps(c.three[k]), baseline: `1 API process, same schema, before: ${rps(c.one[k])}`, ratio: `×${q.threeOverOne.toFixed(2)} (of the mean)` });
    rows.push({ section, measure: '', reelay: '', baseline: `… and after: ${rps(c.oneAfter[k])}`, ratio: '' });
    rows.push({
      section,
      measure: '',
      reelay: '',
      baseline: `${q.baseline} (${c.baselines.source}): ${baselineText(k)}`,
      ratio: q.threeOverBaseline === null || q.oneOverBaseline === null ? '–' : `×${q.threeOverBaseline.toFixed(2)} (1 process, mean: ×${q.oneOverBaseline.toFixed(2)})`,
    });
  }
  const f = c.baselines;
  rows.push({
    section,
    measure: 'bare Fastify GET /hello, 3 processes (what 3 processes cost here, whatever they run)',
    reelay: rps(f.fastifyThreeProcesses),
    baseline: `1 process, measured just before: ${rps(f.fastifyOneProcess)}`,
    ratio: ratio(f.fastifyThreeProcesses.rps, f.fastifyOneProcess.rps),
  });
  const ok = c.correctness;
  rows.push({
    section,
    measure: 'jobs and holds under load, 1 and 3 processes',
    reelay: `${n0(ok.jobRows)} job rows for ${n0(ok.responses202)} 202s + ${ok.unanswered} submits cut off unanswered · held ${n0(ok.heldCredits)} credits · ${ok.accountsOff} accounts off`,
    baseline: `expected: rows between 202s and 202s + unanswered, held ${n0(ok.expectedHeld)} (48 × rows) on every account`,
    ratio: ok.ok ? (ok.everySentSubmitMadeOneJob ? 'exact (rows = 202s + unanswered)' : 'within') : 'MISMATCH',
  });
  const rl = c.rateLimit;
  rows.push(
    'error' in rl
      ? { section, measure: 'rate limit across 3 processes', reelay: `not measured: ${rl.error.slice(0, 160)}`, baseline: '', ratio: '–' }
      : {
          section,
          measure: `rate limit ${rl.limitPerMinute}/min across ${rl.processes} processes, ${rl.seconds} s of GET /v2/jobs`,
          reelay: `${n0(rl.admitted)} admitted · ${n0(rl.refused)} × 429 · ${rl.other} other · ${rl.reservedInDatabase ?? '–'} reserved in rate_counts`,
          baseline: `documented: ${rl.documentedBound.min}–${rl.documentedBound.max} (never over; under by at most one block per process)`,
          ratio: rl.withinBound ? 'within' : 'OUTSIDE',
        },
  );
  return rows;
}

export function tableOf(results: Record<string, unknown>): TableRow[] {
  const rows: TableRow[] = [];
  const section = (name: string, title: string, build: (x: unknown) => TableRow[]): void => {
    const x = results[name];
    const p = problem(x);
    if (p) rows.push({ section: title, measure: name, reelay: p.startsWith('not available') ? p : `not measured: ${p}`, baseline: '', ratio: '–' });
    else rows.push(...build(x));
  };
  section('http', '1–2 submit/poll', (x) => httpRows(x as HttpBenchResult));
  section('cluster', '8 cluster', (x) => clusterRows(x as ClusterBenchResult));
  section('dispatch', '3 dispatch', (x) => dispatchRows(x as DispatchBenchResult));
  section('polls', '4 upstream calls', pollRows);
  section('render', '5 render', renderRows);
  section('memory', '6 memory', (x) => memoryRows(x as MemoryBenchResult));
  section('idle', '7 idle worker', (x) => idleRows(x as IdleBenchResult));
  return rows;
}

export function toMarkdown(rows: TableRow[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| # | measure | Reelay | baseline (same run) | Reelay ÷ baseline |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.section.split(' ')[0]} | ${esc(r.measure)} | ${esc(r.reelay)} | ${esc(r.baseline)} | ${esc(r.ratio)} |`),
  ].join('\n');
}

/**
 * `npm run bench`: every performance figure of docs/performance.md, each beside a baseline
 * measured in the same run on the same machine, printed as a table and written to
 * bench/results.json. Not part of `npm test`.
 *
 *   npm run bench                          everything (about 9–11 minutes on 2 cores)
 *   npm run bench -- --only http,dispatch  some sections: http, cluster, dispatch, memory, polls, upstreams, render, idle, waiters
 *   npm run bench -- --quick               short cases, for trying the bench itself (figures are noisier)
 *
 * PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test. The bench
 * creates its own schemas (and one database for pgbench) there and drops them afterwards.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pgExec, postgresReachable, PG_URL, run, type LoadSettings } from './common.js';
import { runHttpBench } from './http.js';
import { runClusterBench } from './cluster.js';
import { runDispatchBench } from './dispatch.js';
import { runMemoryBench } from './memory.js';
import { runIdleBench } from './idle.js';
import { runWaitersBench } from './waiters.js';
import { tableOf, toMarkdown } from './table.js';
import { parseBenchArgs } from './args.js';

const SECTIONS = ['http', 'cluster', 'dispatch', 'memory', 'polls', 'upstreams', 'render', 'idle', 'waiters'] as const;
type Section = (typeof SECTIONS)[number];

/** A bench file another helper owns, loaded only if it exists: `{ fn }`, or why not. */
async function optional(file: string, exportName: string): Promise<{ fn: (opts?: object) => Promise<unknown> } | { missing: string }> {
  const url = new URL(`./${file}`, import.meta.url);
  if (!existsSync(url)) return { missing: `not available: bench/${file} does not exist` };
  try {
    const mod = (await import(url.href)) as Record<string, unknown>;
    const fn = mod[exportName];
    if (typeof fn !== 'function') return { missing: `not available: bench/${file} has no ${exportName}()` };
    return { fn: fn as (opts?: object) => Promise<unknown> };
  } catch (err) {
    return { missing: `not available: bench/${file} failed to load: ${(err as Error).message.slice(0, 300)}` };
  }
}

async function machine(postgres: boolean): Promise<Record<string, unknown>> {
  const version = async (cmd: string, args: string[]): Promise<string | null> => (await run(cmd, args).catch(() => null))?.trim() ?? null;
  return {
    nproc: Number((await version('nproc', [])) ?? cpus().length),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    postgres: postgres ? String((await pgExec('SHOW server_version')).rows[0]?.server_version ?? '') : null,
    postgresSettings: postgres
      ? Object.fromEntries(
          (await pgExec(`SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'shared_buffers', 'max_connections')`)).rows.map(
            (r: { name: string; setting: string }) => [r.name, r.setting],
          ),
        )
      : null,
    pgbench: await version('pgbench', ['--version']),
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseBenchArgs<Section>>;
  try {
    args = parseBenchArgs(process.argv.slice(2), SECTIONS);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const { only, quick } = args;
  const started = Date.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  };
  // 10 connections = Reelay's pg pool size, so the database sees the same concurrency as pgbench -c 10;
  // on 2 cores more connections only queue (higher p99), they do not add throughput.
  const httpSettings: LoadSettings = quick ? { connections: 10, durationSeconds: 3, warmupSeconds: 1 } : { connections: 10, durationSeconds: 10, warmupSeconds: 2 };
  // One, three, then one API process again on one schema, three cases each: 5 s cases keep the section near 100 s.
  const clusterSettings: LoadSettings = quick ? { connections: 10, durationSeconds: 2, warmupSeconds: 1 } : { connections: 10, durationSeconds: 5, warmupSeconds: 1 };
  const streamSettings: LoadSettings = quick ? { connections: 10, durationSeconds: 2, warmupSeconds: 1 } : { connections: 10, durationSeconds: 5, warmupSeconds: 1 };
  const postgres = await postgresReachable();
  log(`PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, '//…@')}: ${postgres ? 'reachable' : 'NOT reachable (its cases are skipped)'}`);
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: await machine(postgres),
    settings: { http: httpSettings, cluster: clusterSettings, stream: streamSettings },
  };
  const attempt = async (name: Section, fn: () => Promise<unknown>): Promise<void> => {
    if (!only.has(name)) {
      results[name] = { skipped: 'not selected (--only)' };
      return;
    }
    const t = Date.now();
    log(`${name}…`);
    try {
      results[name] = await fn();
    } catch (err) {
      results[name] = { error: (err as Error).stack?.slice(0, 2000) ?? String(err) };
    }
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  };

  await attempt('http', () => runHttpBench(httpSettings, postgres, log));
  // After http, so that it reuses that section's baselines when both run.
  await attempt('cluster', async () =>
    postgres ? runClusterBench(clusterSettings, { hammerSeconds: quick ? 4 : 10, http: results.http }, log) : { skipped: 'PostgreSQL not reachable' },
  );
  await attempt('dispatch', () => runDispatchBench({ jobs: quick ? 40 : 150, shippedJobs: quick ? 15 : 40, postgres }, log));
  await attempt('memory', () => runMemoryBench(streamSettings, postgres, log));
  await attempt('polls', async () => {
    const m = await optional('polls.ts', 'runPollBench');
    return 'fn' in m ? m.fn() : { notAvailable: m.missing };
  });
  // Per upstream (MiniMax, WaveSpeed, fal, Replicate), polling and callbacks (bench/upstreams.ts, ~4 min); in results.json.
  await attempt('upstreams', async () => {
    const m = await optional('upstreams.ts', 'runUpstreamBench');
    return 'fn' in m ? m.fn(quick ? { jobs: 10, scale: 30 } : {}) : { notAvailable: m.missing };
  });
  await attempt('render', async () => {
    const m = await optional('render.ts', 'runRenderBench');
    // Text-to-video only: the four sizes the issue names; one run each keeps the bench under 10 minutes.
    return 'fn' in m ? m.fn({ runs: 1, imageToVideo: false }) : { notAvailable: m.missing };
  });
  // 10,000 SSE/long-poll waiters on one API process (bench/waiters.ts); in results.json, not in the table.
  await attempt('waiters', async () => {
    const n = quick ? 1000 : 10_000;
    return { pglite: await runWaitersBench('pglite', n), postgres: postgres ? await runWaitersBench('postgres', n) : { skipped: 'no PostgreSQL' } };
  });

  // Idle CPU of a worker with 100 jobs it cannot take yet (issue 12's goal: under 2 % of a core).
  await attempt('idle', () => runIdleBench(quick ? { seconds: 3 } : { seconds: 10 }));

  results.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  (results.machine as Record<string, unknown>).loadAverageAtEnd = loadavg().map((x) => Number(x.toFixed(2)));
  const table = tableOf(results);
  results.table = table;
  const out = fileURLToPath(new URL('./results.json', import.meta.url));
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${toMarkdown(table)}\n\nWritten: bench/results.json (${results.elapsedSeconds as number} s)\n`);
}

await main();
// Pools and timers of the libraries under test must not keep the bench alive once it is done.
process.exit(0);

/**
 * Memory while streaming a 50 MB result through `/files/...` (signed URL, full and Range GETs,
 * and readers that stop reading), against the server's own idle RSS and against a bare Node
 * `fs.createReadStream → http` server streaming the same file under the same load.
 *
 * The file is put where the local blob store keeps a job's video (`<dataDir>/files/jobs/<id>/
 * video.mp4`) and signed with the deployment's `file_signing_secret`, exactly as a finished job's
 * `result.videoUrl` is; the route needs no job row.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Agent, get, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { expiryFor, signedPath } from '../src/storage/index.js';
import { percentile, procMemory, round, sleep, spawnBaseline, spawnReelay, watchPeak, type Child, type LoadResult, type LoadSettings } from './common.js';
import { prepareReelay } from './http.js';

export const FILE_BYTES = 50 * 1024 * 1024;
const RANGE_BYTES = 1024 * 1024;
const STALLED_READERS = 20;

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 1024 * 1024) {
    if (!out.write(randomBytes(Math.min(1024 * 1024, bytes - written)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** One GET read to the end; resolves with its status and byte count. */
function getAll(url: string, agent: Agent, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Closed-loop download load: `connections` keep-alive clients fetch back to back. autocannon is not
 * used here: its parser manages about 12 MB/s of body on this machine, where Node's own client
 * reads several hundred.
 */
async function downloadLoad(url: string, s: LoadSettings, headers: () => Record<string, string> = () => ({})): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: s.connections });
  const latencies: number[] = [];
  let bytes = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const phase = async (seconds: number, record: boolean): Promise<number> => {
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: s.connections }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            const r = await getAll(url, agent, headers());
            if (!record) continue;
            latencies.push(performance.now() - t);
            bytes += r.bytes;
            if (r.status >= 200 && r.status < 300) ok++;
            else non2xx++;
          } catch {
            if (record) errors++;
          }
        }
      }),
    );
    return (performance.now() - started) / 1000;
  };
  try {
    if (s.warmupSeconds > 0) await phase(s.warmupSeconds, false);
    const duration = await phase(s.durationSeconds, true);
    return {
      rps: round(ok / duration, 1),
      p50Ms: round(percentile(latencies, 50) ?? NaN, 1),
      p99Ms: round(percentile(latencies, 99) ?? NaN, 1),
      requests: latencies.length,
      non2xx,
      errors,
      mbPerSecond: round(bytes / duration / 1e6, 1),
      durationSeconds: round(duration, 2),
    };
  } finally {
    agent.destroy();
  }
}

/** `n` GETs that read nothing after the headers for `holdMs`: the server must apply backpressure, not buffer. */
async function stalledReaders(url: string, n: number, holdMs: number): Promise<void> {
  const reqs: ClientRequest[] = [];
  for (let i = 0; i < n; i++) {
    const req = get(url, (res) => res.pause());
    req.on('error', () => {});
    reqs.push(req);
  }
  await sleep(holdMs);
  for (const r of reqs) r.destroy();
  await sleep(200);
}

export interface StreamCase {
  load: LoadResult | null;
  peakRssMb: number | null;
}

export interface StreamServerResult {
  server: string;
  idleRssMb: number | null;
  fullGet: StreamCase;
  rangeGet: StreamCase;
  stalledReaders: StreamCase;
  peakMethod: string;
}

async function measureServer(name: string, child: Child, path: string, s: LoadSettings): Promise<StreamServerResult> {
  const url = child.url + path;
  const probe = await fetch(url, { headers: { range: 'bytes=0-0' } });
  await probe.arrayBuffer();
  if (probe.status !== 206) throw new Error(`${name}: a Range GET answered ${probe.status}`);
  await sleep(500);
  const idle = await procMemory(child.pid);
  let method = '';
  const windowed = async (fn: () => Promise<LoadResult | null>): Promise<StreamCase> => {
    const peak = await watchPeak(child.pid);
    const result = await fn();
    const p = await peak.stop();
    method = p.method;
    return { load: result, peakRssMb: p.peakMb };
  };
  const fullGet = await windowed(() => downloadLoad(url, s));
  const rangeGet = await windowed(() =>
    downloadLoad(url, s, () => {
      const start = Math.floor(Math.random() * (FILE_BYTES / RANGE_BYTES)) * RANGE_BYTES;
      return { range: `bytes=${start}-${start + RANGE_BYTES - 1}` };
    }),
  );
  const stalled = await windowed(async () => {
    await stalledReaders(url, STALLED_READERS, s.durationSeconds * 1000);
    return null;
  });
  return { server: name, idleRssMb: idle?.rssMb ?? null, fullGet, rangeGet, stalledReaders: stalled, peakMethod: method };
}

export interface MemoryBenchResult {
  fileBytes: number;
  rangeBytes: number;
  stalledReaders: number;
  settings: LoadSettings;
  servers: Array<StreamServerResult | { server: string; error: string }>;
}

/**
 * @example
 * const r = await runMemoryBench({ connections: 10, durationSeconds: 5, warmupSeconds: 1 });
 */
export async function runMemoryBench(s: LoadSettings, postgres: boolean, log: (line: string) => void = () => {}): Promise<MemoryBenchResult> {
  const servers: MemoryBenchResult['servers'] = [];
  // On PostgreSQL when there is one: PGlite's WASM heap (~300 MB) would dwarf what streaming adds.
  const database = postgres ? 'postgres' : 'pglite';
  const prep = await prepareReelay(database);
  try {
    const key = `jobs/${randomUUID()}/video.mp4`;
    const file = join(prep.dataDir, 'files', key);
    await writeRandomFile(file, FILE_BYTES);
    const path = signedPath(prep.fileSigningSecret, key, expiryFor(Date.now(), 3600));
    for (const [name, start, p] of [
      [`reelay serve on ${database} (/files, signed URL)`, () => spawnReelay(prep.env), path],
      ['bare Node createReadStream → http', () => spawnBaseline(['stream', file]), '/video.mp4'],
    ] as const) {
      log(`streaming 50 MB: ${name}`);
      let child: Child | undefined;
      try {
        child = await start();
        servers.push(await measureServer(name, child, p, s));
      } catch (err) {
        servers.push({ server: name, error: (err as Error).message.slice(0, 500) });
      } finally {
        await child?.stop();
      }
    }
  } finally {
    await prep.cleanup();
  }
  return { fileBytes: FILE_BYTES, rangeBytes: RANGE_BYTES, stalledReaders: STALLED_READERS, settings: s, servers };
}

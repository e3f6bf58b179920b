/**
 * A MiniMax-compatible video API on loopback, speaking the documented V1 protocol over real HTTP
 * (reference/upstream-apis.md §1): create with the callback challenge handshake, query, files/
 * retrieve with expiring signed download URLs, and the download itself serving a real MP4. Timings
 * are scaled down; every fault Reelay must survive can be injected per endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { ffmpegPath } from '../../src/media/index.js';

export type Endpoint = 'create' | 'query' | 'retrieve' | 'download';

export type Fault =
  | { kind: 'code'; code: number; msg?: string }
  | { kind: 'http'; status: number; retryAfterSeconds?: number }
  | { kind: 'malformed' }
  | { kind: 'slow'; delayMs: number }
  /** files/retrieve hands out a URL that is already expired (the download answers 403). */
  | { kind: 'expired' }
  /** The download sends half the bytes, then drops the connection. */
  | { kind: 'truncate' }
  /** The download answers 200 with bytes that are not a video (a CDN error page, a corrupt object). */
  | { kind: 'garbage' };

export interface TaskPlan {
  durationMs: number;
  /** `Success` (default), a failure status word as sent (`Fail`, `Failed`, `failed`), or a code reported with `Fail`. */
  outcome?: string | { code: number; msg: string };
  /** Reported instead of Processing while running (an undocumented status word). */
  runningStatus?: string;
}

export interface CallLog {
  endpoint: Endpoint;
  start: number;
  end: number;
  taskId?: string;
}

export interface Task {
  id: string;
  plan: TaskPlan;
  createdAt: number;
  prompt: string;
  callbackUrl: string | null;
  fileId: string | null;
  /** When a query first reported the finished state (to measure how late pollers notice). */
  seenDoneAt?: number;
  /** Set when its completion callback timer fired: done from then on, whatever the clock says. */
  finished?: boolean;
  timer?: NodeJS.Timeout;
}

const run = promisify(execFile);

/** A real 1 s 1366×768 H.264 MP4 (MiniMax's 768P 16:9 size), made once per machine and reused. */
export async function sampleVideo(): Promise<string> {
  const file = join(tmpdir(), 'reelay-fake-minimax-1366x768.mp4');
  try {
    await access(file);
    return file;
  } catch {
    const part = `${file}.${process.pid}.tmp.mp4`;
    await run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=1366x768:rate=24', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', part]);
    await rename(part, file);
    return file;
  }
}

const IMAGE_DATA_URI = /^data:image\/(jpeg|png|webp);base64,([A-Za-z0-9+/=]+)$/;

function statusAt(t: Task, now: number): string {
  // A timer may fire a millisecond before Date.now() says the duration has passed: the completion
  // callback must still describe a finished task.
  const f = t.finished ? 1 : (now - t.createdAt) / t.plan.durationMs;
  if (f < 0.1) return 'Preparing';
  if (f < 0.25) return 'Queueing';
  if (f < 1) return t.plan.runningStatus ?? 'Processing';
  const o = t.plan.outcome ?? 'Success';
  return typeof o === 'string' ? o : 'Fail';
}

export class FakeMinimax {
  url = '';
  readonly calls: CallLog[] = [];
  readonly creates: Array<{ at: number; body: Record<string, unknown>; taskId: string | null }> = [];
  readonly challenges: Array<{ ms: number; ok: boolean }> = [];
  readonly callbacksSent: Array<{ taskId: string; status: string; httpStatus: number }> = [];
  readonly tasks = new Map<string, Task>();
  /** Most requests in flight at once on the API endpoints (create/query/retrieve). */
  maxConcurrent = 0;
  /** The next this many challenges fail as if Reelay's callback URL were unreachable. */
  breakChallenges = 0;
  /** The plan for a new task; tests replace it. */
  plan: (body: Record<string, unknown>) => TaskPlan;
  /**
   * Each request to the endpoint meets the fault with this probability (drawn from `random`, which
   * tests seed so a run can be replayed), after any queued `inject` faults.
   */
  readonly faultRates = new Map<Endpoint, { fault: Fault; rate: number }>();
  /** The first download of every file answers 403 "Request has expired" (a URL that aged in a queue). */
  forbidFirstDownload = false;
  random: () => number = Math.random;
  /** Faults actually served, per endpoint and kind (so a test can show its faults happened). */
  readonly served = new Map<string, number>();
  private readonly downloaded = new Set<string>();
  private inflight = 0;
  private readonly faults = new Map<Endpoint, Fault[]>();
  private readonly files = new Map<string, string>();
  private readonly links = new Map<string, { fileId: string; expiresAt: number }>();
  private server: Server | undefined;

  constructor(
    private readonly o: { apiKey: string; video: string; taskMs?: number; latencyMs?: number; downloadUrlTtlMs?: number },
  ) {
    this.plan = () => ({ durationMs: o.taskMs ?? 1500 });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res));
    // Like a real API host, keep idle connections longer than a client's pool does (Node's 5 s
    // default makes a reused socket die under a waiting client with ECONNRESET).
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.tasks.values()) clearTimeout(t.timer);
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The next `times` requests to `endpoint` meet `fault`. */
  inject(endpoint: Endpoint, fault: Fault, times = 1): void {
    const q = this.faults.get(endpoint) ?? [];
    for (let i = 0; i < times; i++) q.push(fault);
    this.faults.set(endpoint, q);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** A task as if created earlier by someone (tests that insert running jobs directly). */
  addTask(plan: TaskPlan, prompt = ''): string {
    const id = this.newTaskId();
    this.tasks.set(id, { id, plan, createdAt: Date.now(), prompt, callbackUrl: null, fileId: null });
    return id;
  }

  createsFor(promptPart: string): number {
    return this.creates.filter((c) => String(c.body.prompt ?? '').includes(promptPart)).length;
  }

  count(endpoint: Endpoint, taskId?: string): number {
    return this.calls.filter((c) => c.endpoint === endpoint && (taskId === undefined || c.taskId === taskId)).length;
  }

  /** Most calls whose arrival falls in any window of `windowMs` (a sliding window, the strictest reading). */
  maxInWindow(windowMs: number, endpoints: Endpoint[]): number {
    const t = this.calls.filter((c) => endpoints.includes(c.endpoint)).map((c) => c.start).sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i]! - t[j]! >= windowMs) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  }

  private newTaskId(): string {
    return String(1e14 + Math.floor(Math.random() * 9e14));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const endpoint: Endpoint | null =
      req.method === 'POST' && u.pathname === '/v1/video_generation' ? 'create'
      : req.method === 'GET' && u.pathname === '/v1/query/video_generation' ? 'query'
      : req.method === 'GET' && u.pathname === '/v1/files/retrieve' ? 'retrieve'
      : req.method === 'GET' && u.pathname.startsWith('/download/') ? 'download'
      : null;
    if (!endpoint) return void res.writeHead(404).end();
    const log: CallLog = { endpoint, start: Date.now(), end: 0, ...(u.searchParams.get('task_id') ? { taskId: u.searchParams.get('task_id')! } : {}) };
    this.calls.push(log);
    const api = endpoint !== 'download';
    if (api) this.maxConcurrent = Math.max(this.maxConcurrent, ++this.inflight);
    // The call ends when its last byte is handed over ('finish'), or when the connection dies.
    // 'close' alone comes a tick later and would count calls the client already saw answered.
    const end = (): void => {
      if (log.end) return;
      log.end = Date.now();
      if (api) this.inflight--;
    };
    res.once('finish', end);
    res.once('close', end);
    try {
      // The body is read first, as a real server does: a slow answer to a create whose body arrived
      // still makes the task, even if the client has given up waiting (an ambiguous create).
      const createBody = endpoint === 'create' ? await readJson(req) : undefined;
      let fault = this.faults.get(endpoint)?.shift();
      const rated = this.faultRates.get(endpoint);
      if (!fault && rated && this.random() < rated.rate) fault = rated.fault;
      if (fault) this.served.set(`${endpoint}:${fault.kind}`, (this.served.get(`${endpoint}:${fault.kind}`) ?? 0) + 1);
      if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
      else if (this.o.latencyMs) await new Promise((r) => setTimeout(r, this.o.latencyMs));
      if (fault?.kind === 'http') {
        return void res.writeHead(fault.status, fault.retryAfterSeconds ? { 'retry-after': String(fault.retryAfterSeconds) } : {}).end('upstream trouble');
      }
      if (fault?.kind === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"task_id": "12', 'utf8');
      if (endpoint === 'download') return await this.download(u, res, fault);
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${this.o.apiKey}`) return this.json(res, { base_resp: auth ? { status_code: 2049, status_msg: 'invalid api key' } : { status_code: 1004, status_msg: 'cookie is missing, log in again' } });
      if (fault?.kind === 'code') return this.json(res, { base_resp: { status_code: fault.code, status_msg: fault.msg ?? `injected ${fault.code}` } });
      if (endpoint === 'create') return this.json(res, await this.create(createBody ?? {}));
      if (endpoint === 'query') return this.json(res, this.query(u.searchParams.get('task_id') ?? ''));
      return this.json(res, this.retrieve(u.searchParams.get('file_id') ?? '', fault?.kind === 'expired'));
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async create(body: Record<string, unknown>): Promise<unknown> {
    const bad = (msg: string) => ({ base_resp: { status_code: 2013, status_msg: `invalid params, ${msg}` } });
    const record = { ...body };
    if (typeof body.first_frame_image === 'string') record.first_frame_image = `${body.first_frame_image.slice(0, 30)}…(${body.first_frame_image.length})`;
    const entry = { at: Date.now(), body: record, taskId: null as string | null };
    this.creates.push(entry);
    const model = body.model;
    if (model !== 'MiniMax-Hailuo-2.3' && model !== 'MiniMax-Hailuo-2.3-Fast') return bad(`model ${String(model)} not supported`);
    const img = body.first_frame_image;
    if (img !== undefined) {
      const m = typeof img === 'string' ? IMAGE_DATA_URI.exec(img) : null;
      if (!m || Buffer.from(m[2]!, 'base64').length < 100) return bad('first_frame_image must be a URL or an image data URL');
    } else if (model === 'MiniMax-Hailuo-2.3-Fast') return bad('first_frame_image is required');
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    if (!img && prompt === '') return bad('prompt is required');
    if ([...prompt].length > 2000) return bad('prompt too long');
    if (!['768P', '1080P'].includes(String(body.resolution))) return bad(`resolution ${String(body.resolution)}`);
    if (![6, 10].includes(Number(body.duration)) || (body.resolution === '1080P' && body.duration !== 6)) return bad('duration');
    const callbackUrl = typeof body.callback_url === 'string' ? body.callback_url : null;
    if (callbackUrl && !(await this.challenge(callbackUrl))) return bad('fail to check callback url');
    const id = this.newTaskId();
    const task: Task = { id, plan: this.plan(body), createdAt: Date.now(), prompt, callbackUrl, fileId: null };
    this.tasks.set(id, task);
    entry.taskId = id;
    if (callbackUrl) {
      task.timer = setTimeout(() => {
        task.finished = true;
        void this.callback(task);
      }, task.plan.durationMs);
    }
    return { task_id: id, base_resp: { status_code: 0, status_msg: 'success' } };
  }

  /** MiniMax's handshake: the URL must echo the challenge within 3 s, or create fails. */
  private async challenge(url: string): Promise<boolean> {
    const challenge = randomUUID();
    const t0 = Date.now();
    let ok = false;
    if (this.breakChallenges > 0) {
      this.breakChallenges--;
      const closed = new URL(url);
      closed.port = '1'; // nothing listens there: connection refused, as for a wrong PUBLIC_URL
      url = closed.href;
    }
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ challenge }), signal: AbortSignal.timeout(3000) });
      ok = res.ok && ((await res.json()) as { challenge?: unknown }).challenge === challenge;
    } catch {
      ok = false;
    }
    this.challenges.push({ ms: Date.now() - t0, ok });
    return ok;
  }

  private async callback(task: Task): Promise<void> {
    const body = this.query(task.id, false);
    delete body.video_width;
    delete body.video_height;
    try {
      const res = await fetch(task.callbackUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(3000) });
      this.callbacksSent.push({ taskId: task.id, status: String(body.status), httpStatus: res.status });
    } catch {
      this.callbacksSent.push({ taskId: task.id, status: String(body.status), httpStatus: 0 });
    }
  }

  private query(taskId: string, observed = true): Record<string, unknown> {
    const t = this.tasks.get(taskId);
    if (!t) return { task_id: taskId, status: '', file_id: '', base_resp: { status_code: 2013, status_msg: 'invalid params, task not found' } };
    const now = Date.now();
    const status = statusAt(t, now);
    if (observed && (t.finished || now - t.createdAt >= t.plan.durationMs)) t.seenDoneAt ??= now;
    const out: Record<string, unknown> = { task_id: taskId, status, file_id: '', base_resp: { status_code: 0, status_msg: 'success' } };
    if (status === 'Success') {
      t.fileId ??= String(2e14 + Math.floor(Math.random() * 7e14));
      this.files.set(t.fileId, t.id);
      Object.assign(out, { file_id: t.fileId, video_width: 1366, video_height: 768 });
    }
    const o = t.plan.outcome;
    if (status === 'Fail' && o && typeof o === 'object') out.base_resp = { status_code: o.code, status_msg: o.msg };
    return out;
  }

  private retrieve(fileId: string, expired: boolean): unknown {
    if (!this.files.has(fileId)) return { base_resp: { status_code: 2013, status_msg: 'invalid params, file not found' } };
    const token = randomBytes(12).toString('hex');
    this.links.set(token, { fileId, expiresAt: expired ? Date.now() - 1 : Date.now() + (this.o.downloadUrlTtlMs ?? 3_600_000) });
    return {
      file: { file_id: Number(fileId), bytes: 0, created_at: Math.floor(Date.now() / 1000), filename: 'output.mp4', purpose: 'video_generation', download_url: `${this.url}/download/${fileId}.mp4?token=${token}` },
      base_resp: { status_code: 0, status_msg: 'success' },
    };
  }

  private async download(u: URL, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    const link = this.links.get(u.searchParams.get('token') ?? '');
    if (!link || link.expiresAt < Date.now()) {
      return void res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>');
    }
    if (this.forbidFirstDownload && !this.downloaded.has(link.fileId)) {
      this.downloaded.add(link.fileId);
      this.served.set('download:forbidden-first', (this.served.get('download:forbidden-first') ?? 0) + 1);
      return void res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>');
    }
    if (fault?.kind === 'garbage') {
      const junk = Buffer.from('<html><body>504 Gateway Time-out</body></html>\n'.repeat(40));
      return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(junk.length) }).end(junk);
    }
    const size = (await stat(this.o.video)).size;
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
    if (fault?.kind === 'truncate') {
      const bytes = await readFile(this.o.video);
      res.write(bytes.subarray(0, size >> 1));
      await new Promise((r) => setTimeout(r, 20));
      return void res.destroy();
    }
    createReadStream(this.o.video).pipe(res);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Starts a fake MiniMax with a sample video.
 *
 * @example
 * const fake = await startFakeMinimax({ apiKey: 'mm-test-key', taskMs: 1500 });
 * // … startReelay({ minimaxApiKey: 'mm-test-key', minimaxBaseUrl: fake.url, … })
 * await fake.stop();
 */
export async function startFakeMinimax(o: { apiKey: string; taskMs?: number; latencyMs?: number; downloadUrlTtlMs?: number }): Promise<FakeMinimax> {
  return new FakeMinimax({ ...o, video: await sampleVideo() }).start();
}

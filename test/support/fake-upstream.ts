/**
 * What the WaveSpeed, fal and Replicate fakes share: a loopback HTTP server, a call log, fault
 * injection per endpoint, tasks that finish on a timer, a CDN serving a real MP4 behind expiring
 * links, and webhook delivery. Each vendor's file (wavespeed-server.ts, fal-server.ts,
 * replicate-server.ts) speaks only its own documented protocol on top.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Answer with this status (and body, headers) instead of the real answer. */
  | { kind: 'http'; status: number; retryAfterSeconds?: number; body?: unknown; headers?: Record<string, string> }
  /** Wait this long before answering (past the client's timeout, it is a timeout). */
  | { kind: 'slow'; delayMs: number }
  /** The next result hands out a video URL that has already expired. */
  | { kind: 'expired' };

export interface CallLog {
  endpoint: string;
  method: string;
  path: string;
  start: number;
  taskId?: string;
}

/** How a fake task ends: success, or a vendor-specific failure the vendor file understands. */
export interface TaskPlan<F> {
  durationMs: number;
  failure?: F;
  /** Stays in the queue this fraction of its duration before it runs (0.25 by default). */
  queuedFraction?: number;
}

export interface FakeTask<F> {
  id: string;
  plan: TaskPlan<F>;
  createdAt: number;
  model: string;
  input: Record<string, unknown>;
  webhook: string | null;
  canceled: boolean;
  /** Set when its completion timer fired: done from then on, whatever the clock says. */
  finished?: boolean;
  timer?: NodeJS.Timeout;
}

export interface WebhookSent {
  taskId: string;
  httpStatus: number;
  signed: 'good' | 'bad';
}

export abstract class FakeUpstream<F> {
  url = '';
  readonly calls: CallLog[] = [];
  readonly tasks = new Map<string, FakeTask<F>>();
  readonly webhooksSent: WebhookSent[] = [];
  /** The plan for a new task; tests replace it. */
  plan: (input: Record<string, unknown>, model: string) => TaskPlan<F>;
  /** The next this many webhooks go out with a wrong signature. */
  badSignatures = 0;
  private readonly faults = new Map<string, Fault[]>();
  private readonly links = new Map<string, number>();
  private server: Server | undefined;

  constructor(protected readonly o: { apiKey: string; video: string; taskMs?: number }) {
    this.plan = () => ({ durationMs: o.taskMs ?? 1200 });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.dispatch(req, res));
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
  inject(endpoint: string, fault: Fault, times = 1): void {
    const q = this.faults.get(endpoint) ?? [];
    for (let i = 0; i < times; i++) q.push(fault);
    this.faults.set(endpoint, q);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  count(endpoint: string, taskId?: string): number {
    return this.calls.filter((c) => c.endpoint === endpoint && (taskId === undefined || c.taskId === taskId)).length;
  }

  /** The task whose prompt contains `part`. */
  taskFor(part: string): FakeTask<F> | undefined {
    return [...this.tasks.values()].find((t) => String(t.input.prompt ?? '').includes(part));
  }

  /** Which endpoint a request is for (and its task id), or null for 404. */
  protected abstract endpointOf(method: string, path: string): { endpoint: string; taskId?: string } | null;
  protected abstract handle(endpoint: string, req: IncomingMessage, u: URL, body: string, taskId: string | undefined, res: ServerResponse, fault: Fault | undefined): Promise<void>;
  /** Sends the vendor's webhook for a finished task. */
  protected abstract deliver(task: FakeTask<F>): Promise<void>;

  protected newId(): string {
    return randomBytes(10).toString('hex');
  }

  /** A new task that finishes (and, with a webhook, calls back) after its planned duration. */
  protected addTask(model: string, input: Record<string, unknown>, webhook: string | null): FakeTask<F> {
    const t: FakeTask<F> = { id: this.newId(), plan: this.plan(input, model), createdAt: Date.now(), model, input, webhook, canceled: false };
    this.tasks.set(t.id, t);
    // The webhook is sent when the task is done by definition: a timer may fire a millisecond
    // before Date.now() says the duration has passed, and the completion webhook then described
    // a task still `processing` (seen on CI).
    if (webhook) {
      t.timer = setTimeout(() => {
        t.finished = true;
        void this.deliver(t).catch(() => undefined);
      }, t.plan.durationMs);
    }
    return t;
  }

  /** 'queued' | 'running' | 'done' by the clock. */
  protected phaseOf(t: FakeTask<F>): 'queued' | 'running' | 'done' {
    if (t.finished) return 'done';
    const f = (Date.now() - t.createdAt) / t.plan.durationMs;
    if (f >= 1) return 'done';
    return f < (t.plan.queuedFraction ?? 0.25) ? 'queued' : 'running';
  }

  /** A CDN link to the video, valid for an hour (or already expired). */
  protected videoLink(expired = false): string {
    const token = randomBytes(12).toString('hex');
    this.links.set(token, expired ? Date.now() - 1 : Date.now() + 3_600_000);
    return `${this.url}/cdn/${token}/output.mp4`;
  }

  protected json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  protected async post(url: string, body: string, headers: Record<string, string>, taskId: string, signed: 'good' | 'bad'): Promise<void> {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(5000) });
      this.webhooksSent.push({ taskId, httpStatus: res.status, signed });
    } catch {
      this.webhooksSent.push({ taskId, httpStatus: 0, signed });
    }
  }

  /** Whether the next webhook is to be signed wrongly (and counts it down). */
  protected takeBadSignature(): boolean {
    if (this.badSignatures <= 0) return false;
    this.badSignatures--;
    return true;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    try {
      if (req.method === 'GET' && u.pathname.startsWith('/cdn/')) return await this.cdn(u, res);
      const hit = this.endpointOf(req.method ?? 'GET', u.pathname);
      if (!hit) return this.json(res, 404, { detail: 'Not Found' });
      this.calls.push({ endpoint: hit.endpoint, method: req.method ?? '', path: u.pathname, start: Date.now(), ...(hit.taskId ? { taskId: hit.taskId } : {}) });
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const fault = this.faults.get(hit.endpoint)?.shift();
      if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault?.kind === 'http') {
        const headers: Record<string, string> = { ...fault.headers, ...(fault.retryAfterSeconds ? { 'retry-after': String(fault.retryAfterSeconds) } : {}) };
        return this.json(res, fault.status, fault.body ?? { detail: `injected ${fault.status}` }, headers);
      }
      await this.handle(hit.endpoint, req, u, Buffer.concat(chunks).toString('utf8'), hit.taskId, res, fault);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  }

  private async cdn(u: URL, res: ServerResponse): Promise<void> {
    const token = u.pathname.split('/')[2] ?? '';
    const exp = this.links.get(token);
    this.calls.push({ endpoint: 'cdn', method: 'GET', path: u.pathname, start: Date.now() });
    if (exp === undefined || exp < Date.now()) return void res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    const size = (await stat(this.o.video)).size;
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
    createReadStream(this.o.video).pipe(res);
  }
}

/** True for a data URI of an image or an http(s) URL: what the fakes accept as an image input. */
export function isImageRef(v: unknown): boolean {
  return typeof v === 'string' && (/^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/=]{100,}$/.test(v) || /^https?:\/\//.test(v));
}

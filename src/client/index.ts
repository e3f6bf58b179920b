/**
 * A small TypeScript client for Reelay's `/v2` API (Apiframe-compatible).
 *
 * @example
 * import { Reelay } from 'reelay/client';
 * const reelay = new Reelay({ baseUrl: 'http://localhost:8080', apiKey: process.env.REELAY_API_KEY! });
 * const job = await reelay.run('hailuo-2.3', { prompt: 'a castle at dawn [Push in]', hailuoParams: { duration: 6 } }, {
 *   onProgress: (j) => console.log(j.status, j.progress),
 * });
 * console.log(job.result?.videoUrl);
 */
import type { GenerateBody } from '../http/dialects/apiframe/schema.js';
import { followJobEvents, StreamUnavailableError } from './sse.js';

export { followJobEvents, SseParser, StreamUnavailableError, type FollowJobOptions, type SseMessage } from './sse.js';

export type JobStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface JobResult {
  videoUrl: string;
  posterUrl: string;
  urlExpiresAt: string;
  contentType: string;
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  bytes: number;
  sha256: string;
}

export interface Job {
  id: string;
  status: JobStatus;
  model: string;
  progress: number;
  result: JobResult | null;
  error: string | null;
  errorCode: string | null;
  /** Why a live job waits while it retries upstream; null otherwise. */
  statusReason: string | null;
  /** What makes the video: `sandbox` (test keys) or the upstream (`minimax`, `wavespeed`, `fal`, `replicate`); null before a live job is routed. */
  engine: string | null;
  creditCost: number;
  webhookStatus: 'pending' | 'delivered' | 'failed' | null;
  input: Record<string, unknown>;
  expired: boolean;
  mode: 'live' | 'test';
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** The request body minus `model`, which `run` and `submit` take separately. */
export type GenerateInput = Omit<GenerateBody, 'model'>;

/** An error answered by the API, with its status, code and field details. */
export class ReelayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, string[]>,
    readonly body?: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ReelayError';
  }
}

/** The job ended without a video (FAILED or CANCELLED). */
export class JobFailedError extends Error {
  constructor(readonly job: Job) {
    super(`Job ${job.id} ${job.status.toLowerCase()}: ${job.error ?? 'no reason given'}`);
    this.name = 'JobFailedError';
  }
}

export interface ReelayOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-request timeout; default 60 s. */
  timeoutMs?: number;
}

export interface WaitOptions {
  /** Every state the job passes through (each event, or each poll). */
  onProgress?: (job: Job) => void;
  signal?: AbortSignal;
  /** Give up after this long; default 30 min. */
  timeoutMs?: number;
  /** First poll delay when polling; default 2 s. */
  firstDelayMs?: number;
  /** `false` skips the event stream and polls; default true. */
  stream?: boolean;
  /** The stream was unavailable and waiting goes on by polling (the CLI says so). */
  onFallback?: (err: StreamUnavailableError) => void;
}

export const FINAL: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export class Reelay {
  private readonly base: string;

  constructor(private readonly opts: ReelayOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  private async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: { 'x-api-key': this.opts.apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { error: text.slice(0, 200) };
    }
    if (!res.ok) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new ReelayError(
        res.status,
        String(parsed.code ?? res.status),
        String(parsed.error ?? res.statusText),
        parsed.details as Record<string, string[]> | undefined,
        parsed,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    return parsed as T;
  }

  /** Queues a job; returns its id at once. */
  submit(model: string, input: GenerateInput, opts: { idempotencyKey?: string } = {}): Promise<{ jobId: string; status: JobStatus }> {
    return this.request('POST', '/v2/videos/generate', { model, ...input }, opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {});
  }

  get(id: string): Promise<Job> {
    return this.request('GET', `/v2/jobs/${encodeURIComponent(id)}`);
  }

  list(q: { status?: JobStatus; limit?: number; cursor?: string } = {}): Promise<{ jobs: Job[]; nextCursor: string | null; hasMore: boolean }> {
    const params = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.request('GET', `/v2/jobs${params.size ? `?${params}` : ''}`);
  }

  cancel(id: string): Promise<Job> {
    return this.request('POST', `/v2/jobs/${encodeURIComponent(id)}/cancel`);
  }

  quote(model: string, input: GenerateInput): Promise<{ creditCost: number }> {
    return this.request('POST', '/v2/videos/quote', { model, ...input });
  }

  me(): Promise<Record<string, unknown>> {
    return this.request('GET', '/v2/me');
  }

  models(): Promise<{ models: Record<string, unknown>[] }> {
    return this.request('GET', '/v2/models');
  }

  /**
   * Follows the job until it is final: through its event stream (`/v2/jobs/{id}/events`), or, when
   * the stream is unavailable (an older server, a buffering proxy), by polling — first after 2 s,
   * then ×1.5 up to 5 s (Apiframe's SDK schedule), honouring 429 Retry-After. Resolves with the
   * job, rejects with `JobFailedError` when it ends without a video.
   */
  async wait(id: string, opts: WaitOptions = {}): Promise<Job> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    if (opts.stream !== false) {
      const timeout = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        const job = await followJobEvents({
          url: `${this.base}/v2/jobs/${encodeURIComponent(id)}/events`,
          headers: { 'x-api-key': this.opts.apiKey },
          signal,
          ...(opts.onProgress ? { onJob: opts.onProgress } : {}),
        });
        if (job.status === 'COMPLETED') return job;
        throw new JobFailedError(job);
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        if (timeout.aborted) throw new Error(`Timed out waiting for job ${id}`);
        if (!(err instanceof StreamUnavailableError)) throw err;
        opts.onFallback?.(err);
      }
    }
    return this.poll(id, deadline, opts);
  }

  private async poll(id: string, deadline: number, opts: WaitOptions): Promise<Job> {
    let delay = opts.firstDelayMs ?? 2000;
    for (;;) {
      let job: Job;
      try {
        job = await this.get(id);
      } catch (err) {
        if (err instanceof ReelayError && err.status === 429) {
          await sleep((err.retryAfterSeconds ?? 5) * 1000, opts.signal);
          continue;
        }
        throw err;
      }
      opts.onProgress?.(job);
      if (job.status === 'COMPLETED') return job;
      if (FINAL.includes(job.status)) throw new JobFailedError(job);
      if (Date.now() > deadline) throw new Error(`Timed out waiting for job ${id}`);
      await sleep(delay, opts.signal);
      delay = Math.min(5000, delay * 1.5);
    }
  }

  /** Submits and waits: the whole round trip in one call. */
  async run(model: string, input: GenerateInput, opts: WaitOptions & { idempotencyKey?: string } = {}): Promise<Job> {
    const { jobId } = await this.submit(model, input, opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {});
    return this.wait(jobId, opts);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    }, { once: true });
  });
}

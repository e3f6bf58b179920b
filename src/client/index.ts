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
   * Polls until the job is final: first after 2 s, then ×1.5 up to 5 s (Apiframe's SDK schedule),
   * honouring 429 Retry-After. Resolves with the job, rejects with `JobFailedError` when it ends
   * without a video.
   */
  async wait(id: string, opts: { onProgress?: (job: Job) => void; signal?: AbortSignal; timeoutMs?: number; firstDelayMs?: number } = {}): Promise<Job> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
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
  async run(model: string, input: GenerateInput, opts: { onProgress?: (job: Job) => void; signal?: AbortSignal; idempotencyKey?: string; firstDelayMs?: number } = {}): Promise<Job> {
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

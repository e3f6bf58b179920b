/**
 * The plumbing the aggregator adapters (WaveSpeed, fal, Replicate) share, so that each of them
 * holds only translation: one budgeted JSON call with a time limit, and a streamed video download
 * that asks the upstream for a fresh URL when the one it had expired. What an answer MEANS is
 * each adapter's codes.ts.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../log.js';
import { FetchFailure, safeStream, type UrlPolicy } from '../net/index.js';
import type { ProviderBudget } from './budget.js';
import { networkFailure } from './network.js';
import { ProviderError } from './types.js';

/** Which call: the same refusal means different things before and after a task exists. */
export type Phase = 'submit' | 'poll' | 'retrieve' | 'cancel';

/** An upstream's answer as received, for codes.ts to judge. */
export interface Answer {
  /** The URL asked (its path names the model on submit). */
  url: string;
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type Json = Record<string, unknown>;

export interface UpstreamClientOptions {
  /** For messages: "WaveSpeed", "fal", "Replicate". */
  label: string;
  budget: ProviderBudget;
  timeoutMs: number;
  headers: Record<string, string>;
  /** The error for an answer that is not a success, or null when it is one. */
  judge: (a: Answer, phase: Phase) => ProviderError | null;
}

/** `Retry-After` in seconds (the only form these APIs use), capped at 10 minutes. */
export function retryAfterMs(header: string | null): number | undefined {
  const s = Number(header);
  return header !== null && Number.isFinite(s) && s > 0 ? Math.min(s, 600) * 1000 : undefined;
}

/** A plain object, or undefined. */
export function asObject(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/**
 * @example
 * const client = new UpstreamClient({ label: 'fal', budget, timeoutMs: 30_000, headers: { authorization: `Key ${key}` }, judge });
 * const a = await client.call('status', 'poll', 'GET', `${base}/fal-ai/minimax/requests/${id}/status`, undefined, signal);
 */
export class UpstreamClient {
  constructor(private readonly o: UpstreamClientOptions) {}

  /**
   * One request under the provider's budget. Throws a `ProviderError`: `deferred` when our own
   * budget is full (nothing was sent), retryable on a network failure or timeout, otherwise
   * whatever `judge` says about the answer. A rate-limited answer also blocks the bucket for
   * everyone, so other jobs do not each spend a call learning the same thing. On `submit`, a
   * failure after the request may have arrived (timeout, reset, malformed answer; a 5xx is
   * `serverError`'s) is `ambiguous`: none of these APIs takes an idempotency key, so a task may
   * exist that we will never hear of, and the job must not be sent again as if nothing happened.
   */
  async call(bucket: 'submit' | 'status', phase: Phase, method: string, url: string, body: Json | undefined, signal: AbortSignal): Promise<Answer> {
    const answer = await this.send(bucket, method, url, body, signal, phase);
    const e = this.o.judge(answer, phase);
    if (e) {
      if (e.opts.rateLimited) await this.block(bucket, e);
      throw e;
    }
    if (answer.json === undefined && answer.text !== '') {
      const why = `${this.o.label} sent a malformed answer to ${new URL(url).pathname} (HTTP ${answer.status}, ${answer.text.length} bytes)`;
      throw new ProviderError('upstream_error', why, true, phase === 'submit' ? { ambiguous: true } : {});
    }
    return answer;
  }

  /** After an upstream "rate limited": nobody calls the bucket for its Retry-After, else a sixth of the window. */
  async block(bucket: 'submit' | 'status', e: ProviderError): Promise<void> {
    await this.o.budget.block(bucket, e.opts.retryAfterMs ?? Math.round(this.o.budget.limits.windowMs / 6));
  }

  /** The request under the budget, answered as received (for answers whose failure is the task's, e.g. fal's result). */
  async send(bucket: 'submit' | 'status', method: string, url: string, body: Json | undefined, signal: AbortSignal, phase?: Phase): Promise<Answer> {
    const admission = await this.o.budget.acquire(bucket, signal);
    if (!admission.ok) {
      throw new ProviderError('upstream_error', `${this.o.label} ${bucket} budget is full (${admission.reason}); waiting ${admission.retryInMs} ms`, true, {
        deferred: true,
        retryAfterMs: admission.retryInMs,
      });
    }
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    let answer: Answer;
    try {
      const res = await fetch(url, {
        method,
        headers: { ...this.o.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.any([signal, timeout]),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      answer = { url, status: res.status, headers: res.headers, text, json };
      await admission.release('done');
    } catch (err) {
      await admission.release('abandoned');
      if (signal.aborted) throw err;
      const net = timeout.aborted ? { why: `no answer within ${this.o.timeoutMs} ms`, unsent: false } : networkFailure(err);
      const ambiguous = phase === 'submit' && !net.unsent;
      throw new ProviderError('upstream_error', `${this.o.label} ${method} ${new URL(url).pathname} failed: ${net.why}`, true, ambiguous ? { ambiguous } : {});
    }
    return answer;
  }
}

/** Download statuses that mean "this signed URL is no longer good": ask for a fresh one. */
const EXPIRED_URL_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 410]);
/** Fresh URLs tried per download before giving the job back to the queue with backoff. */
const DOWNLOAD_URL_TRIES = 3;

export interface VideoDownload {
  label: string;
  /** A current URL for the video, from a fresh status/result call (URLs expire within an hour). */
  freshUrl: (signal: AbortSignal) => Promise<string>;
  policy: UrlPolicy;
  timeoutMs: number;
  maxBytes: number;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Streams a finished video from a CDN we do not control, through `safeStream` (vetted addresses,
 * pinned DNS, byte cap, idle timeout). An expired URL (401/403/404/410) is resolved again.
 */
export async function streamVideo(d: VideoDownload): Promise<Readable> {
  for (let i = 0; i < DOWNLOAD_URL_TRIES; i++) {
    const url = await d.freshUrl(d.signal);
    let res;
    try {
      res = await safeStream({ url, policy: d.policy, headersTimeoutMs: d.timeoutMs, idleTimeoutMs: d.timeoutMs, maxBytes: d.maxBytes, maxRedirects: 3, signal: d.signal });
    } catch (err) {
      if (d.signal.aborted) throw err;
      if (err instanceof FetchFailure) throw new ProviderError('upstream_error', `Downloading the ${d.label} video failed: ${err.message}`, true);
      throw new ProviderError('upstream_error', `${d.label}'s video URL was refused: ${(err as Error).message}`, true);
    }
    if (res.status === 200) return res.body;
    res.body.destroy();
    if (!EXPIRED_URL_STATUSES.has(res.status)) throw new ProviderError('upstream_error', `Downloading the ${d.label} video answered HTTP ${res.status}`, true);
    d.log.info({ provider: d.label, status: res.status }, 'video URL expired; asking the upstream for a fresh one');
  }
  throw new ProviderError('upstream_error', `${d.label} video URLs kept failing (${DOWNLOAD_URL_TRIES} fresh URLs)`, true);
}

/** Seconds a signed webhook's timestamp may be off (all three upstreams and Standard Webhooks say 5 min). */
export const WEBHOOK_TOLERANCE_S = 300;

/** The first value of a header. */
export function header(h: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** True when a unix-seconds timestamp is within the tolerance of now. */
export function freshTimestamp(ts: string | undefined, nowMs = Date.now()): boolean {
  const n = Number(ts);
  return ts !== undefined && /^\d+$/.test(ts) && Math.abs(nowMs / 1000 - n) <= WEBHOOK_TOLERANCE_S;
}

/**
 * "Bad key" or "no money": the provider rests (routing skips it) until the operator fixes it. A
 * new job fails at submit (refunded); a job whose task already exists only waits, since the
 * video may still arrive once the key works again and the sweeper's deadline bounds the wait.
 */
export function keyFailure(label: string, envVar: string, kind: 'auth' | 'balance', detail: string, phase: Phase): ProviderError {
  const m =
    kind === 'auth'
      ? `${label} refused the API key (${detail}). Operator: check ${envVar}`
      : `The ${label} account cannot pay for this generation (${detail}). Operator: top up the ${label} account`;
  return new ProviderError(kind === 'auth' ? 'upstream_auth' : 'provider_balance', m, phase !== 'submit', { markUnhealthy: true });
}

/** HTTP 429: wait (the upstream's Retry-After when it sends one) and retry, the job keeps its place. */
export function rateLimited(label: string, a: Answer): ProviderError {
  const after = retryAfterMs(a.headers.get('retry-after'));
  return new ProviderError('upstream_error', `${label} rate limit (HTTP 429${after ? `, Retry-After ${after / 1000} s` : ''}); retrying later`, true, {
    rateLimited: true,
    ...(after ? { retryAfterMs: after } : {}),
  });
}

/**
 * 5xx: the upstream's trouble, retried with backoff. On a create it is ambiguous: the server may
 * have made the task before it failed (jobs/remote.ts sends such a job at most once more).
 */
export function serverError(label: string, a: Answer, phase: Phase): ProviderError {
  const m = `${label} answered HTTP ${a.status}${a.text ? `: ${a.text.slice(0, 200)}` : ''}`;
  return new ProviderError('upstream_error', m, true, phase === 'submit' ? { ambiguous: true } : {});
}

/** A create answered with success but without the task's id: a task may exist that we cannot name. */
export function noTaskId(label: string, field: string): ProviderError {
  return new ProviderError('upstream_error', `${label} accepted the request but returned no ${field}`, true, { ambiguous: true });
}

/**
 * A submit to a model path the upstream does not know (404): the id we guessed is wrong. Every job
 * would fail the same way, so the provider rests and the operator is told which setting to fix.
 */
export function unknownModel(label: string, a: Answer): ProviderError {
  return new ProviderError(
    'provider_unavailable',
    `${label} does not know the model at ${new URL(a.url).pathname} (HTTP 404). Operator: correct the id in REELAY_UPSTREAM_MODEL_IDS (docs/providers.md)`,
    false,
    { markUnhealthy: true },
  );
}

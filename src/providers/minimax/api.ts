/**
 * One MiniMax API call: budget first, then the request, then `base_resp` checked. The API host is
 * the operator's own configuration (MINIMAX_BASE_URL), so plain `fetch` is used here; the download
 * URLs MiniMax hands back are not, and go through `safeStream` (see index.ts).
 */
import type { ProviderBudget } from '../budget.js';
import { networkFailure } from '../network.js';
import { ProviderError } from '../types.js';
import { errorForCode, errorForHttp, type Phase } from './codes.js';

export type Bucket = 'submit' | 'status';

export interface ApiOptions {
  apiKey: string;
  /** `https://api.minimax.io` (global) or `https://api.minimaxi.com` (China). */
  baseUrl: string;
  /** One call's budget, connect to last byte. */
  timeoutMs: number;
  budget: ProviderBudget;
}

export type Json = Record<string, unknown>;

function retryAfterMs(header: string | null): number | undefined {
  const s = Number(header);
  return Number.isFinite(s) && s > 0 ? Math.min(s, 600) * 1000 : undefined;
}

/**
 * @example
 * const api = new MinimaxApi({ apiKey, baseUrl: 'https://api.minimax.io', timeoutMs: 30_000, budget });
 * const body = await api.call('status', 'poll', 'GET', '/v1/query/video_generation?task_id=1069', undefined, signal);
 */
export class MinimaxApi {
  /** `api.minimax.io`: named in every error, so an operator sees which host (and region) failed. */
  readonly host: string;

  constructor(private readonly o: ApiOptions) {
    this.host = new URL(o.baseUrl).host;
  }

  /**
   * Sends one request and returns its JSON body when `base_resp.status_code` is 0. Throws a
   * `ProviderError`: `deferred` when our own budget is full (nothing was sent), otherwise mapped
   * from the HTTP status or MiniMax's code (codes.ts).
   */
  async call(bucket: Bucket, phase: Phase, method: 'GET' | 'POST', path: string, body: Json | undefined, signal: AbortSignal): Promise<Json> {
    const admission = await this.o.budget.acquire(bucket, signal);
    if (!admission.ok) {
      throw new ProviderError('upstream_error', `MiniMax ${bucket} budget is full (${admission.reason}); waiting ${admission.retryInMs} ms`, true, {
        deferred: true,
        retryAfterMs: admission.retryInMs,
      });
    }
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    let status = 0;
    let text = '';
    let retryAfter: string | null = null;
    try {
      const res = await fetch(new URL(path, this.o.baseUrl), {
        method,
        headers: { authorization: `Bearer ${this.o.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.any([signal, timeout]),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
      await admission.release('done');
    } catch (err) {
      await admission.release('abandoned');
      if (signal.aborted) throw err;
      const net = timeout.aborted ? { why: `no answer within ${this.o.timeoutMs} ms`, unsent: false } : networkFailure(err);
      // A create the upstream may have received: it may have made a task we will never hear of.
      const ambiguous = phase === 'submit' && !net.unsent;
      throw new ProviderError('upstream_error', `MiniMax unreachable (${this.host}: ${net.why})`, true, ambiguous ? { ambiguous } : {});
    }
    if (status === 429 || status < 200 || status >= 300) {
      const e = errorForHttp(status, phase, this.host, retryAfterMs(retryAfter));
      if (e.opts.rateLimited) await this.o.budget.block(bucket, this.blockMs(e.opts.retryAfterMs));
      throw e;
    }
    let json: Json;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      json = parsed as Json;
    } catch {
      const why = `MiniMax sent a malformed answer to ${path.split('?')[0]} (${this.host}, HTTP ${status}, ${text.length} bytes)`;
      throw new ProviderError('upstream_error', why, true, phase === 'submit' ? { ambiguous: true } : {});
    }
    const base = (json.base_resp ?? {}) as { status_code?: unknown; status_msg?: unknown };
    const code = Number(base.status_code ?? 0);
    if (Number.isFinite(code) && code !== 0) {
      const e = errorForCode(code, typeof base.status_msg === 'string' ? base.status_msg : '', phase, this.host);
      if (e.opts.rateLimited) await this.o.budget.block(bucket, this.blockMs());
      throw e;
    }
    return json;
  }

  /**
   * How long everyone stays off a bucket after MiniMax said "rate limited": a sixth of the window
   * (10 s for a minute), or the server's Retry-After. Without it, the other jobs would each spend
   * a call learning the same thing.
   */
  private blockMs(retryAfter?: number): number {
    return retryAfter ?? Math.round(this.o.budget.limits.windowMs / 6);
  }
}

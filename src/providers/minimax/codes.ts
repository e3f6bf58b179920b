/**
 * MiniMax's words → Reelay's. Error codes arrive in `base_resp.status_code`, usually with HTTP 200
 * (reference/upstream-apis.md §1 "Error codes"); task statuses in `status`. Nothing outside this
 * folder sees a MiniMax code.
 */
import { ProviderError, type UpstreamStatus } from '../types.js';

/** Which call failed: the same code means different things before and after a task exists. */
export type Phase = 'submit' | 'poll' | 'retrieve';

/** RPM, TPM, connection and "rate growth" limits: wait and retry, the job keeps its place. */
export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([1002, 1039, 1041, 2045]);
/** Key missing, wrong or for the other region (1004 "token not match group"). */
export const AUTH_CODES: ReadonlySet<number> = new Set([1004, 2049]);
/** Balance, quota (1028/1030), 5-hour plan window (2056), model not in plan (2061). */
export const BALANCE_CODES: ReadonlySet<number> = new Set([1008, 1028, 1030, 2056, 2061]);
/** 1026: the input was flagged; 1027: the generated video was. */
export const CONTENT_CODES: ReadonlySet<number> = new Set([1026, 1027]);
/** 2013 invalid params; 1042 too many invisible characters in the prompt. */
export const INVALID_CODES: ReadonlySet<number> = new Set([2013, 1042]);

function describe(code: number, msg: string): string {
  return msg ? `${code} ${msg}` : String(code);
}

/**
 * The `ProviderError` for a non-zero `base_resp.status_code`. Auth and balance problems fail a new
 * job at submit (refunded) but only pause a job whose task already exists: the video may still
 * arrive once the operator fixes the key, and the sweeper's deadline bounds the wait.
 *
 * @example
 * errorForCode(1002, 'rate limit', 'poll').opts.rateLimited // true
 * errorForCode(2049, 'invalid api key', 'submit').code      // 'upstream_auth'
 */
export function errorForCode(code: number, msg: string, phase: Phase, host = 'api.minimax.io'): ProviderError {
  const what = describe(code, msg);
  if (RATE_LIMIT_CODES.has(code)) return new ProviderError('upstream_error', `MiniMax rate limit (${host}: ${what}); retrying later`, true, { rateLimited: true });
  if (AUTH_CODES.has(code)) {
    const m = `MiniMax rejected the API key (${host}: ${what}): check MINIMAX_API_KEY, and that MINIMAX_BASE_URL is the key's region (api.minimax.io or api.minimaxi.com)`;
    return new ProviderError('upstream_auth', m, phase !== 'submit', { markUnhealthy: true });
  }
  if (BALANCE_CODES.has(code)) {
    const m = `The MiniMax account cannot pay for this generation (${host}: ${what}): top up the MiniMax account or check its plan`;
    return new ProviderError('provider_balance', m, phase !== 'submit', { markUnhealthy: true });
  }
  if (code === 1026) return new ProviderError('content_policy', `MiniMax flagged the prompt or image as sensitive (${what}); change the input`, false);
  if (code === 1027) return new ProviderError('content_policy', `MiniMax flagged the generated video as sensitive (${what})`, false);
  if (INVALID_CODES.has(code)) return new ProviderError('invalid_params', `MiniMax rejected the request: ${msg || 'invalid params'} (${code})`, false);
  // 1000/1001/1013/1024/1033 are documented "retry"; an undocumented code is treated the same way.
  return new ProviderError('upstream_error', `MiniMax error ${what} (${host})`, true);
}

/**
 * The `ProviderError` for an HTTP status other than 2xx (the CLI maps 401/403, 402 and 429; the
 * rest is the network's or the server's trouble and is retried).
 *
 * @example
 * errorForHttp(503, 'poll').retryable // true
 * errorForHttp(502, 'submit').opts.ambiguous // true: a task may exist
 */
export function errorForHttp(status: number, phase: Phase, host = 'api.minimax.io', retryAfterMs?: number): ProviderError {
  if (status === 429) return new ProviderError('upstream_error', `MiniMax rate limit (${host}: HTTP 429); retrying later`, true, { rateLimited: true, ...(retryAfterMs ? { retryAfterMs } : {}) });
  if (status === 401 || status === 403) return errorForCode(2049, `HTTP ${status}`, phase, host);
  if (status === 402) return errorForCode(1008, 'HTTP 402', phase, host);
  // A create answered 5xx may still have made a task (a gateway timing out in front of a live backend).
  return new ProviderError('upstream_error', `MiniMax answered HTTP ${status} (${host})`, true, phase === 'submit' && status >= 500 ? { ambiguous: true } : {});
}

/** A query (or callback) body, as far as we read it. */
export interface TaskBody {
  status?: unknown;
  file_id?: unknown;
  base_resp?: { status_code?: unknown; status_msg?: unknown };
}

/**
 * A task's status in Reelay's words. The documented values are Preparing, Queueing, Processing,
 * Success and Fail; callbacks use lower case and the official CLI checks for "Failed", so matching
 * is case-insensitive and accepts both. Anything unknown is "running": a new status word must never
 * fail a paid job by itself.
 *
 * @example
 * taskStatus({ status: 'Success', file_id: '17684' }) // { state: 'succeeded', fileRef: '17684' }
 * taskStatus({ status: 'Rendering' })                 // { state: 'running' }
 */
export function taskStatus(body: TaskBody): UpstreamStatus {
  const s = typeof body.status === 'string' ? body.status.trim().toLowerCase() : '';
  const code = Number(body.base_resp?.status_code ?? 0);
  const msg = typeof body.base_resp?.status_msg === 'string' ? body.base_resp.status_msg : '';
  if (s === 'success') {
    const fileId = typeof body.file_id === 'number' || typeof body.file_id === 'string' ? String(body.file_id) : '';
    // Success without a file id is not something we can deliver yet; ask again.
    return fileId ? { state: 'succeeded', fileRef: fileId } : { state: 'running' };
  }
  if (s === 'fail' || s === 'failed') {
    if (CONTENT_CODES.has(code)) {
      const e = errorForCode(code, msg, 'poll');
      return { state: 'failed', code: e.code, message: e.message };
    }
    return { state: 'failed', code: 'upstream_error', message: `MiniMax could not generate the video${msg && code !== 0 ? ` (${describe(code, msg)})` : ''}` };
  }
  if (s === 'preparing' || s === 'queueing' || s === 'queued') return { state: 'queued' };
  return { state: 'running' };
}

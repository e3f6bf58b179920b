/**
 * WaveSpeed's words → Reelay's (reference/upstream-aggregators.md §1.3, §1.6). Two layers: the
 * HTTP status and the `{code, message, data}` envelope (code ≠ 200 is a failure even on HTTP
 * 200); a failed task carries its own `code` and `error`. Nothing outside this folder sees them.
 */
import { ProviderError, type UpstreamStatus } from '../types.js';
import { asObject, keyFailure, rateLimited, serverError, unknownModel, type Answer, type Json, type Phase } from '../upstream.js';

const L = 'WaveSpeed';
const KEY = 'WAVESPEED_API_KEY';

/** Task codes (docs/error-codes): 1xxx = fix the input, 5xxx = the upstream's trouble. */
export const CONTENT_CODE = 1200;
export const INVALID_CODES: ReadonlySet<number> = new Set([1400, 1401, 1402]);
/**
 * UNCONFIRMED (S): an empty balance is HTTP 200 with envelope `code: 400` and "Insufficient
 * credits…". Both are checked; a 400 without those words is read as invalid input, with
 * WaveSpeed's own message, so a wrong guess shows up in the job's error rather than silently.
 */
export const BALANCE_ENVELOPE_CODE = 400;
export const BALANCE_MESSAGE = /insufficient (credit|balance)/i;

function messageOf(j: Json | undefined): string {
  const m = j?.message ?? j?.error ?? j?.detail;
  return typeof m === 'string' ? m : '';
}

/** The error for a task or envelope code, or null for 200. */
export function errorForCode(code: number, msg: string, phase: Phase): ProviderError | null {
  if (code === 200) return null;
  const what = `${code}${msg ? ` ${msg}` : ''}`;
  if (code === 401 || code === 403) return keyFailure(L, KEY, 'auth', what, phase);
  if (code === 429) return new ProviderError('upstream_error', `${L} rate limit (${what}); retrying later`, true, { rateLimited: true });
  if (BALANCE_MESSAGE.test(msg) || code === 402) return keyFailure(L, KEY, 'balance', what, phase);
  if (code === CONTENT_CODE) return new ProviderError('content_policy', `${L} flagged the prompt or image (${what}); change the input`, false);
  if (INVALID_CODES.has(code) || code === BALANCE_ENVELOPE_CODE) {
    return new ProviderError('invalid_params', `${L} refused the request (${what})`, phase !== 'submit');
  }
  return new ProviderError('upstream_error', `${L} answered code ${what}`, true);
}

/**
 * @example
 * judge({ status: 429, … }, 'poll')?.opts.rateLimited // true
 */
export function judge(a: Answer, phase: Phase): ProviderError | null {
  const body = asObject(a.json);
  const msg = messageOf(body);
  if (a.status === 429) return rateLimited(L, a);
  if (a.status >= 500) return serverError(L, a, phase);
  if (a.status === 401 || a.status === 403) return keyFailure(L, KEY, 'auth', `HTTP ${a.status}${msg ? ` ${msg}` : ''}`, phase);
  if (a.status === 404) {
    if (phase === 'submit') return unknownModel(L, a);
    if (phase === 'cancel') return null;
    return new ProviderError('upstream_error', `${L} no longer knows this task (HTTP 404${msg ? ` ${msg}` : ''})`, false);
  }
  if (a.status < 200 || a.status >= 300) {
    if (BALANCE_MESSAGE.test(msg)) return keyFailure(L, KEY, 'balance', `HTTP ${a.status} ${msg}`, phase);
    return new ProviderError('invalid_params', `${L} refused the request (HTTP ${a.status}${msg ? ` ${msg}` : ''})`, phase !== 'submit');
  }
  if (!body) return null; // the caller reports a malformed answer
  return errorForCode(Number(body.code ?? 200), msg, phase);
}

/** The prediction object inside `data` (or bare, as webhooks send it). */
export interface Prediction {
  id?: unknown;
  status?: unknown;
  outputs?: unknown;
  error?: unknown;
  code?: unknown;
}

/** The first output URL of a completed prediction; a shape we did not expect fails loudly. */
export function outputUrl(p: Prediction): string {
  const url = Array.isArray(p.outputs) ? (p.outputs[0] as unknown) : undefined;
  if (typeof url !== 'string' || url === '') {
    throw new ProviderError('upstream_error', `${L} reported "completed" without a video URL in data.outputs[0] (got ${JSON.stringify(p.outputs)?.slice(0, 100)})`, true);
  }
  return url;
}

/**
 * `created → processing → completed | failed`, plus `cancelled`, `timeout` and `deleted` from the
 * server's enum. An unknown word is an error that names it (retried, so it shows in the job's
 * error until the deadline) rather than a guess.
 */
export function taskStatus(p: Prediction): UpstreamStatus {
  const s = p.status;
  if (s === 'created') return { state: 'queued' };
  if (s === 'processing') return { state: 'running' };
  if (s === 'completed') {
    outputUrl(p);
    return { state: 'succeeded', fileRef: String(p.id) };
  }
  const why = typeof p.error === 'string' && p.error !== '' ? p.error : '';
  if (s === 'failed') {
    const e = errorForCode(Number(p.code ?? 0) || 1405, why, 'poll');
    const code = e && e.code !== 'upstream_auth' && e.code !== 'provider_balance' ? e.code : 'upstream_error';
    return { state: 'failed', code, message: `${L} could not generate the video${why ? ` (${why})` : ''}${p.code ? ` [code ${String(p.code)}]` : ''}` };
  }
  if (s === 'timeout') return { state: 'failed', code: 'timeout', message: `${L} timed out generating the video${why ? ` (${why})` : ''}` };
  if (s === 'cancelled' || s === 'deleted') return { state: 'failed', code: 'upstream_error', message: `${L} reports the task ${s}` };
  throw new ProviderError('upstream_error', `${L} reported an unknown task status ${JSON.stringify(s)} (known: created, processing, completed, failed, cancelled, timeout, deleted)`, true);
}

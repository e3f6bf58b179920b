/**
 * Replicate's words → Reelay's (reference/upstream-aggregators.md §3.3, §3.6). API errors are
 * RFC 7807 problem details; a model's failure is a prediction with `status: "failed"` and an
 * `error` string. Nothing outside this folder sees them.
 */
import { ProviderError, type UpstreamStatus } from '../types.js';
import { asObject, keyFailure, rateLimited, serverError, unknownModel, type Answer, type Phase } from '../upstream.js';

const L = 'Replicate';
const KEY = 'REPLICATE_API_TOKEN';

/** UNCONFIRMED (S): moderation is `failed` with "…flagged as sensitive… (E005)". Other failures stay upstream_error with Replicate's text. */
export const CONTENT_POLICY_ERROR = /\(E005\)|flagged as sensitive/i;

function problem(a: Answer): string {
  const b = asObject(a.json);
  const parts = [b?.title, b?.detail].filter((x): x is string => typeof x === 'string' && x !== '');
  return parts.length ? parts.join(': ') : a.text.slice(0, 200);
}

/**
 * @example
 * judge({ status: 402, json: { title: 'Insufficient credit', … }, … }, 'submit')?.code // 'provider_balance'
 */
export function judge(a: Answer, phase: Phase): ProviderError | null {
  if (a.status >= 200 && a.status < 300) return null;
  const what = `HTTP ${a.status}${problem(a) ? ` ${problem(a)}` : ''}`;
  if (a.status === 429) return rateLimited(L, a);
  if (a.status === 401 || a.status === 403) return keyFailure(L, KEY, 'auth', what, phase);
  if (a.status === 402) return keyFailure(L, KEY, 'balance', what, phase);
  if (a.status >= 500) return serverError(L, a, phase);
  if (phase === 'cancel') return null; // already finished or unknown: nothing left to stop
  if (a.status === 404) {
    if (phase === 'submit') return unknownModel(L, a);
    return new ProviderError('upstream_error', `Replicate no longer knows this prediction (${what})`, false);
  }
  return new ProviderError('invalid_params', `Replicate refused the request (${what})`, phase !== 'submit');
}

export interface Prediction {
  id?: unknown;
  status?: unknown;
  output?: unknown;
  error?: unknown;
  data_removed?: unknown;
}

/** The output of a succeeded prediction: one URI string (P). Another shape, or a removed output, fails loudly. */
export function outputUrl(p: Prediction): string {
  if (p.data_removed === true) {
    throw new ProviderError('upstream_error', 'Replicate has removed the output (data_removed: API outputs are deleted an hour after the prediction)', false);
  }
  if (typeof p.output !== 'string' || p.output === '') {
    throw new ProviderError('upstream_error', `Replicate's output is not a URI string (got ${JSON.stringify(p.output)?.slice(0, 120)})`, true);
  }
  return p.output;
}

/**
 * `starting → processing → succeeded | failed | canceled | aborted`. `canceled` (stopped while
 * running, billed) and `aborted` (its deadline passed before it started, not billed) are
 * distinct failures. An unknown word is an error that names it.
 */
export function taskStatus(p: Prediction): UpstreamStatus {
  const s = p.status;
  if (s === 'starting') return { state: 'queued' };
  if (s === 'processing') return { state: 'running' };
  if (s === 'succeeded') {
    outputUrl(p);
    return { state: 'succeeded', fileRef: String(p.id) };
  }
  const why = typeof p.error === 'string' && p.error !== '' ? p.error : '';
  if (s === 'failed') {
    if (CONTENT_POLICY_ERROR.test(why)) return { state: 'failed', code: 'content_policy', message: `Replicate flagged the prompt or image (${why}); change the input` };
    return { state: 'failed', code: 'upstream_error', message: `Replicate could not generate the video${why ? ` (${why})` : ''}` };
  }
  if (s === 'canceled') return { state: 'failed', code: 'upstream_error', message: 'Replicate reports the prediction canceled (stopped while running)' };
  if (s === 'aborted') return { state: 'failed', code: 'timeout', message: 'Replicate aborted the prediction: its deadline passed before it started (not billed)' };
  throw new ProviderError('upstream_error', `Replicate reported an unknown prediction status ${JSON.stringify(s)} (known: starting, processing, succeeded, failed, canceled, aborted)`, true);
}

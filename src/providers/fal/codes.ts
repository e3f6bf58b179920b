/**
 * fal's words → Reelay's (reference/upstream-aggregators.md §2.3, §2.6). A failed generation is
 * NOT a status: the queue says `COMPLETED` and the result call answers with the model's own error
 * status and body, so the result fetch decides. Nothing outside this folder sees fal's codes.
 */
import { ProviderError } from '../types.js';
import { asObject, keyFailure, rateLimited, serverError, unknownModel, type Answer, type Phase } from '../upstream.js';

const L = 'fal';
const KEY = 'FAL_KEY';

/** The `detail[].type` of a moderation refusal (422). The exact body is UNCONFIRMED (S): any other 422 reads as invalid input, with fal's message. */
export const CONTENT_POLICY_TYPE = 'content_policy_violation';
/**
 * UNCONFIRMED (S, many reports): an exhausted balance is HTTP 403 "User is locked. Reason:
 * Exhausted balance…"; any other "User is locked" (an admin lock) is a key failure.
 */
export const LOCKED_MESSAGE = /user is locked/i;
export const BALANCE_MESSAGE = /exhausted balance|insufficient|top up/i;

/** `detail` as a string, or the `msg`s of a validation list. */
export function detailOf(body: unknown): { text: string; types: string[] } {
  const d = asObject(body)?.detail;
  if (typeof d === 'string') return { text: d, types: [] };
  if (Array.isArray(d)) {
    const items = d.map((x) => asObject(x) ?? {});
    return {
      text: items.map((x) => [x.loc ? (x.loc as unknown[]).join('.') : '', x.msg].filter(Boolean).join(': ')).join('; '),
      types: items.map((x) => String(x.type ?? '')),
    };
  }
  return { text: '', types: [] };
}

/**
 * @example
 * judge({ status: 403, json: { detail: 'User is locked. Reason: Exhausted balance…' }, … }, 'submit')?.code // 'provider_balance'
 */
export function judge(a: Answer, phase: Phase): ProviderError | null {
  if (a.status >= 200 && a.status < 300) return null;
  const { text, types } = detailOf(a.json);
  const what = `HTTP ${a.status}${text ? ` ${text.slice(0, 300)}` : ''}`;
  if (a.status === 429) return rateLimited(L, a);
  if (a.status === 401) return keyFailure(L, KEY, 'auth', what, phase);
  if (a.status === 403) return keyFailure(L, KEY, LOCKED_MESSAGE.test(text) && BALANCE_MESSAGE.test(text) ? 'balance' : 'auth', what, phase);
  // A 504 caused by our own `x-fal-request-timeout` must not be retried (fal's docs).
  if (a.status === 504 && a.headers.get('x-fal-request-timeout-type') === 'user') return new ProviderError('timeout', `fal gave up waiting for a runner (${what})`, false);
  if (a.status >= 500) return serverError(L, a, phase);
  if (phase === 'cancel') return null; // ALREADY_COMPLETED, NOT_FOUND: nothing left to stop
  if (a.status === 404) {
    if (phase === 'submit') return unknownModel(L, a);
    return new ProviderError('upstream_error', `fal no longer holds this request's result (${what}; results are kept 1 h)`, false);
  }
  if (types.includes(CONTENT_POLICY_TYPE)) return new ProviderError('content_policy', `fal flagged the prompt or image (${what}); change the input`, false);
  return new ProviderError('invalid_params', `fal refused the request (${what})`, false);
}

/** The queue status words (P). `COMPLETED` covers failures too. */
export type QueueStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
export const QUEUE_STATUSES: readonly QueueStatus[] = ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED'];

export function queueStatus(body: unknown): QueueStatus {
  const s = asObject(body)?.status;
  if (typeof s === 'string' && (QUEUE_STATUSES as readonly string[]).includes(s)) return s as QueueStatus;
  throw new ProviderError('upstream_error', `fal reported an unknown queue status ${JSON.stringify(s)} (known: ${QUEUE_STATUSES.join(', ')})`, true);
}

/** `video.url` of a result (P: `{ video: { url, … } }`); another shape fails loudly. */
export function videoUrl(result: unknown): string {
  const url = asObject(asObject(result)?.video)?.url;
  if (typeof url !== 'string' || url === '') {
    throw new ProviderError('upstream_error', `fal's result has no video.url (got ${JSON.stringify(result)?.slice(0, 120)})`, true);
  }
  return url;
}

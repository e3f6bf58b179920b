/**
 * One delivery attempt: sign, POST through `safeRequest` (which re-vets the destination after DNS
 * on every attempt and follows no redirects), and turn what happened into an `AttemptRecord`. No
 * database access here, so the rules are testable on their own.
 */
import { isAppError } from '../errors.js';
import { FetchFailure, safeRequest, type HostResolver, type SafeResponse, type UrlPolicy } from '../net/index.js';
import type { AttemptRecord, DeliveryRow } from './repo.js';
import { parseRetryAfter, retryDelayMs } from './schedule.js';
import { signStandardWebhook, signWavespeedWebhook } from './signing.js';
import { SIGNATURE_SCHEME_HEADER } from './formats.js';

/** Read at most this much of a receiver's answer (then the socket is cut), keep the first KB of it. */
export const MAX_RESPONSE_READ_BYTES = 64 * 1024;
export const KEPT_RESPONSE_BYTES = 1024;
export const WEBHOOK_USER_AGENT = 'Reelay-Webhooks/1.0';

export interface SendOptions {
  policy: UrlPolicy;
  timeoutMs: number;
  retryScheduleMs: readonly number[];
  retryAfterMaxMs: number;
  lookup?: HostResolver | undefined;
  random?: () => number;
}

/** Receivers may answer anything; Postgres text cannot hold NUL, and 1 KB is enough to debug with. */
function keptBody(body: Buffer): string {
  return body.subarray(0, KEPT_RESPONSE_BYTES).toString('utf8').replaceAll('\u0000', '');
}

/** A failed attempt becomes a retry while the schedule lasts, then gives up. */
function failed(row: DeliveryRow, o: SendOptions, base: Omit<AttemptRecord, 'outcome'>, retryAfterMs: number | null): AttemptRecord {
  const delay = retryDelayMs(o.retryScheduleMs, row.attempts, o.random);
  if (delay === null) return { ...base, outcome: 'gave_up' };
  // Retry-After can push the next attempt later than the schedule, never earlier.
  return { ...base, outcome: 'retry', retryInMs: Math.max(delay, retryAfterMs ?? 0) };
}

function fromResponse(row: DeliveryRow, o: SendOptions, res: SafeResponse, base: Pick<AttemptRecord, 'startedAt' | 'latencyMs'>): AttemptRecord {
  const rec = { ...base, statusCode: res.status, responseBody: keptBody(res.body), errorKind: null, errorMessage: null };
  if (res.status >= 200 && res.status < 300) return { ...rec, outcome: 'delivered' };
  // Standard Webhooks: 410 Gone means the receiver wants no more of these.
  if (res.status === 410) return { ...rec, outcome: 'disabled', errorKind: 'gone', errorMessage: 'receiver answered 410 Gone; endpoint disabled for this job' };
  if (res.status >= 300 && res.status < 400) {
    // A redirect could point anywhere, including inside our network: counted as a failure, never followed.
    const where = res.headers.location ? ` to ${res.headers.location.slice(0, 200)}` : '';
    return failed(row, o, { ...rec, errorKind: 'redirect', errorMessage: `redirect${where} not followed` }, null);
  }
  const throttled = res.status === 429 || res.status === 503;
  const retryAfter = throttled ? parseRetryAfter(res.headers['retry-after'], Date.now(), o.retryAfterMaxMs) : null;
  return failed(row, o, rec, retryAfter);
}

/**
 * Sends one attempt of `row`, signed with `secrets` (current first). Never throws for anything the
 * receiver or the network does (only for our own bugs); an abort through `signal` (our shutdown)
 * is reported as `interrupted`.
 *
 * @example
 * const rec = await sendDelivery(row, ['whsec_…'], { policy, timeoutMs: 15_000, retryScheduleMs, retryAfterMaxMs: 3_600_000 }, signal);
 * if (rec.outcome === 'retry') console.log(`again in ${rec.retryInMs} ms`);
 */
export async function sendDelivery(row: DeliveryRow, secrets: readonly string[], o: SendOptions, signal: AbortSignal): Promise<AttemptRecord> {
  const startedAt = new Date();
  const ts = Math.floor(startedAt.getTime() / 1000);
  const { [SIGNATURE_SCHEME_HEADER]: scheme, ...formatHeaders } = row.headers;
  const headers: Record<string, string> = {
    ...formatHeaders,
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': row.id,
    'webhook-timestamp': String(ts),
    'webhook-signature':
      scheme === 'wavespeed-v3' ? signWavespeedWebhook(secrets[0] ?? '', row.id, ts, row.body) : signStandardWebhook(secrets, row.id, ts, row.body),
  };
  const t0 = performance.now();
  const base = (): Pick<AttemptRecord, 'startedAt' | 'latencyMs'> => ({ startedAt, latencyMs: Math.round(performance.now() - t0) });
  const none = { statusCode: null, responseBody: null };
  try {
    const res = await safeRequest({
      url: row.url,
      method: 'POST',
      headers,
      body: row.body,
      timeoutMs: o.timeoutMs,
      maxResponseBytes: MAX_RESPONSE_READ_BYTES,
      maxRedirects: 0,
      policy: o.policy,
      signal,
      ...(o.lookup ? { lookup: o.lookup } : {}),
    });
    return fromResponse(row, o, res, base());
  } catch (err) {
    if (signal.aborted && !(err instanceof FetchFailure)) {
      return { ...base(), ...none, outcome: 'interrupted', errorKind: 'interrupted', errorMessage: 'the worker stopped during the attempt' };
    }
    if (err instanceof FetchFailure) return failed(row, o, { ...base(), ...none, errorKind: err.kind, errorMessage: err.message }, null);
    // DNS now points somewhere we refuse: nothing was sent. Retried, as DNS may change back.
    if (isAppError(err) && err.code === 'url_not_allowed') return failed(row, o, { ...base(), ...none, errorKind: 'url_not_allowed', errorMessage: err.message }, null);
    // Any other refusal is a URL that can never work; retrying it would only fill the log.
    if (isAppError(err)) return { ...base(), ...none, outcome: 'gave_up', errorKind: 'invalid_url', errorMessage: err.message };
    throw err;
  }
}

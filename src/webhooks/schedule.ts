/**
 * When to try a failed delivery again. The schedule is explicit (Standard Webhooks' example by
 * default) rather than `backoffMs`'s full jitter: full jitter could shrink "24 h" to seconds, and
 * the promise to receivers is that retries span at least a day. So each step gets ±10 % jitter,
 * enough to spread a burst of failures caused by one outage.
 */

/** Relative jitter applied to each scheduled delay. */
export const RETRY_JITTER = 0.1;

/**
 * Delay before the next attempt after `attemptsDone` attempts have failed, or null when the schedule
 * is exhausted and the delivery gives up. `scheduleMs[i]` is the delay before attempt i+1.
 *
 * @example
 * retryDelayMs([0, 5000, 300000], 1); // ≈ 5000 (4500–5500)
 * retryDelayMs([0, 5000, 300000], 3); // null: three attempts made, give up
 */
export function retryDelayMs(scheduleMs: readonly number[], attemptsDone: number, random: () => number = Math.random): number | null {
  const base = scheduleMs[attemptsDone];
  if (base === undefined) return null;
  return Math.max(0, Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1))));
}

/**
 * A `Retry-After` header in milliseconds from now: delta-seconds or an HTTP-date, capped at
 * `maxMs`. Null when absent or unreadable (the schedule then decides alone).
 *
 * @example
 * parseRetryAfter('120', Date.now(), 3_600_000); // 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'), 3_600_000); // 60000
 */
export function parseRetryAfter(value: string | undefined, nowMs: number, maxMs: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    ms = at - nowMs;
  }
  return Math.min(maxMs, Math.max(0, ms));
}

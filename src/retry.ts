/**
 * The one backoff rule: capped exponential with full jitter, so that many retries started by one
 * failure spread out instead of arriving together.
 *
 * @example
 * backoffMs(3, { baseMs: 1000, capMs: 60_000 }) // somewhere in [0, 8000]
 */
export function backoffMs(attempt: number, opts: { baseMs: number; capMs: number; random?: () => number }): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.round((opts.random ?? Math.random)() * ceiling);
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

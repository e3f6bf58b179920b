import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from './api.js';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** Loads again now (and restarts polling). */
  reload(): void;
}

/** Capped, jittered backoff after `failures` consecutive errors (2 s, 4 s, … 30 s). */
export function backoffMs(failures: number, retryAfterSeconds: number | null): number {
  if (retryAfterSeconds) return retryAfterSeconds * 1000;
  const base = Math.min(30_000, 2000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Loads `load()` when `deps` change and, when `pollMs(data)` returns a number, again after that
 * many milliseconds. Polling pauses while the tab is hidden and backs off after errors, so an
 * open Studio stays far below a key's rate limit (the default plan allows 120 requests/min).
 *
 * @example
 * const jobs = useResource((s) => api.get<JobList>('/v2/jobs', s), [api], (d) => (anyUnfinished(d) ? 2000 : 15000));
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], pollMs?: (data: T) => number | null): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: ApiError | null; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  const pollRef = useRef(pollMs);
  useEffect(() => {
    loadRef.current = load;
    pollRef.current = pollMs;
  });

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let failures = 0;
    const ctrl = new AbortController();
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') {
        document.removeEventListener('visibilitychange', onVisible);
        void run();
      }
    };
    const later = (ms: number): void => {
      timer = window.setTimeout(() => void run(), ms);
    };
    async function run(): Promise<void> {
      if (stopped) return;
      if (document.visibilityState === 'hidden') {
        document.addEventListener('visibilitychange', onVisible);
        return;
      }
      try {
        const data = await loadRef.current(ctrl.signal);
        if (stopped) return;
        failures = 0;
        setState({ data, error: null, loading: false });
        const next = pollRef.current?.(data) ?? null;
        if (next !== null) later(next);
      } catch (e) {
        if (stopped) return;
        const err = toApiError(e);
        failures += 1;
        setState((s) => ({ ...s, error: err, loading: false }));
        if (pollRef.current && err.status !== 401 && err.status !== 404) later(backoffMs(failures, err.retryAfterSeconds));
      }
    }
    void run();
    return () => {
      stopped = true;
      ctrl.abort();
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [...deps, generation]); // deps are the caller's: the loader itself is read through a ref

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

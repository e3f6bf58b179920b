import type { FastifyRequest } from 'fastify';
import type { PrincipalCache } from '../billing/index.js';
import { AppError } from '../errors.js';

/** The key from `X-API-Key` (Apiframe) or `Authorization: Bearer` (WaveSpeed, API in One). */
export function presentedKey(req: FastifyRequest): string | null {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  return null;
}

/**
 * Resolves the caller or throws 401. Runs on every request, usually from the per-process cache,
 * which a revocation empties on every process at once (see `PrincipalCache`).
 */
export async function authenticate(principals: PrincipalCache, req: FastifyRequest): Promise<void> {
  const key = presentedKey(req);
  if (!key) throw new AppError('unauthorized', 'Missing API key: send it as X-API-Key or Authorization: Bearer <key>');
  const principal = await principals.verify(key);
  if (!principal) throw new AppError('unauthorized', 'Invalid or revoked API key');
  req.principal = principal;
}

/** What `keyWatch` hands a held request. */
export interface KeyWatch {
  /** Aborts when `parent` does, or once the caller's key no longer verifies. */
  signal: AbortSignal;
  /** True once the key was found revoked (or its account disabled) while the request was held. */
  readonly revoked: boolean;
  dispose(): void;
}

/**
 * Watches the caller's key while a request is held open (an SSE stream, a long-poll): a request
 * is authenticated once, at its start, and a key revoked (or an account disabled) meanwhile must
 * not keep receiving the job for up to a minute, or for ever on a stream. Only changes that
 * concern this principal cost a lookup (shared by every held request of the key).
 *
 * @example
 * const watch = keyWatch(deps.principals, req, signal);
 * await views.waitForChange(id, v, ms, watch.signal); watch.dispose();
 * if (watch.revoked) throw new AppError('unauthorized', 'Invalid or revoked API key');
 */
export function keyWatch(principals: PrincipalCache, req: FastifyRequest, parent: AbortSignal): KeyWatch {
  const ac = new AbortController();
  let revoked = false;
  const key = presentedKey(req);
  const principal = req.principal;
  const onParent = (): void => ac.abort();
  parent.addEventListener('abort', onParent, { once: true });
  if (parent.aborted) ac.abort();
  const off = principals.onChange((affects) => {
    if (!principal || !key || !affects(principal) || ac.signal.aborted) return;
    principals.verify(key).then(
      (p) => {
        if (p) return;
        revoked = true;
        ac.abort();
      },
      // Unreadable just now (database trouble): keep the request; the next change checks again.
      () => {},
    );
  });
  const dispose = (): void => {
    off();
    parent.removeEventListener('abort', onParent);
  };
  ac.signal.addEventListener('abort', dispose, { once: true });
  return {
    signal: ac.signal,
    get revoked() {
      return revoked;
    },
    dispose,
  };
}

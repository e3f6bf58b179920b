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

import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { verifyApiKey } from '../billing/index.js';
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

/** Resolves the caller or throws 401. Runs on every request: revocation takes effect at once. */
export async function authenticate(db: Db, req: FastifyRequest): Promise<void> {
  const key = presentedKey(req);
  if (!key) throw new AppError('unauthorized', 'Missing API key: send it as X-API-Key or Authorization: Bearer <key>');
  const principal = await verifyApiKey(db, key);
  if (!principal) throw new AppError('unauthorized', 'Invalid or revoked API key');
  req.principal = principal;
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AdminService } from '../billing/index.js';
import { AppError } from '../errors.js';
import { principalOf, type AppDeps } from './context.js';
import { parseOr400 } from './validation.js';

/**
 * An account holder's own keys (the Studio's key page): list by prefix, create (the plaintext is
 * shown once), name, revoke. A test key may only mint test keys, so a leaked test key cannot
 * escalate to spending real credits.
 */
export const createKeyBody = z.object({ name: z.string().max(100).default(''), mode: z.enum(['live', 'test']).optional() }).strict();

export function registerAccountKeys(app: FastifyInstance, _deps: AppDeps, admin: AdminService): void {
  const config = { dialect: 'apiframe' };
  app.get('/v2/keys', { config }, async (req) => ({ keys: await admin.listKeys(principalOf(req).accountId) }));
  app.post('/v2/keys', { config }, async (req, reply) => {
    const p = principalOf(req);
    const b = parseOr400(createKeyBody, req.body ?? {});
    const mode = b.mode ?? p.mode;
    if (p.mode === 'test' && mode === 'live') throw new AppError('forbidden', 'A test key cannot create live keys; use a live key or the admin API');
    return reply.code(201).send(await admin.createKey(p.accountId, mode, b.name));
  });
  app.delete<{ Params: { id: string } }>('/v2/keys/:id', { config }, async (req) => {
    await admin.revokeKey(principalOf(req).accountId, req.params.id);
    return { revoked: true };
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AdminService } from '../billing/index.js';
import { AppError } from '../errors.js';
import { principalOf, type AppDeps } from './context.js';
import { parseOr400 } from './validation.js';

/**
 * An account holder's own keys (the Studio's key page): list by prefix, create (the plaintext is
 * shown once), name, revoke — all within the caller's mode. A key sees, mints and revokes keys of
 * its own mode only: a leaked test key can neither escalate to live credits nor revoke (or even
 * list) the live keys in production. Live keys of an account are the operator's to mint for a
 * test-mode caller (`/admin`, `reelay keys create <account> --mode live`).
 */
export const createKeyBody = z.object({ name: z.string().max(100).default(''), mode: z.enum(['live', 'test']).optional() }).strict();

/**
 * Active keys of one mode a key may bring its account to. Without a bound a leaked key minted keys
 * without end, each outliving the leaked one's revocation. Checked before the insert, so requests
 * in flight together can pass it by a few: a bound, not a quota. The operator is not held to it.
 */
export const MAX_ACTIVE_KEYS = 100;

export function registerAccountKeys(app: FastifyInstance, deps: AppDeps, admin: AdminService): void {
  const config = { dialect: 'apiframe' };
  app.get('/v2/keys', { config }, async (req) => {
    const p = principalOf(req);
    return { keys: await admin.listKeys(p.accountId, p.mode) };
  });
  app.post('/v2/keys', { config }, async (req, reply) => {
    const p = principalOf(req);
    const b = parseOr400(createKeyBody, req.body ?? {});
    const mode = b.mode ?? p.mode;
    if (mode !== p.mode) {
      throw new AppError('forbidden', `A ${p.mode} key can only create ${p.mode} keys; ask the operator (admin API or CLI) for a ${mode} key`);
    }
    if ((await admin.activeKeyCount(p.accountId, mode)) >= MAX_ACTIVE_KEYS) {
      throw new AppError('conflict', `This account has ${MAX_ACTIVE_KEYS} active ${mode} keys, the most a key may create; revoke one first, or ask the operator`);
    }
    return reply.code(201).send(await admin.createKey(p.accountId, mode, b.name));
  });
  app.delete<{ Params: { id: string } }>('/v2/keys/:id', { config }, async (req) => {
    const p = principalOf(req);
    await admin.revokeKey(p.accountId, req.params.id, p.mode);
    // In this process at once, before the answer (other processes: the trigger's NOTIFY).
    deps.principals.clear();
    return { revoked: true };
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AdminService } from '../billing/index.js';
import { AppError } from '../errors.js';
import { principalOf, type AppDeps } from './context.js';
import type { RouteDoc } from './openapi/index.js';
import { ledgerPage, planView } from './openapi/schemas.js';
import { apiframeErrorSchema } from './dialects/apiframe/docs.js';
import { parseOr400 } from './validation.js';

const ledgerQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();

/** `/openapi.json` entries for these routes (given to `registerOpenApi` by `buildApp`). */
export const LEDGER_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    path: '/v2/ledger',
    tag: 'Account',
    summary: "The caller's account ledger, newest first",
    description: 'Every credit movement of the account in the calling key\'s mode (a test key sees test credits only): grants, holds, captures, releases. Page with `before` = the previous answer\'s `nextBefore`.',
    security: 'apiKey',
    errors: apiframeErrorSchema,
    query: ledgerQuery,
    responses: {
      200: {
        description: 'Entries',
        schema: ledgerPage,
        example: {
          entries: [{ id: 12, mode: 'test', kind: 'capture', from: 'held', to: 'spent', amount: 48, jobId: '3f1c…', actor: 'wrk_…', reason: 'job completed', createdAt: '2026-11-21T10:00:09.000Z' }],
          nextBefore: null,
        },
      },
    },
  },
  {
    method: 'GET',
    path: '/v2/plan',
    tag: 'Account',
    summary: "The caller's plan and its limits",
    security: 'apiKey',
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'Plan', schema: planView, example: { id: 'free', name: 'Free', monthlyCredits: 0, concurrency: 2, rateLimitPerMinute: 120 } }, 404: { description: 'The plan was removed from the database by hand' } },
  },
];

/**
 * An account holder's own billing views (the Studio's account page), always scoped to the
 * caller's account and mode: `GET /v2/ledger` pages through its ledger newest first (`?limit=1..500`,
 * `?before=<id>` from `nextBefore`), and `GET /v2/plan` tells its plan's limits.
 *
 * @example
 * registerAccountLedger(app, deps, new AdminService(deps.db));
 * // GET /v2/ledger?limit=20 → { entries: [{ id, mode, kind, amount, jobId, reason, … }], nextBefore }
 */
export function registerAccountLedger(app: FastifyInstance, _deps: AppDeps, admin: AdminService): void {
  const config = { dialect: 'apiframe' };
  app.get('/v2/ledger', { config }, async (req) => {
    const q = parseOr400(ledgerQuery, req.query ?? {});
    const p = principalOf(req);
    return admin.ledger(p.accountId, { ...q, mode: p.mode });
  });
  app.get('/v2/plan', { config }, async (req) => {
    const p = principalOf(req);
    const plan = (await admin.listPlans()).find((x) => x.id === p.planId);
    // The account row references its plan, so a miss means the plans table was edited by hand.
    if (!plan) throw new AppError('not_found', `Plan "${p.planId}" no longer exists; ask the operator`);
    return plan;
  });
}

import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { MODELS } from '../catalog/index.js';
import { providerStats } from '../providers/index.js';
import { applyMonthlyGrants, type AdminService } from '../billing/index.js';
import { adminJobView, possibleDuplicates } from '../jobs/index.js';
import type { AppDeps } from './context.js';
import { parseOr400 } from './validation.js';

const mode = z.enum(['live', 'test']);
// One rule for a display name (an account's, a plan's), at creation and at a rename (a rename
// once took any length).
const displayName = z.string().min(1).max(200);

export const adminSchemas = {
  createAccount: (defaultTestCredits: number) =>
    z
      .object({
        name: displayName,
        plan: z.string().default('free'),
        testCredits: z.number().int().min(0).max(1e12).default(defaultTestCredits),
        liveCredits: z.number().int().min(0).max(1e12).default(0),
        withKey: mode.optional(),
      })
      .strict(),
  updateAccount: z.object({ plan: z.string().optional(), disabled: z.boolean().optional(), name: displayName.optional() }).strict(),
  createKey: z.object({ mode: mode.default('test'), name: z.string().max(100).default('') }).strict(),
  credits: z.object({ mode: mode.default('live'), amount: z.number().int().min(-1e12).max(1e12), reason: z.string().min(1).max(500) }).strict(),
  duplicatesQuery: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
  // `before` from `nextBefore`, an id (>= 1): `?before=` coerced to 0 answered an empty page, as if
  // the account had no ledger.
  ledgerQuery: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), before: z.coerce.number().int().min(1).optional() }),
  marginsQuery: z.object({ since: z.string().max(40).default('7d') }).strict(),
  // A plan's id goes into paths, CLI arguments and account rows: a word, not any text (a newline,
  // quotes or 900 characters were stored). Its name is a display name.
  planParams: z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'Letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit') }),
  plan: z.object({ name: displayName, monthlyCredits: z.number().int().min(0).max(1e12), concurrency: z.number().int().min(1).max(100_000), rateLimitPerMinute: z.number().int().min(1).max(10_000_000) }).strict(),
};

/**
 * Constant-time comparison of the presented admin token (hashing first equalises lengths).
 * Without a configured token the route answers 404 with `disabled` as its message.
 */
export function checkAdmin(deps: AppDeps, req: FastifyRequest, disabled = 'The admin API is disabled: set REELAY_ADMIN_TOKEN to enable it'): void {
  const token = deps.config.adminToken;
  if (!token) throw new AppError('not_found', disabled);
  const auth = req.headers.authorization ?? '';
  const presented = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? (req.headers['x-admin-token'] as string | undefined) ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  if (!presented || !timingSafeEqual(a, b)) throw new AppError('unauthorized', 'Invalid admin token');
}

/**
 * The operator surface under `/admin`, guarded by the admin token from config. Accounts, keys,
 * credits (always with a reason), plans, and an account's ledger.
 */
export function registerAdmin(app: FastifyInstance, deps: AppDeps, admin: AdminService): void {
  const config = { dialect: 'apiframe', public: true };
  const actor = 'admin';
  app.register(async (scope) => {
    // Before the body is parsed: without the token, nothing about the request is looked at.
    scope.addHook('onRequest', async (req) => checkAdmin(deps, req));
    // A change made here (a revoked key, a disabled account, a new plan or plan limit) reaches
    // this process's key cache before the answer goes out; other processes hear it through the
    // trigger's NOTIFY, which on a server arrives asynchronously (so did it here, and the next
    // request could still pass with a revoked key). Admin writes are rare: the cache is dropped whole.
    scope.addHook('onSend', async (req, reply, payload) => {
      if (req.method !== 'GET' && reply.statusCode < 400) deps.principals.clear();
      return payload;
    });

    scope.get('/admin/accounts', { config }, async () => ({ accounts: await admin.listAccounts() }));

    scope.post('/admin/accounts', { config }, async (req, reply) => {
      const b = parseOr400(adminSchemas.createAccount(deps.config.initialTestCredits), req.body);
      const out = await admin.createAccount({ ...b, actor });
      return reply.code(201).send(out);
    });

    scope.get<{ Params: { id: string } }>('/admin/accounts/:id', { config }, async (req) => admin.getAccount(req.params.id));

    scope.patch<{ Params: { id: string } }>('/admin/accounts/:id', { config }, async (req) => {
      const b = parseOr400(adminSchemas.updateAccount, req.body);
      return admin.updateAccount(req.params.id, b);
    });

    scope.get<{ Params: { id: string } }>('/admin/accounts/:id/keys', { config }, async (req) => ({ keys: await admin.listKeys(req.params.id) }));

    scope.post<{ Params: { id: string } }>('/admin/accounts/:id/keys', { config }, async (req, reply) => {
      const b = parseOr400(adminSchemas.createKey, req.body ?? {});
      return reply.code(201).send(await admin.createKey(req.params.id, b.mode, b.name));
    });

    scope.delete<{ Params: { id: string; keyId: string } }>('/admin/accounts/:id/keys/:keyId', { config }, async (req) => {
      await admin.revokeKey(req.params.id, req.params.keyId);
      return { revoked: true };
    });

    scope.post<{ Params: { id: string } }>('/admin/accounts/:id/credits', { config }, async (req) => {
      const b = parseOr400(adminSchemas.credits, req.body);
      return admin.adjustCredits(req.params.id, { ...b, actor });
    });

    scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/admin/accounts/:id/ledger', { config }, async (req) => {
      const q = parseOr400(adminSchemas.ledgerQuery, req.query);
      return admin.ledger(req.params.id, q);
    });

    scope.get('/admin/plans', { config }, async () => ({ plans: await admin.listPlans() }));

    scope.put<{ Params: { id: string } }>('/admin/plans/:id', { config }, async (req) => {
      const { id } = parseOr400(adminSchemas.planParams, req.params);
      const b = parseOr400(adminSchemas.plan, req.body);
      return admin.upsertPlan({ id, ...b });
    });

    scope.post('/admin/grants/run', { config }, async () => applyMonthlyGrants(deps.db));

    // Every provider: configured or not, resting and why, each model's route, and measured health.
    scope.get('/admin/providers', { config }, async () => {
      const reg = deps.providers;
      if (!reg) return { providers: [], routes: {}, stats: [] };
      return {
        providers: reg.names().map((name) => {
          const rest = reg.cooldown(name);
          return { name, kind: reg.get(name).kind, resting: rest ? { until: new Date(rest.until).toISOString(), reason: rest.reason } : null };
        }),
        routes: Object.fromEntries(MODELS.map((m) => [m.id, reg.tiersOf(m.id)])),
        stats: await providerStats(deps.db),
      };
    });

    scope.get('/admin/reports/margins', { config }, async (req) => {
      const q = parseOr400(adminSchemas.marginsQuery, req.query ?? {});
      return admin.margins(q.since);
    });

    // A job as the operator sees it, either mode: with every upstream create it ever sent.
    scope.get<{ Params: { id: string } }>('/admin/jobs/:id', { config }, async (req) => {
      const view = await adminJobView(deps.db, req.params.id);
      if (!view) throw new AppError('not_found', `No job ${req.params.id}`);
      return view;
    });

    // Resubmits after a create with unknown outcome, to reconcile with the upstream's console.
    scope.get<{ Querystring: Record<string, string> }>('/admin/upstream/possible-duplicates', { config }, async (req) => {
      const q = parseOr400(adminSchemas.duplicatesQuery, req.query);
      return { duplicates: await possibleDuplicates(deps.db, q) };
    });
  });
}

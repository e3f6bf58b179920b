import { z } from 'zod';
import type { RouteDoc } from './types.js';
import { adminSchemas } from '../admin.js';
import { createKeyBody } from '../keys-routes.js';
import { apiframeErrorSchema as errors } from '../dialects/apiframe/docs.js';
import { accountView, adminJobView as adminJobViewSchema, createdKey, keyView, ledgerPage, marginReport, planView, possibleDuplicates as possibleDuplicatesSchema, providersView, revoked } from './schemas.js';

const account = {
  id: 'acct_5hT2…',
  name: 'acme',
  plan: 'pro',
  createdAt: '2026-11-21T10:00:00.000Z',
  disabled: false,
  credits: { live: { available: 10000, held: 96, spent: 480 }, test: { available: 5000, held: 0, spent: 0 } },
};
const key = { id: 'key_9fQ…', name: 'server', prefix: 'rl_live_8Zk2', mode: 'live', createdAt: '2026-11-21T10:00:00.000Z', revokedAt: null };

/** What `/files/*` serves: the video and its poster frame. */
const FILE_TYPES = ['video/mp4', 'image/jpeg'] as const;

export const SERVICE_DOCS: RouteDoc[] = [
  { method: 'GET', path: '/healthz', tag: 'Service', summary: 'Liveness', security: 'none', responses: { 200: { description: 'Alive', schema: z.object({ ok: z.literal(true) }), example: { ok: true } } } },
  { method: 'GET', path: '/readyz', tag: 'Service', summary: 'Readiness (database reachable, not shutting down)', security: 'none',
    errors,
    responses: {
      200: { description: 'Ready', schema: z.object({ ok: z.literal(true), database: z.enum(['pglite', 'postgres']) }), example: { ok: true, database: 'pglite' } },
      503: { description: 'Not ready', schema: z.object({ ok: z.literal(false), reason: z.string() }), example: { ok: false, reason: 'not ready' } },
    },
  },
  {
    method: 'GET',
    path: '/files/*',
    tag: 'Service',
    summary: 'Download a result file (signed URL)',
    description: 'The URLs in job results. `exp` and `sig` query parameters make them expiring capabilities; HTTP Range requests are supported (206, 416). HEAD works too.',
    security: 'none',
    errors,
    responses: {
      200: { description: 'The file', mediaTypes: FILE_TYPES },
      206: { description: 'A byte range', mediaTypes: FILE_TYPES },
      403: { description: 'Invalid or expired link' },
      404: { description: 'Past retention' },
      416: { description: 'Range not satisfiable (see `Content-Range`)' },
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    tag: 'Service',
    summary: 'Prometheus metrics (HTTP traffic of this process; queue and credit gauges for the whole cluster)',
    description: 'Not public: takes the admin token. With `METRICS_PORT` set it is served on that port instead, without a token, and not here.',
    security: 'admin',
    errors,
    responses: { 200: { description: 'Prometheus text format', mediaTypes: ['text/plain'] } },
  },
  { method: 'GET', path: '/openapi.json', tag: 'Service', summary: 'This document', security: 'none', responses: { 200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) } } },
  { method: 'GET', path: '/docs', tag: 'Service', summary: 'This document, rendered (Scalar)', security: 'none', responses: { 200: { description: 'HTML', mediaTypes: ['text/html'] } } },
];

export const ACCOUNT_DOCS: RouteDoc[] = [
  { method: 'GET', path: '/v2/keys', tag: 'Account', summary: 'List the account\'s API keys (prefixes only)', security: 'apiKey', errors, responses: { 200: { description: 'Keys', schema: z.object({ keys: z.array(keyView) }), example: { keys: [key] } } } },
  {
    method: 'POST',
    path: '/v2/keys',
    tag: 'Account',
    summary: 'Create an API key (the plaintext is shown once)',
    description: 'A key creates keys of its own mode only (test and live are two worlds); the operator mints the other mode.',
    security: 'apiKey',
    errors,
    body: createKeyBody,
    bodyExample: { name: 'ci' },
    responses: { 201: { description: 'Created', schema: createdKey, example: { ...key, mode: 'test', key: 'rl_test_…' } }, 403: { description: 'A test key asked for a live key' }, 409: { description: 'The account already has 100 active keys of this mode' } },
  },
  { method: 'DELETE', path: '/v2/keys/:id', tag: 'Account', summary: 'Revoke an API key (effective at once everywhere)', security: 'apiKey', errors, responses: { 200: { description: 'Revoked', schema: revoked, example: { revoked: true } }, 404: { description: 'No such active key' } } },
];

export const ADMIN_DOCS: RouteDoc[] = [
  { method: 'GET', path: '/admin/accounts', tag: 'Admin', summary: 'List accounts', security: 'admin', errors, responses: { 200: { description: 'Accounts', schema: z.object({ accounts: z.array(accountView) }), example: { accounts: [account] } } } },
  {
    method: 'POST',
    path: '/admin/accounts',
    tag: 'Admin',
    summary: 'Create an account (optionally with a first key)',
    security: 'admin',
    errors,
    body: adminSchemas.createAccount(5000),
    bodyExample: { name: 'acme', plan: 'pro', withKey: 'live' },
    responses: { 201: { description: 'Created', schema: z.object({ account: accountView, key: z.string().nullable().describe('The first key\'s plaintext (with `withKey`), shown once.') }), example: { account, key: 'rl_live_…' } } },
  },
  { method: 'GET', path: '/admin/accounts/:id', tag: 'Admin', summary: 'An account with its credits', security: 'admin', errors, responses: { 200: { description: 'Account', schema: accountView, example: account }, 404: { description: 'No such account' } } },
  { method: 'PATCH', path: '/admin/accounts/:id', tag: 'Admin', summary: 'Change plan, name or disable', security: 'admin', errors, body: adminSchemas.updateAccount, bodyExample: { plan: 'enterprise' }, responses: { 200: { description: 'Account', schema: accountView, example: account } } },
  { method: 'GET', path: '/admin/accounts/:id/keys', tag: 'Admin', summary: 'An account\'s keys', security: 'admin', errors, responses: { 200: { description: 'Keys', schema: z.object({ keys: z.array(keyView) }), example: { keys: [key] } } } },
  { method: 'POST', path: '/admin/accounts/:id/keys', tag: 'Admin', summary: 'Issue a key', security: 'admin', errors, body: adminSchemas.createKey, bodyExample: { mode: 'live', name: 'server' }, responses: { 201: { description: 'Created (plaintext shown once)', schema: createdKey, example: { ...key, key: 'rl_live_…' } } } },
  { method: 'DELETE', path: '/admin/accounts/:id/keys/:keyId', tag: 'Admin', summary: 'Revoke a key', security: 'admin', errors, responses: { 200: { description: 'Revoked', schema: revoked, example: { revoked: true } } } },
  {
    method: 'POST',
    path: '/admin/accounts/:id/credits',
    tag: 'Admin',
    summary: 'Grant (positive) or remove (negative) credits, with a reason',
    security: 'admin',
    errors,
    body: adminSchemas.credits,
    bodyExample: { mode: 'live', amount: 1000, reason: 'invoice 2026-11' },
    responses: { 200: { description: 'Account', schema: accountView, example: account }, 409: { description: 'Would go below zero' } },
  },
  { method: 'GET', path: '/admin/accounts/:id/ledger', tag: 'Admin', summary: 'An account\'s ledger, newest first', security: 'admin', errors, query: adminSchemas.ledgerQuery, responses: { 200: { description: 'Entries', schema: ledgerPage, example: { entries: [{ id: 12, mode: 'live', kind: 'capture', from: 'held', to: 'spent', amount: 96, jobId: '3f1c…', actor: 'wrk_…', reason: 'job completed', createdAt: '2026-11-21T10:00:09.000Z' }], nextBefore: null } } } },
  { method: 'GET', path: '/admin/plans', tag: 'Admin', summary: 'Plans', security: 'admin', errors, responses: { 200: { description: 'Plans', schema: z.object({ plans: z.array(planView) }), example: { plans: [{ id: 'free', name: 'Free', monthlyCredits: 0, concurrency: 2, rateLimitPerMinute: 120 }] } } } },
  { method: 'PUT', path: '/admin/plans/:id', tag: 'Admin', summary: 'Create or change a plan', security: 'admin', body: adminSchemas.plan, errors, bodyExample: { name: 'Team', monthlyCredits: 50000, concurrency: 20, rateLimitPerMinute: 1200 }, responses: { 200: { description: 'Plan', schema: planView } } },
  {
    method: 'GET',
    path: '/admin/providers',
    tag: 'Admin',
    summary: 'Providers, each model\'s route, and their measured health over the last hour and day',
    description: 'Success rate, time to accept, generation time p50/p95 and error classes per provider and model, from what each upstream did for our jobs.',
    security: 'admin',
    errors,
    responses: { 200: { description: 'Providers', schema: providersView } },
  },
  {
    method: 'GET',
    path: '/admin/reports/margins',
    tag: 'Admin',
    summary: 'Revenue against upstream cost, per day, model and provider (live jobs that completed)',
    description: 'Revenue is credits charged × `REELAY_USD_PER_CREDIT`; cost is what the serving provider\'s cost table says the video cost when it was delivered. `uncosted` counts jobs whose provider had no cost for their variant.',
    security: 'admin',
    query: adminSchemas.marginsQuery,
    errors,
    responses: { 200: { description: 'Margins', schema: marginReport } },
  },
  { method: 'POST', path: '/admin/grants/run', tag: 'Admin', summary: 'Apply this month\'s plan grants (idempotent)', security: 'admin', errors, responses: { 200: { description: 'How many accounts were granted', schema: z.object({ granted: z.number().int().min(0) }), example: { granted: 3 } } } },
  {
    method: 'GET',
    path: '/admin/jobs/:id',
    tag: 'Admin',
    summary: 'A job of either mode, with every upstream create it sent (docs/minimax.md, duplicates)',
    security: 'admin',
    errors,
    responses: {
      200: {
        description: 'Job and its upstream creates',
        schema: adminJobViewSchema,
        example: {
          job: { id: '3f1c…', state: 'completed', upstreamTaskId: '106916112212032', statusReason: null },
          upstreamSubmits: [
            { id: 7, provider: 'minimax', outcome: 'ambiguous', taskId: null, detail: 'MiniMax unreachable (api.minimax.io: no answer within 30000 ms)', possibleDuplicateOf: null },
            { id: 8, provider: 'minimax', outcome: 'accepted', taskId: '106916112212032', detail: null, possibleDuplicateOf: 7 },
          ],
          possibleDuplicate: true,
        },
      },
      404: { description: 'No such job' },
    },
  },
  {
    method: 'GET',
    path: '/admin/upstream/possible-duplicates',
    tag: 'Admin',
    summary: 'Resubmits after a create with unknown outcome: reconcile them with the upstream console',
    security: 'admin',
    query: adminSchemas.duplicatesQuery,
    errors,
    responses: { 200: { description: 'Possible duplicates, newest first', schema: possibleDuplicatesSchema, example: { duplicates: [{ jobId: '3f1c…', accountId: 'acct_…', mode: 'live', jobState: 'completed', provider: 'minimax', first: { id: 7, outcome: 'ambiguous' }, second: { id: 8, outcome: 'accepted', taskId: '106916112212032' } }] } } },
  },
];

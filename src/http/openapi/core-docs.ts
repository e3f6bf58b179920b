import type { RouteDoc } from './types.js';
import { adminSchemas } from '../admin.js';
import { createKeyBody } from '../keys-routes.js';

const account = {
  id: 'acct_5hT2…',
  name: 'acme',
  plan: 'pro',
  createdAt: '2026-11-21T10:00:00.000Z',
  disabled: false,
  credits: { live: { available: 10000, held: 96, spent: 480 }, test: { available: 5000, held: 0, spent: 0 } },
};
const key = { id: 'key_9fQ…', name: 'server', prefix: 'rl_live_8Zk2', mode: 'live', createdAt: '2026-11-21T10:00:00.000Z', revokedAt: null };

export const SERVICE_DOCS: RouteDoc[] = [
  { method: 'GET', path: '/healthz', tag: 'Service', summary: 'Liveness', security: 'none', responses: { 200: { description: 'Alive', example: { ok: true } } } },
  { method: 'GET', path: '/readyz', tag: 'Service', summary: 'Readiness (database reachable, not shutting down)', security: 'none', responses: { 200: { description: 'Ready', example: { ok: true, database: 'pglite' } }, 503: { description: 'Not ready' } } },
  {
    method: 'GET',
    path: '/files/*',
    tag: 'Service',
    summary: 'Download a result file (signed URL)',
    description: 'The URLs in job results. `exp` and `sig` query parameters make them expiring capabilities; HTTP Range requests are supported (206, 416). HEAD works too.',
    security: 'none',
    responses: { 200: { description: 'The file' }, 206: { description: 'A byte range' }, 403: { description: 'Invalid or expired link' }, 404: { description: 'Past retention' }, 416: { description: 'Range not satisfiable' } },
  },
  { method: 'GET', path: '/metrics', tag: 'Service', summary: 'Prometheus metrics (HTTP traffic of this process; queue and credit gauges for the whole cluster)', security: 'none', responses: { 200: { description: 'Prometheus text format' } } },
  { method: 'GET', path: '/openapi.json', tag: 'Service', summary: 'This document', security: 'none', responses: { 200: { description: 'OpenAPI 3.1' } } },
  { method: 'GET', path: '/docs', tag: 'Service', summary: 'This document, rendered (Scalar)', security: 'none', responses: { 200: { description: 'HTML' } } },
];

export const ACCOUNT_DOCS: RouteDoc[] = [
  { method: 'GET', path: '/v2/keys', tag: 'Account', summary: 'List the account\'s API keys (prefixes only)', security: 'apiKey', responses: { 200: { description: 'Keys', example: { keys: [key] } } } },
  {
    method: 'POST',
    path: '/v2/keys',
    tag: 'Account',
    summary: 'Create an API key (the plaintext is shown once)',
    description: 'A test key can only create test keys.',
    security: 'apiKey',
    body: createKeyBody,
    bodyExample: { name: 'ci' },
    responses: { 201: { description: 'Created', example: { ...key, mode: 'test', key: 'rl_test_…' } }, 403: { description: 'A test key asked for a live key' } },
  },
  { method: 'DELETE', path: '/v2/keys/:id', tag: 'Account', summary: 'Revoke an API key (effective at once everywhere)', security: 'apiKey', responses: { 200: { description: 'Revoked', example: { revoked: true } }, 404: { description: 'No such active key' } } },
];

export const ADMIN_DOCS: RouteDoc[] = [
  { method: 'GET', path: '/admin/accounts', tag: 'Admin', summary: 'List accounts', security: 'admin', responses: { 200: { description: 'Accounts', example: { accounts: [account] } } } },
  {
    method: 'POST',
    path: '/admin/accounts',
    tag: 'Admin',
    summary: 'Create an account (optionally with a first key)',
    security: 'admin',
    body: adminSchemas.createAccount(5000),
    bodyExample: { name: 'acme', plan: 'pro', withKey: 'live' },
    responses: { 201: { description: 'Created', example: { account, key: 'rl_live_…' } } },
  },
  { method: 'GET', path: '/admin/accounts/:id', tag: 'Admin', summary: 'An account with its credits', security: 'admin', responses: { 200: { description: 'Account', example: account }, 404: { description: 'No such account' } } },
  { method: 'PATCH', path: '/admin/accounts/:id', tag: 'Admin', summary: 'Change plan, name or disable', security: 'admin', body: adminSchemas.updateAccount, bodyExample: { plan: 'enterprise' }, responses: { 200: { description: 'Account', example: account } } },
  { method: 'GET', path: '/admin/accounts/:id/keys', tag: 'Admin', summary: 'An account\'s keys', security: 'admin', responses: { 200: { description: 'Keys', example: { keys: [key] } } } },
  { method: 'POST', path: '/admin/accounts/:id/keys', tag: 'Admin', summary: 'Issue a key', security: 'admin', body: adminSchemas.createKey, bodyExample: { mode: 'live', name: 'server' }, responses: { 201: { description: 'Created (plaintext shown once)', example: { ...key, key: 'rl_live_…' } } } },
  { method: 'DELETE', path: '/admin/accounts/:id/keys/:keyId', tag: 'Admin', summary: 'Revoke a key', security: 'admin', responses: { 200: { description: 'Revoked', example: { revoked: true } } } },
  {
    method: 'POST',
    path: '/admin/accounts/:id/credits',
    tag: 'Admin',
    summary: 'Grant (positive) or remove (negative) credits, with a reason',
    security: 'admin',
    body: adminSchemas.credits,
    bodyExample: { mode: 'live', amount: 1000, reason: 'invoice 2026-11' },
    responses: { 200: { description: 'Account', example: account }, 409: { description: 'Would go below zero' } },
  },
  { method: 'GET', path: '/admin/accounts/:id/ledger', tag: 'Admin', summary: 'An account\'s ledger, newest first', security: 'admin', query: adminSchemas.ledgerQuery, responses: { 200: { description: 'Entries', example: { entries: [{ id: 12, mode: 'live', kind: 'capture', from: 'held', to: 'spent', amount: 96, jobId: '3f1c…', actor: 'wrk_…', reason: 'job completed', createdAt: '2026-11-21T10:00:09.000Z' }], nextBefore: null } } } },
  { method: 'GET', path: '/admin/plans', tag: 'Admin', summary: 'Plans', security: 'admin', responses: { 200: { description: 'Plans', example: { plans: [{ id: 'free', name: 'Free', monthlyCredits: 0, concurrency: 2, rateLimitPerMinute: 120 }] } } } },
  { method: 'PUT', path: '/admin/plans/:id', tag: 'Admin', summary: 'Create or change a plan', security: 'admin', body: adminSchemas.plan, bodyExample: { name: 'Team', monthlyCredits: 50000, concurrency: 20, rateLimitPerMinute: 1200 }, responses: { 200: { description: 'Plan' } } },
  { method: 'POST', path: '/admin/grants/run', tag: 'Admin', summary: 'Apply this month\'s plan grants (idempotent)', security: 'admin', responses: { 200: { description: 'How many accounts were granted', example: { granted: 3 } } } },
  {
    method: 'GET',
    path: '/admin/jobs/:id',
    tag: 'Admin',
    summary: 'A job of either mode, with every upstream create it sent (docs/minimax.md, duplicates)',
    security: 'admin',
    responses: {
      200: {
        description: 'Job and its upstream creates',
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
    responses: { 200: { description: 'Possible duplicates, newest first', example: { duplicates: [{ jobId: '3f1c…', accountId: 'acct_…', mode: 'live', jobState: 'completed', provider: 'minimax', first: { id: 7, outcome: 'ambiguous' }, second: { id: 8, outcome: 'accepted', taskId: '106916112212032' } }] } } },
  },
];

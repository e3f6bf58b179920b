/**
 * Real answers of the account, admin and service routes match the schemas `/openapi.json`
 * documents for their path, method and status (see openapi-responses.test.ts for the dialects).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';
import { OpenApiChecker, type OpenApiDoc } from '../support/openapi-check.js';

const ADMIN = 'admin-token-for-openapi-responses-0123';
const admin = { authorization: `Bearer ${ADMIN}` };
let r: TestReelay;
let check: OpenApiChecker;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
  check = new OpenApiChecker((await (await fetch(`${r.url}/openapi.json`)).json()) as OpenApiDoc, r.url);
});
after(async () => r?.stop());

test("Account: the caller's keys, ledger and plan; errors in the /v2 envelope", async () => {
  const me = check.call.bind(check);
  await me('GET', '/v2/keys', '/v2/keys', { key: r.key, expect: 200 });
  const made = await me('POST', '/v2/keys', '/v2/keys', { key: r.key, body: { name: 'ci' }, expect: 201 });
  assert.match(String(made.body.key), /^rl_test_/);
  await me('POST', '/v2/keys', '/v2/keys', { key: r.key, body: { mode: 'live' }, expect: 403 });
  await me('POST', '/v2/keys', '/v2/keys', { key: r.key, body: { name: 7 }, expect: 400 });
  await me('DELETE', '/v2/keys/{id}', `/v2/keys/${String(made.body.id)}`, { key: r.key, expect: 200 });
  await me('DELETE', '/v2/keys/{id}', `/v2/keys/${String(made.body.id)}`, { key: r.key, expect: 404 });
  await me('GET', '/v2/ledger', '/v2/ledger?limit=5', { key: r.key, expect: 200 });
  await me('GET', '/v2/ledger', '/v2/ledger?limit=0', { key: r.key, expect: 400 });
  await me('GET', '/v2/plan', '/v2/plan', { key: r.key, expect: 200 });
  await me('GET', '/v2/plan', '/v2/plan', { key: 'rl_test_nope', expect: 401 });
});

test('Admin: accounts, keys, credits, ledger, plans, grants; errors in the /v2 envelope', async () => {
  const call = (method: string, template: string, url: string, expect: number, body?: unknown, headers: Record<string, string> = admin) =>
    check.call(method, template, url, { headers, expect, ...(body !== undefined ? { body } : {}) });
  await call('GET', '/admin/accounts', '/admin/accounts', 200);
  await call('GET', '/admin/accounts', '/admin/accounts', 401, undefined, { authorization: 'Bearer wrong' });
  const made = await call('POST', '/admin/accounts', '/admin/accounts', 201, { name: 'acme', plan: 'pro', withKey: 'live' });
  await call('POST', '/admin/accounts', '/admin/accounts', 201, { name: 'keyless' });
  await call('POST', '/admin/accounts', '/admin/accounts', 400, { name: 'acme', plan: 'nope' });
  const id = String((made.body.account as { id: string }).id);
  await call('GET', '/admin/accounts/{id}', `/admin/accounts/${id}`, 200);
  await call('GET', '/admin/accounts/{id}', '/admin/accounts/acct_missing', 404);
  await call('PATCH', '/admin/accounts/{id}', `/admin/accounts/${id}`, 200, { plan: 'enterprise' });
  await call('GET', '/admin/accounts/{id}/keys', `/admin/accounts/${id}/keys`, 200);
  const key = await call('POST', '/admin/accounts/{id}/keys', `/admin/accounts/${id}/keys`, 201, { mode: 'test', name: 'second' });
  await call('DELETE', '/admin/accounts/{id}/keys/{keyId}', `/admin/accounts/${id}/keys/${String(key.body.id)}`, 200);
  await call('POST', '/admin/accounts/{id}/credits', `/admin/accounts/${id}/credits`, 200, { mode: 'live', amount: 500, reason: 'invoice 1' });
  await call('POST', '/admin/accounts/{id}/credits', `/admin/accounts/${id}/credits`, 409, { mode: 'live', amount: -100000, reason: 'too much' });
  await call('GET', '/admin/accounts/{id}/ledger', `/admin/accounts/${id}/ledger?limit=10`, 200);
  await call('GET', '/admin/plans', '/admin/plans', 200);
  await call('PUT', '/admin/plans/{id}', '/admin/plans/team', 200, { name: 'Team', monthlyCredits: 50000, concurrency: 20, rateLimitPerMinute: 1200 });
  await call('PUT', '/admin/plans/{id}', '/admin/plans/team', 400, { name: 'Team' });
  await call('POST', '/admin/grants/run', '/admin/grants/run', 200);
  await call('GET', '/admin/reports/margins', '/admin/reports/margins?since=7d', 200);
  await call('GET', '/admin/providers', '/admin/providers', 200);
  await call('GET', '/admin/reports/margins', '/admin/reports/margins?since=yesterday', 400);
  const job = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'an operator looks at this job' });
  await call('GET', '/admin/jobs/{id}', `/admin/jobs/${String(job.body.jobId)}`, 200);
  await call('GET', '/admin/jobs/{id}', '/admin/jobs/not-a-uuid', 404);
  await call('GET', '/admin/upstream/possible-duplicates', '/admin/upstream/possible-duplicates', 200);
});

test('Service: probes, this document, the viewer, metrics, and result files with ranges', async () => {
  await check.call('GET', '/healthz', '/healthz', { expect: 200 });
  await check.call('GET', '/readyz', '/readyz', { expect: 200 });
  await check.call('GET', '/openapi.json', '/openapi.json', { expect: 200 });
  await check.call('GET', '/docs', '/docs', { expect: 200 });
  await check.call('GET', '/metrics', '/metrics', { expect: 200, headers: admin });
  await check.call('GET', '/metrics', '/metrics', { expect: 401 });

  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'a file to fetch' });
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId));
  const result = job.result as { videoUrl: string; posterUrl: string };
  const path = (u: string) => u.slice(new URL(u).origin.length);
  await check.call('GET', '/files/{path}', path(result.videoUrl), { expect: 200 });
  await check.call('GET', '/files/{path}', path(result.posterUrl), { expect: 200 });
  await check.call('GET', '/files/{path}', path(result.videoUrl), { headers: { range: 'bytes=0-99' }, expect: 206 });
  await check.call('GET', '/files/{path}', path(result.videoUrl), { headers: { range: 'bytes=999999999-' }, expect: 416 });
  await check.call('GET', '/files/{path}', path(result.videoUrl).replace(/sig=[^&]+/, 'sig=0000'), { expect: 403 });
});

test('every account, admin and service operation was exercised with a documented success', () => {
  assert.deepEqual(check.untested(['Account', 'Admin', 'Service']), []);
});

/**
 * Test and live are two worlds. A leaked `rl_test_` key once listed and revoked live keys, read
 * and rotated the secret that signs live webhooks, read and canceled live jobs and read the live
 * ledger. Each test below is one of those, tried through every dialect that has the route.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../support/reelay.js';
import type { TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { ADMIN, MM_KEY, liveAccount, startLive, submit, waitRow } from '../providers/minimax-helpers.js';

let fake: FakeMinimax;
let r: TestReelay;
let account: string;
let live: string;
let liveKeyId: string;
let testKey: string;
let liveJob: string;
let testJob: string;
const admin = { authorization: `Bearer ${ADMIN}` };

before(async () => {
  // Live tasks take a minute at the fake: the live job stays open for the cancel attempts.
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 60_000 });
  r = await startLive(fake);
  const a = await liveAccount(r, 1000);
  account = a.id;
  live = a.key;
  liveKeyId = String(((await api(r.url, live, 'GET', '/v2/me')).body.apiKey as { id: string }).id);
  const t = await api(r.url, null, 'POST', `/admin/accounts/${account}/keys`, { mode: 'test', name: 'ci' }, admin);
  assert.equal(t.status, 201);
  testKey = String(t.body.key);
  assert.equal((await api(r.url, null, 'POST', `/admin/accounts/${account}/credits`, { mode: 'test', amount: 500, reason: 'tests' }, admin)).status, 200);
  liveJob = await submit(r, live, { prompt: 'a live job [Pan left]' });
  testJob = await submit(r, testKey, { prompt: 'a test job [[sandbox:delay=30]]' });
});
after(async () => {
  await r.stop();
  await fake.stop();
});

test('a test key cannot see a live job in any dialect, nor a live key a test job (404, as for another account)', async () => {
  for (const [key, other] of [
    [testKey, liveJob],
    [live, testJob],
  ] as const) {
    const v2 = await api(r.url, key, 'GET', `/v2/jobs/${other}`);
    assert.equal(v2.status, 404);
    assert.equal(v2.body.code, 'not_found');
    const ws = await api(r.url, key, 'GET', `/api/v3/predictions/${other}/result`);
    assert.equal(ws.status, 404);
    assert.equal(ws.body.code, 404, 'WaveSpeed envelope');
    const aio = await api(r.url, key, 'GET', `/api/v1/tasks/${other}`);
    assert.equal(aio.status, 404);
    assert.ok((aio.body.error as { code: string }).code, 'API in One envelope');
    assert.equal((await api(r.url, key, 'GET', `/v2/jobs/${other}/webhooks`)).status, 404);
    assert.equal((await api(r.url, key, 'POST', `/v2/jobs/${other}/webhooks/redeliver`)).status, 404);
    const listed = (await api(r.url, key, 'GET', '/v2/jobs?limit=100')).body.jobs as { id: string }[];
    assert.ok(!listed.some((j) => j.id === other), 'not listed');
  }
  // And the owner of each still sees it.
  assert.equal((await api(r.url, live, 'GET', `/v2/jobs/${liveJob}`)).status, 200);
  assert.equal((await api(r.url, testKey, 'GET', `/v2/jobs/${testJob}`)).status, 200);
});

test('a test key cannot cancel a live job: 404, and the job runs on, still held', async () => {
  const res = await api(r.url, testKey, 'POST', `/v2/jobs/${liveJob}/cancel`);
  assert.equal(res.status, 404);
  const job = await api(r.url, live, 'GET', `/v2/jobs/${liveJob}`);
  assert.notEqual(job.body.status, 'CANCELLED');
});

test('a test key neither lists, revokes nor mints live keys', async () => {
  const keys = (await api(r.url, testKey, 'GET', '/v2/keys')).body.keys as { id: string; mode: string }[];
  assert.ok(keys.length >= 1);
  assert.ok(keys.every((k) => k.mode === 'test'), 'only test keys listed');
  assert.ok(!keys.some((k) => k.id === liveKeyId));
  const revoke = await api(r.url, testKey, 'DELETE', `/v2/keys/${liveKeyId}`);
  assert.equal(revoke.status, 404);
  assert.equal((await api(r.url, live, 'GET', '/v2/me')).status, 200, 'the live key still works');
  const mint = await api(r.url, testKey, 'POST', '/v2/keys', { mode: 'live', name: 'escalate' });
  assert.equal(mint.status, 403);
  // A live key sees its own mode only, too.
  const liveKeys = (await api(r.url, live, 'GET', '/v2/keys')).body.keys as { mode: string }[];
  assert.ok(liveKeys.every((k) => k.mode === 'live'));
});

test('one webhook secret per mode: a test key reads and rotates only the test secret (it cannot forge live events)', async () => {
  const liveSecret = String((await api(r.url, live, 'GET', '/v2/webhooks/secret')).body.secret);
  const testSecret = String((await api(r.url, testKey, 'GET', '/v2/webhooks/secret')).body.secret);
  assert.match(liveSecret, /^whsec_/);
  assert.match(testSecret, /^whsec_/);
  assert.notEqual(liveSecret, testSecret);
  const ws = await api(r.url, testKey, 'GET', '/api/v3/webhook/secret', undefined, { authorization: `Bearer ${testKey}` });
  assert.equal((ws.body.data as { secret: string }).secret, testSecret, 'WaveSpeed route: the same per-mode secret');
  const rotated = await api(r.url, testKey, 'POST', '/v2/webhooks/secret/rotate');
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.secret, testSecret);
  assert.equal(String((await api(r.url, live, 'GET', '/v2/webhooks/secret')).body.secret), liveSecret, 'live secret untouched');
});

test("a test key reads only the test ledger and the test wallet; the operator sees both, labelled", async () => {
  const ledger = (await api(r.url, testKey, 'GET', '/v2/ledger?limit=500')).body.entries as { mode: string; jobId: string | null }[];
  assert.ok(ledger.length > 0);
  assert.ok(ledger.every((e) => e.mode === 'test'), 'no live rows');
  assert.ok(!ledger.some((e) => e.jobId === liveJob));
  const me = (await api(r.url, testKey, 'GET', '/v2/me')).body;
  assert.deepEqual(Object.keys(me.credits as object), ['test']);
  const all = (await api(r.url, null, 'GET', `/admin/accounts/${account}/ledger?limit=500`, undefined, admin)).body.entries as { mode: string }[];
  assert.deepEqual([...new Set(all.map((e) => e.mode))].sort(), ['live', 'test']);
  const keys = (await api(r.url, null, 'GET', `/admin/accounts/${account}/keys`, undefined, admin)).body.keys as { mode: string }[];
  assert.deepEqual([...new Set(keys.map((k) => k.mode))].sort(), ['live', 'test']);
});

test('an Idempotency-Key used by a live key never replays a test job (and is charged live)', async () => {
  const body = { model: 'hailuo-2.3', prompt: 'same request both modes', hailuoParams: { duration: 6, resolution: '768p' } };
  const headers = { 'idempotency-key': 'shared-key-1' };
  const t = await api(r.url, testKey, 'POST', '/v2/videos/generate', body, headers);
  const l = await api(r.url, live, 'POST', '/v2/videos/generate', body, headers);
  assert.equal(t.status, 202);
  assert.equal(l.status, 202);
  assert.notEqual(l.body.jobId, t.body.jobId);
  assert.equal(l.headers.get('idempotent-replayed'), null);
  const { rows } = await r.reelay.db.query<{ mode: string; provider: string }>('SELECT mode, provider FROM jobs WHERE id = $1', [l.body.jobId]);
  assert.equal(rows[0]!.mode, 'live');
  assert.notEqual(rows[0]!.provider, 'sandbox');
  const held = await r.reelay.db.query<{ mode: string }>(`SELECT mode FROM ledger WHERE job_id = $1 AND kind = 'hold'`, [l.body.jobId]);
  assert.equal(held.rows[0]!.mode, 'live');
});

test('the rate limit is per account and mode: a second key of the same mode shares it, the other mode does not', async () => {
  const plan = await api(r.url, null, 'PUT', '/admin/plans/tiny', { name: 'Tiny', monthlyCredits: 0, concurrency: 1, rateLimitPerMinute: 3 }, admin);
  assert.ok([200, 201].includes(plan.status), JSON.stringify(plan.body));
  const acct = await api(r.url, null, 'POST', '/admin/accounts', { name: 'tiny', plan: 'tiny', testCredits: 0, liveCredits: 0, withKey: 'test' }, admin);
  const id = (acct.body.account as { id: string }).id;
  const k1 = String(acct.body.key);
  const k2 = String((await api(r.url, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'test' }, admin)).body.key);
  const kLive = String((await api(r.url, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'live' }, admin)).body.key);
  // Minute windows are fixed: two requests straddling a boundary could both pass. Start early in one.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((res) => setTimeout(res, 60_500 - intoMinute));
  for (let i = 0; i < 3; i++) assert.equal((await api(r.url, k1, 'GET', '/v2/models')).status, 200);
  const minted = await api(r.url, k2, 'GET', '/v2/models');
  assert.equal(minted.status, 429, 'a new key of the same account and mode does not reset the limit');
  assert.ok(Number(minted.headers.get('retry-after')) >= 1);
  assert.equal((await api(r.url, kLive, 'GET', '/v2/models')).status, 200, 'live traffic is not throttled by test traffic');
});

test('the concurrency ceiling is per mode: test renders filling the plan never hold back the account\'s live job', async () => {
  const plan = await api(r.url, null, 'PUT', '/admin/plans/one', { name: 'One', monthlyCredits: 0, concurrency: 1, rateLimitPerMinute: 10_000 }, admin);
  assert.ok([200, 201].includes(plan.status));
  const acct = await api(r.url, null, 'POST', '/admin/accounts', { name: 'one-at-a-time', plan: 'one', testCredits: 1000, liveCredits: 1000, withKey: 'test' }, admin);
  const id = (acct.body.account as { id: string }).id;
  const t = String(acct.body.key);
  const l = String((await api(r.url, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'live' }, admin)).body.key);
  const tests: string[] = [];
  for (let i = 0; i < 3; i++) tests.push(await submit(r, t, { prompt: `test render ${i} [[sandbox:delay=20]]` }));
  const liveId = await submit(r, l, { prompt: 'live job behind test renders' });
  const started = await waitRow(r, liveId, (row) => row.state !== 'queued', 10_000);
  assert.notEqual(started.state, 'queued', 'the live job started while test jobs wait');
  const { rows } = await r.reelay.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1::uuid[]) AND state = 'queued'`, [tests]);
  assert.ok(rows[0]!.n >= 1, 'test jobs still wait behind their own ceiling of one');
  for (const j of tests) await api(r.url, t, 'POST', `/v2/jobs/${j}/cancel`);
});

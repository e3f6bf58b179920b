/** `GET /v2/ledger` and `GET /v2/plan`: the account holder's own billing views, behind the Studio's account page. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';

const TOKEN = 'operator-token-for-ledger-tests';
let r: TestReelay;
let other: string;

before(async () => {
  r = await startReelay({ adminToken: TOKEN });
  const created = await api(r.url, null, 'POST', '/admin/accounts', { name: 'other', plan: 'free', testCredits: 777, withKey: 'test' }, { authorization: `Bearer ${TOKEN}` });
  assert.equal(created.status, 201);
  other = String(created.body.key);
});
after(async () => r.stop());

test('the ledger lists the caller’s movements newest first, hold then capture of a job', async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'ledger test' });
  const jobId = String(sub.body.jobId);
  await waitForJob(r.url, r.key, jobId);
  const res = await api(r.url, r.key, 'GET', '/v2/ledger?limit=50');
  assert.equal(res.status, 200);
  const entries = res.body.entries as { id: number; kind: string; amount: number; jobId: string | null; from: string; to: string }[];
  const mine = entries.filter((e) => e.jobId === jobId);
  assert.deepEqual(mine.map((e) => [e.kind, e.from, e.to, e.amount]), [
    ['capture', 'held', 'spent', 48],
    ['hold', 'available', 'held', 48],
  ]);
  const ids = entries.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  assert.ok(!entries.some((e) => e.amount === 777), 'another account’s grant is not listed');
});

test('pages with before=nextBefore and validates its query', async () => {
  const first = await api(r.url, r.key, 'GET', '/v2/ledger?limit=1');
  assert.equal((first.body.entries as unknown[]).length, 1);
  const next = first.body.nextBefore as number;
  assert.equal(typeof next, 'number');
  const second = await api(r.url, r.key, 'GET', `/v2/ledger?limit=1&before=${next}`);
  assert.ok(((second.body.entries as { id: number }[])[0]?.id ?? Infinity) < next);
  const bad = await api(r.url, r.key, 'GET', '/v2/ledger?limit=0&color=red');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'validation_error');
  const details = bad.body.details as Record<string, string[]>;
  assert.ok(details.limit && details.color, JSON.stringify(details));
});

test('each account sees only its own ledger and plan; no key, no ledger', async () => {
  const theirs = await api(r.url, other, 'GET', '/v2/ledger');
  assert.equal(theirs.status, 200);
  const entries = theirs.body.entries as { amount: number; kind: string }[];
  assert.deepEqual(entries.map((e) => [e.kind, e.amount]), [['grant', 777]]);
  assert.equal((await api(r.url, null, 'GET', '/v2/ledger')).status, 401);

  const plan = await api(r.url, other, 'GET', '/v2/plan');
  assert.deepEqual(plan.body, { id: 'free', name: 'Free', monthlyCredits: 0, concurrency: 2, rateLimitPerMinute: 120 });
  assert.equal(((await api(r.url, r.key, 'GET', '/v2/plan')).body as { id: string }).id, 'enterprise');
  assert.equal((await api(r.url, null, 'GET', '/v2/plan')).status, 401);
});

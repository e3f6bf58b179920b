import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let r: TestReelay;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
});
after(async () => r.stop());

function admin(method: string, path: string, body?: unknown) {
  return api(r.url, null, method, path, body, { authorization: `Bearer ${ADMIN}` });
}

async function newAccount(testCredits: number, plan = 'free'): Promise<{ id: string; key: string }> {
  const res = await admin('POST', '/admin/accounts', { name: `acct-${Math.random()}`, plan, testCredits, withKey: 'test' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: String((res.body.account as { id: string }).id), key: String(res.body.key) };
}

const body = { prompt: 'a castle', model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '768p' } };

test('not enough credits: 402 in Apiframe shape, no job created, nothing held', async () => {
  const a = await newAccount(47);
  const res = await api(r.url, a.key, 'POST', '/v2/videos/generate', body);
  assert.equal(res.status, 402);
  assert.equal(res.body.error, 'Insufficient credits');
  assert.equal(res.body.creditsRequired, 48);
  assert.equal(res.body.creditsAvailable, 47);
  assert.deepEqual((await api(r.url, a.key, 'GET', '/v2/jobs')).body.jobs, []);
  const me = await api(r.url, a.key, 'GET', '/v2/me');
  assert.deepEqual((me.body.credits as Record<string, unknown>).test, { available: 47, held: 0, spent: 0 });
});

test('a hold at submit, captured on completion; /v2/me shows plan, balance, held credits and the key in use; quote prices without submitting', async () => {
  const a = await newAccount(200);
  const quote = await api(r.url, a.key, 'POST', '/v2/videos/quote', { ...body, hailuoParams: { duration: 10 } });
  assert.equal(quote.status, 200);
  assert.equal(quote.body.creditCost, 96);
  const sub = await api(r.url, a.key, 'POST', '/v2/videos/generate', { ...body, prompt: 'slow [[sandbox:delay=2]]' });
  assert.equal(sub.status, 202);
  const mid = await api(r.url, a.key, 'GET', '/v2/me');
  assert.deepEqual((mid.body.credits as Record<string, unknown>).test, { available: 152, held: 48, spent: 0 });
  assert.equal((mid.body.account as { plan: string }).plan, 'free');
  assert.equal((mid.body.apiKey as { mode: string }).mode, 'test');
  assert.equal((mid.body.apiKey as { prefix: string }).prefix, a.key.slice(0, 12));
  await waitForJob(r.url, a.key, String(sub.body.jobId));
  const end = await api(r.url, a.key, 'GET', '/v2/me');
  assert.deepEqual((end.body.credits as Record<string, unknown>).test, { available: 152, held: 0, spent: 48 });
});

test('Idempotency-Key: same body returns the original job, another body is 409, concurrent duplicates make one job and one hold', async () => {
  const a = await newAccount(1000);
  const h = { 'idempotency-key': 'order-42' };
  const first = await api(r.url, a.key, 'POST', '/v2/videos/generate', body, h);
  const again = await api(r.url, a.key, 'POST', '/v2/videos/generate', body, h);
  assert.equal(first.status, 202);
  assert.equal(again.status, 202);
  assert.equal(again.body.jobId, first.body.jobId);
  const other = await api(r.url, a.key, 'POST', '/v2/videos/generate', { ...body, prompt: 'another' }, h);
  assert.equal(other.status, 409);
  assert.equal((await api(r.url, a.key, 'POST', '/v2/videos/generate', body, { 'idempotency-key': 'x'.repeat(256) })).status, 400);

  const burst = await Promise.all(
    Array.from({ length: 8 }, () => api(r.url, a.key, 'POST', '/v2/videos/generate', { ...body, prompt: 'burst' }, { 'idempotency-key': 'burst-1' })),
  );
  for (const b of burst) assert.ok(b.status === 202 || b.status === 409, `${b.status} ${JSON.stringify(b.body)}`);
  const ids = new Set(burst.filter((b) => b.status === 202).map((b) => b.body.jobId));
  assert.equal(ids.size, 1);
  const { rows } = await r.reelay.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger WHERE account_id = $1 AND kind = 'hold'`,
    [a.id],
  );
  assert.equal(rows[0]!.n, 2, 'one hold for order-42, one for burst-1');
  // Another account may use the same key string for its own job.
  const b = await newAccount(100);
  const theirs = await api(r.url, b.key, 'POST', '/v2/videos/generate', body, h);
  assert.equal(theirs.status, 202);
  assert.notEqual(theirs.body.jobId, first.body.jobId);
});

test('rate limit: headers on every response, 429 with Retry-After past the limit', async () => {
  assert.equal((await admin('PUT', '/admin/plans/tiny', { name: 'Tiny', monthlyCredits: 0, concurrency: 1, rateLimitPerMinute: 3 })).status, 200);
  const a = await newAccount(10, 'tiny');
  // Windows are calendar minutes: start well inside one so the four requests share it.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 55_000) await new Promise((res) => setTimeout(res, 60_500 - intoMinute));
  const first = await api(r.url, a.key, 'GET', '/v2/jobs');
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('ratelimit-limit'), '3');
  assert.equal(first.headers.get('ratelimit-remaining'), '2');
  assert.equal((await api(r.url, a.key, 'GET', '/v2/jobs')).status, 200);
  assert.equal((await api(r.url, a.key, 'GET', '/v2/jobs')).status, 200);
  const limited = await api(r.url, a.key, 'GET', '/v2/jobs');
  assert.equal(limited.status, 429);
  assert.equal(limited.body.code, 'rate_limited');
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  assert.equal(limited.headers.get('ratelimit-remaining'), '0');
});

test('concurrency ceiling: jobs beyond it wait in the queue, in order, and all finish', async () => {
  await admin('PUT', '/admin/plans/solo', { name: 'Solo', monthlyCredits: 0, concurrency: 1, rateLimitPerMinute: 1000 });
  const a = await newAccount(1000, 'solo');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await api(r.url, a.key, 'POST', '/v2/videos/generate', { ...body, prompt: `clip ${i} [[sandbox:delay=1]] [[sandbox:fail=upstream_error]]` });
    assert.equal(s.status, 202, JSON.stringify(s.body));
    ids.push(String(s.body.jobId));
  }
  let maxRunning = 0;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await r.reelay.db.query<{ id: string; state: string; started_at: Date | null }>(
      'SELECT id, state, started_at FROM jobs WHERE account_id = $1',
      [a.id],
    );
    maxRunning = Math.max(maxRunning, rows.filter((x) => ['submitting', 'running', 'finalizing'].includes(x.state)).length);
    if (rows.every((x) => ['completed', 'failed', 'canceled'].includes(x.state))) {
      const order = [...rows].sort((x, y) => x.started_at!.getTime() - y.started_at!.getTime()).map((x) => x.id);
      assert.deepEqual(order, ids, 'started in submission order');
      break;
    }
    assert.ok(Date.now() < deadline, 'jobs finish');
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(maxRunning, 1);
});

test('admin API: token required; credits need a reason and never go negative; ledger lists every movement; monthly grants apply once', async () => {
  assert.equal((await api(r.url, null, 'GET', '/admin/accounts')).status, 401);
  assert.equal((await api(r.url, null, 'GET', '/admin/accounts', undefined, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
  const a = await newAccount(0);
  assert.equal((await admin('POST', `/admin/accounts/${a.id}/credits`, { mode: 'live', amount: 100 })).status, 400);
  const granted = await admin('POST', `/admin/accounts/${a.id}/credits`, { mode: 'live', amount: 100, reason: 'welcome' });
  assert.equal(granted.status, 200);
  assert.equal(((granted.body.credits as Record<string, { available: number }>).live!).available, 100);
  assert.equal((await admin('POST', `/admin/accounts/${a.id}/credits`, { mode: 'live', amount: -101, reason: 'oops' })).status, 409);
  assert.equal((await admin('POST', `/admin/accounts/${a.id}/credits`, { mode: 'live', amount: -40, reason: 'refund' })).status, 200);
  const ledger = await admin('GET', `/admin/accounts/${a.id}/ledger`);
  const entries = ledger.body.entries as { kind: string; amount: number; reason: string; actor: string }[];
  assert.deepEqual(entries.map((e) => [e.kind, e.amount, e.reason]), [
    ['adjust', 40, 'refund'],
    ['grant', 100, 'welcome'],
  ]);
  assert.ok(entries.every((e) => e.actor === 'admin'));

  assert.equal((await admin('PATCH', `/admin/accounts/${a.id}`, { plan: 'pro' })).status, 200);
  const g1 = await admin('POST', '/admin/grants/run');
  const g2 = await admin('POST', '/admin/grants/run');
  assert.ok(Number(g1.body.granted) >= 1);
  assert.equal(g2.body.granted, 0);
  const acct = await admin('GET', `/admin/accounts/${a.id}`);
  assert.equal((acct.body.credits as Record<string, { available: number }>).live!.available, 60 + 10_000);

  const key = await admin('POST', `/admin/accounts/${a.id}/keys`, { mode: 'live', name: 'server' });
  assert.equal(key.status, 201);
  assert.match(String(key.body.key), /^rl_live_/);
  const keys = await admin('GET', `/admin/accounts/${a.id}/keys`);
  assert.ok(JSON.stringify(keys.body).includes(String(key.body.prefix)));
  assert.ok(!JSON.stringify(keys.body).includes(String(key.body.key)), 'plaintext keys are never listed');
  assert.equal((await admin('DELETE', `/admin/accounts/${a.id}/keys/${String(key.body.id)}`)).status, 200);
  assert.equal((await api(r.url, String(key.body.key), 'GET', '/v2/me')).status, 401);
});

test('account holders manage their own keys; a test key cannot mint a live key', async () => {
  const a = await newAccount(0);
  const made = await api(r.url, a.key, 'POST', '/v2/keys', { name: 'ci' });
  assert.equal(made.status, 201);
  assert.match(String(made.body.key), /^rl_test_/);
  assert.equal((await api(r.url, a.key, 'POST', '/v2/keys', { mode: 'live' })).status, 403);
  const list = await api(r.url, a.key, 'GET', '/v2/keys');
  assert.equal((list.body.keys as unknown[]).length, 2);
  assert.equal((await api(r.url, a.key, 'DELETE', `/v2/keys/${String(made.body.id)}`)).status, 200);
  assert.equal((await api(r.url, String(made.body.key), 'GET', '/v2/me')).status, 401);
  const b = await newAccount(0);
  assert.equal((await api(r.url, b.key, 'DELETE', `/v2/keys/${String(made.body.id)}`)).status, 404);
});

test('live keys without a configured provider are refused with 503 before anything is charged', async () => {
  const a = await newAccount(0);
  await admin('POST', `/admin/accounts/${a.id}/credits`, { mode: 'live', amount: 500, reason: 'test' });
  const live = await admin('POST', `/admin/accounts/${a.id}/keys`, { mode: 'live' });
  const res = await api(r.url, String(live.body.key), 'POST', '/v2/videos/generate', body);
  assert.equal(res.status, 503);
  assert.equal(res.body.code, 'provider_unavailable');
  assert.match(String(res.body.error), /MINIMAX_API_KEY/);
  const acct = await admin('GET', `/admin/accounts/${a.id}`);
  assert.deepEqual((acct.body.credits as Record<string, unknown>).live, { available: 500, held: 0, spent: 0 });
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, type TestReelay } from '../support/reelay.js';
import { openSse } from '../support/sse.js';

// API role only: no worker moves the jobs, the test does (by SQL, as a worker elsewhere would), so
// every change is the test's own and nothing here depends on timing.
const ADMIN = 'admin-token-for-tests-0123456789';
let r: TestReelay;

before(async () => {
  r = await startReelay({ adminToken: ADMIN, role: 'api' });
});
after(async () => r.stop());

const body = { prompt: 'a lighthouse', model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '768p' } };

async function submit(key = r.key): Promise<string> {
  const res = await api(r.url, key, 'POST', '/v2/videos/generate', body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return String(res.body.jobId);
}

async function setJob(id: string, sql: string): Promise<void> {
  const res = await r.reelay.db.query(`UPDATE jobs SET ${sql} WHERE id = $1`, [id]);
  assert.equal(res.rowCount, 1);
}

async function otherAccountKey(): Promise<string> {
  const res = await api(r.url, null, 'POST', '/admin/accounts', { name: `other-${Math.random()}`, plan: 'enterprise', testCredits: 0, withKey: 'test' }, { authorization: `Bearer ${ADMIN}` });
  return String(res.body.key);
}

async function liveKeyOfFirstAccount(): Promise<string> {
  const me = await api(r.url, r.key, 'GET', '/v2/me');
  const id = String((me.body.account as { id: string }).id);
  const res = await api(r.url, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'live', name: 'live' }, { authorization: `Bearer ${ADMIN}` });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return String(res.body.key);
}

test('GET /v2/jobs/{id}?wait=N answers as soon as the job changes, with the changed job', async () => {
  const id = await submit();
  const started = Date.now();
  const waiting = api(r.url, r.key, 'GET', `/v2/jobs/${id}?wait=30`);
  await new Promise((res) => setTimeout(res, 300));
  await setJob(id, `state = 'running', progress = 10, started_at = now()`);
  const res = await waiting;
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'PROCESSING');
  assert.equal(res.body.progress, 10);
  assert.ok(Date.now() - started < 25_000, 'answered by the change, not the 30 s timeout');
});

test('?wait=N with no change answers after N seconds with the job as it is; a final job answers at once', async () => {
  const id = await submit();
  const t0 = Date.now();
  const res = await api(r.url, r.key, 'GET', `/v2/jobs/${id}?wait=1`);
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'QUEUED');
  assert.ok(Date.now() - t0 >= 900, 'waited');
  await setJob(id, `state = 'failed', error_code = 'upstream_error', error_message = 'x', completed_at = now()`);
  const fin = await api(r.url, r.key, 'GET', `/v2/jobs/${id}?wait=60`);
  assert.equal(fin.body.status, 'FAILED');
});

test('?wait must be 0..60 seconds; another account waits for nothing and gets 404', async () => {
  const id = await submit();
  for (const bad of ['61', 'abc', '-1']) {
    const res = await api(r.url, r.key, 'GET', `/v2/jobs/${id}?wait=${bad}`);
    assert.equal(res.status, 400, bad);
  }
  const t0 = Date.now();
  const other = await api(r.url, await otherAccountKey(), 'GET', `/v2/jobs/${id}?wait=30`);
  assert.equal(other.status, 404);
  assert.ok(Date.now() - t0 < 20_000);
});

test('SSE /v2/jobs/{id}/events: state, progress, then done with the final job; Last-Event-ID resumes; a seen final job is 204', async () => {
  const id = await submit();
  const s = await openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': r.key });
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type') ?? '', /text\/event-stream/);
  const first = await s.next();
  assert.equal(first?.event, 'state');
  assert.equal(JSON.parse(first!.data).status, 'QUEUED');
  await setJob(id, `state = 'running', started_at = now()`);
  const running = await s.next();
  assert.equal(running?.event, 'state');
  assert.equal(JSON.parse(running!.data).status, 'PROCESSING');
  await setJob(id, `progress = 50`);
  const progress = await s.next();
  assert.equal(progress?.event, 'progress');
  assert.equal(JSON.parse(progress!.data).progress, 50);
  assert.ok(Number(progress!.id) > Number(running!.id) && Number(running!.id) > Number(first!.id), 'ids are increasing versions');
  await setJob(id, `state = 'failed', error_code = 'render_failed', error_message = 'The render failed', completed_at = now()`);
  const done = await s.next();
  assert.equal(done?.event, 'done');
  assert.equal(JSON.parse(done!.data).status, 'FAILED');
  assert.equal(await s.next(), null, 'the stream ends after done');

  // Reconnect from the progress event: the missed final state is replayed at once.
  const again = await openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': r.key, 'last-event-id': progress!.id! });
  const replay = await again.next();
  assert.equal(replay?.event, 'done');
  assert.equal(replay?.id, done!.id);
  assert.equal(await again.next(), null);
  // Reconnect after done: nothing left, 204 stops EventSource from reconnecting.
  const seen = await fetch(`${r.url}/v2/jobs/${id}/events`, { headers: { 'x-api-key': r.key, 'last-event-id': done!.id! } });
  assert.equal(seen.status, 204);
});

test("SSE: another account's job and the other mode's job (live key, test job) are 404; no key is 401", async () => {
  const id = await submit();
  const other = await fetch(`${r.url}/v2/jobs/${id}/events`, { headers: { 'x-api-key': await otherAccountKey() } });
  assert.equal(other.status, 404);
  await other.body?.cancel();
  const live = await fetch(`${r.url}/v2/jobs/${id}/events`, { headers: { 'x-api-key': await liveKeyOfFirstAccount() } });
  assert.equal(live.status, 404);
  await live.body?.cancel();
  const none = await fetch(`${r.url}/v2/jobs/${id}/events`);
  assert.equal(none.status, 401);
  await none.body?.cancel();
  const bad = await fetch(`${r.url}/v2/jobs/not-a-uuid/events`, { headers: { 'x-api-key': r.key } });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});

test('200 waiters on one job cost no query while idle; one change reaches all of them with one read', async () => {
  const id = await submit();
  const streams = await Promise.all(Array.from({ length: 100 }, () => openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': r.key })));
  for (const s of streams) assert.equal((await s.next())?.event, 'state');
  const polls = Array.from({ length: 100 }, () => api(r.url, r.key, 'GET', `/v2/jobs/${id}?wait=30`));
  for (let i = 0; i < 100 && r.reelay.views.stats().watchers < 200; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(r.reelay.views.stats().watchers, 200);
  const idle = r.reelay.views.queries;
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(r.reelay.views.queries, idle, 'no query while 200 waiters wait');
  await setJob(id, `state = 'running', started_at = now()`);
  const got = await Promise.all(streams.map((s) => s.next()));
  assert.ok(got.every((e) => e?.event === 'state' && JSON.parse(e.data).status === 'PROCESSING'));
  const answered = await Promise.all(polls);
  assert.ok(answered.every((a) => a.status === 200 && a.body.status === 'PROCESSING'));
  assert.equal(r.reelay.views.queries - idle, 1, 'one read for all 200');
  for (const s of streams) s.close();
});

test('regression: a Last-Event-ID above the job\'s version no longer keeps the stream open after the job ends', async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'future id [[sandbox:delay=30]]' });
  const id = String(sub.body.jobId);
  const stream = await openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': r.key, 'last-event-id': '999999' });
  assert.equal(stream.status, 200);
  assert.equal((await api(r.url, r.key, 'POST', `/v2/jobs/${id}/cancel`)).status, 200);
  // Nothing newer than 999999 exists, so no event comes; but the stream ends once the job is final.
  assert.equal(await stream.next(10_000), null);
  stream.close();
});

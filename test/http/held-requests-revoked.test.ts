/**
 * A request held open is authenticated once, at its start. A disabled account's SSE stream once
 * stayed open (and kept sending the job) after every other request of its keys got a 401, and
 * its long-polls answered 200 with the job at the end of their wait; the signed links to its
 * videos kept working too. A revoked key's stream went on the same way.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import { openSse, type SseStream } from '../support/sse.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
let r: TestReelay;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
});
after(async () => r.stop());

async function account(name: string): Promise<{ id: string; key: string }> {
  const res = await api(r.url, null, 'POST', '/admin/accounts', { name, plan: 'enterprise', testCredits: 1000, withKey: 'test' }, admin);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: String((res.body.account as { id: string }).id), key: String(res.body.key) };
}

/** True when the stream ends within `ms` (events the job sent before that are skipped). */
async function ends(sse: SseStream, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  try {
    while ((await sse.next(Math.max(1, deadline - Date.now()))) !== null);
    return true;
  } catch {
    return false; // still open at the deadline
  }
}

async function slowJob(key: string): Promise<string> {
  const res = await api(r.url, key, 'POST', '/v2/videos/generate', { prompt: 'held [[sandbox:delay=30]]', model: 'hailuo-2.3' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return String(res.body.jobId);
}

test("a disabled account's open SSE stream ends, its long-poll answers 401, and its file links stop", async () => {
  const a = await account('to-disable');
  const bystander = await account('bystander');
  const done = await api(r.url, a.key, 'POST', '/v2/videos/generate', { prompt: 'finished', model: 'hailuo-2.3' }, { prefer: 'wait=60' });
  assert.equal(done.body.status, 'COMPLETED', JSON.stringify(done.body));
  const videoUrl = String((done.body.result as { videoUrl: string }).videoUrl);
  assert.equal((await fetch(videoUrl)).status, 200);
  const otherDone = await api(r.url, bystander.key, 'POST', '/v2/videos/generate', { prompt: 'finished too', model: 'hailuo-2.3' }, { prefer: 'wait=60' });
  const otherUrl = String((otherDone.body.result as { videoUrl: string }).videoUrl);

  const id = await slowJob(a.key);
  const otherId = await slowJob(bystander.key);
  const sse = await openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': a.key });
  const otherSse = await openSse(`${r.url}/v2/jobs/${otherId}/events`, { 'x-api-key': bystander.key });
  assert.equal(sse.status, 200);
  assert.equal((await sse.next(5000))?.event, 'state');
  assert.equal((await otherSse.next(5000))?.event, 'state');
  const poll = api(r.url, a.key, 'GET', `/v2/jobs/${id}?wait=20`);
  await new Promise((res) => setTimeout(res, 300)); // the long-poll is waiting

  const started = Date.now();
  assert.equal((await api(r.url, null, 'PATCH', `/admin/accounts/${a.id}`, { disabled: true }, admin)).status, 200);

  assert.ok(await ends(sse, 5000), 'the stream ends');
  const polled = await poll;
  assert.equal(polled.status, 401, JSON.stringify(polled.body));
  assert.equal(polled.body.code, 'unauthorized');
  assert.equal(polled.body.status, undefined, 'no job in the answer');
  assert.ok(Date.now() - started < 5000, 'within moments, not at the end of the wait');
  const file = await fetch(videoUrl);
  assert.equal(file.status, 404);
  assert.equal(((await file.json()) as { code: string }).code, 'not_found');

  // Everyone else is untouched: another account's stream and links go on.
  assert.equal((await fetch(otherUrl)).status, 200);
  const next = await Promise.race([otherSse.next(1500).then((e) => (e === null ? 'ended' : 'open'), () => 'open'), new Promise((res) => setTimeout(() => res('open'), 1500))]);
  assert.equal(next, 'open', "the bystander's stream is still open");
  otherSse.close();
  await api(r.url, bystander.key, 'POST', `/v2/jobs/${otherId}/cancel`);

  // Re-enabled: the links work again (they were withheld, not destroyed).
  assert.equal((await api(r.url, null, 'PATCH', `/admin/accounts/${a.id}`, { disabled: false }, admin)).status, 200);
  assert.equal((await fetch(videoUrl)).status, 200);
});

test("a revoked key's open SSE stream ends; the account's other key keeps its own stream", async () => {
  const a = await account('revoking');
  const second = await api(r.url, a.key, 'POST', '/v2/keys', { name: 'second' });
  assert.equal(second.status, 201);
  const id = await slowJob(a.key);
  const sse = await openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': a.key });
  const kept = await openSse(`${r.url}/v2/jobs/${id}/events`, { 'x-api-key': String(second.body.key) });
  assert.equal((await sse.next(5000))?.event, 'state');
  assert.equal((await kept.next(5000))?.event, 'state');
  const keyId = String(((await api(r.url, a.key, 'GET', '/v2/me')).body.apiKey as { id: string }).id);
  assert.equal((await api(r.url, String(second.body.key), 'DELETE', `/v2/keys/${keyId}`)).status, 200);
  assert.ok(await ends(sse, 5000), "the revoked key's stream ends");
  const again = await fetch(`${r.url}/v2/jobs/${id}/events`, { headers: { 'x-api-key': a.key } });
  assert.equal(again.status, 401, 'the reconnect is refused');
  await again.body?.cancel();
  const next = await Promise.race([kept.next(1500).then((e) => (e === null ? 'ended' : 'open'), () => 'open'), new Promise((res) => setTimeout(() => res('open'), 1500))]);
  assert.equal(next, 'open');
  kept.close();
  await api(r.url, String(second.body.key), 'POST', `/v2/jobs/${id}/cancel`);
});

test("a held submit (Prefer: wait, WaveSpeed sync mode) of an account disabled meanwhile answers at once with the job as submitted", async () => {
  const a = await account('held-submit');
  const held = api(r.url, a.key, 'POST', '/v2/videos/generate', { prompt: 'held submit [[sandbox:delay=20]]', model: 'hailuo-2.3' }, { prefer: 'wait=30' });
  const sync = api(r.url, a.key, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'sync [[sandbox:delay=20]]', enable_sync_mode: true }, { authorization: `Bearer ${a.key}` });
  await new Promise((res) => setTimeout(res, 500)); // both are held
  const started = Date.now();
  assert.equal((await api(r.url, null, 'PATCH', `/admin/accounts/${a.id}`, { disabled: true }, admin)).status, 200);
  const [h, s] = await Promise.all([held, sync]);
  assert.ok(Date.now() - started < 5000, `answered within moments (${Date.now() - started} ms)`);
  assert.equal(h.status, 202, JSON.stringify(h.body));
  assert.deepEqual(Object.keys(h.body).sort(), ['jobId', 'status']);
  assert.notEqual((s.body.data as { status: string }).status, 'completed', JSON.stringify(s.body));
});

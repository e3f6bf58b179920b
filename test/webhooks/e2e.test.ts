import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createApiKey } from '../../src/billing/index.js';
import { api, startReelay, waitForJob, type TestReelay } from '../support/reelay.js';
import { Receiver, verifyApiframe, verifyStandard, waitUntil, webhookId, type Received } from './support.js';

let r: TestReelay;
let rx: Receiver;
let other: string;

before(async () => {
  rx = await new Receiver().up();
  r = await startReelay({
    allowPrivateUrls: true,
    allowHttpUrls: true,
    webhookRetryScheduleMs: [0, 100, 200, 200],
    webhookTimeoutMs: 5000,
    webhookSecretRotationWindowSeconds: 120,
  });
  const accountId = await createAccount(r.reelay.db, { name: 'other', planId: 'free', testCredits: 100, liveCredits: 0, actor: 'test' });
  other = (await createApiKey(r.reelay.db, accountId, 'test', 'other')).key;
});
after(async () => {
  await r.stop();
  await rx.down();
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '768p' }, ...body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return String(res.body.jobId);
}

async function settled(id: string): Promise<Record<string, unknown>> {
  let job: Record<string, unknown> = {};
  await waitUntil(
    async () => {
      job = (await api(r.url, r.key, 'GET', `/v2/jobs/${id}`)).body;
      return job.webhookStatus === 'delivered' || job.webhookStatus === 'failed';
    },
    30_000,
    `webhooks of ${id} settled`,
  );
  return job;
}

async function secret(): Promise<string> {
  const res = await api(r.url, r.key, 'GET', '/v2/webhooks/secret');
  assert.equal(res.status, 200);
  return String(res.body.secret);
}

const payload = (x: Received) => JSON.parse(x.body) as Record<string, unknown>;

test('a completed job sends progress then completed, in order, signed both ways; the completed result matches GET /v2/jobs/:id', async () => {
  rx.reply = () => ({ status: 200, body: 'thanks' });
  const id = await submit({ prompt: 'a lighthouse at dusk', webhookUrl: rx.url('/done') });
  const job = await waitForJob(r.url, r.key, id, { timeoutMs: 90_000 });
  assert.equal(job.status, 'COMPLETED');
  const final = await settled(id);
  assert.equal(final.webhookStatus, 'delivered');

  const got = rx.forJob(id);
  const events = got.map(payload);
  assert.equal(events[0]?.event, 'progress');
  assert.equal(events[0]?.progress, 0);
  assert.equal(events.at(-1)?.event, 'completed');
  assert.ok(events.slice(0, -1).every((e) => e.event === 'progress' && e.status === 'PROCESSING'));
  const steps = events.slice(0, -1).map((e) => Number(e.progress));
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'progress events arrive in order');
  const s = await secret();
  for (const x of got) {
    verifyStandard(s, x);
    assert.ok(verifyApiframe(r.key, x));
    assert.equal(x.headers['x-webhook-event'], payload(x).event);
  }
  assert.equal(new Set(got.map(webhookId)).size, got.length, 'one webhook-id per event');

  const done = events.at(-1)!;
  assert.deepEqual(Object.keys(done), ['event', 'jobId', 'status', 'progress', 'result', 'model', 'creditCost', 'completedAt']);
  assert.equal(done.status, 'COMPLETED');
  assert.equal(done.creditCost, job.creditCost);
  assert.equal(done.completedAt, job.completedAt);
  const mine = done.result as Record<string, unknown>;
  const shown = job.result as Record<string, unknown>;
  assert.deepEqual(Object.keys(mine), Object.keys(shown));
  for (const k of ['width', 'height', 'fps', 'durationSeconds', 'bytes', 'sha256', 'contentType']) assert.deepEqual(mine[k], shown[k], k);
  const link = new URL(String(mine.videoUrl));
  assert.equal(link.pathname, new URL(String(shown.videoUrl)).pathname);
  const video = await fetch(r.url + link.pathname + link.search);
  assert.equal(video.status, 200, 'the signed link in the payload works');
  assert.equal(video.headers.get('content-type'), 'video/mp4');

  const log = await api(r.url, r.key, 'GET', `/v2/jobs/${id}/webhooks`);
  assert.equal(log.status, 200);
  const ds = log.body.deliveries as { webhookId: string; event: string; status: string; log: { statusCode: number; responseBody: string; latencyMs: number }[] }[];
  assert.deepEqual(ds.map((d) => d.webhookId), got.map(webhookId));
  assert.ok(ds.every((d) => d.status === 'delivered' && d.log.length === 1 && d.log[0]!.statusCode === 200 && d.log[0]!.responseBody === 'thanks'));
});

test('webhookEvents ["failed"]: a failing job sends exactly one failed event with its error; a canceled one is "failed" with status CANCELLED', async () => {
  rx.reply = () => ({ status: 200 });
  const failing = await submit({ prompt: 'x [[sandbox:fail=content_policy]]', webhookUrl: rx.url(), webhookEvents: ['failed'] });
  assert.equal((await waitForJob(r.url, r.key, failing)).status, 'FAILED');
  await settled(failing);
  assert.deepEqual(rx.forJob(failing).map(payload), [
    {
      event: 'failed',
      jobId: failing,
      status: 'FAILED',
      error: 'The prompt or image was flagged by the content policy (sandbox test trigger)',
      errorCode: 'content_policy',
      model: 'hailuo-2.3',
    },
  ]);

  const slow = await submit({ prompt: 'x [[sandbox:delay=30]]', webhook_url: rx.url(), webhookEvents: ['failed'] });
  assert.equal((await api(r.url, r.key, 'POST', `/v2/jobs/${slow}/cancel`)).status, 200);
  await settled(slow);
  const [canceled] = rx.forJob(slow).map(payload);
  assert.equal(rx.forJob(slow).length, 1);
  assert.equal(canceled?.event, 'failed');
  assert.equal(canceled?.status, 'CANCELLED');
  assert.equal(canceled?.errorCode, 'canceled');
});

test('a delivery that gives up leaves the job and its money alone: COMPLETED, charged once, webhookStatus failed', async () => {
  rx.reply = (x) => (x.path === '/broken' ? { status: 500, body: 'down for maintenance' } : { status: 200 });
  const id = await submit({ prompt: 'a quiet harbour', webhookUrl: rx.url('/broken'), webhookEvents: ['completed'] });
  assert.equal((await waitForJob(r.url, r.key, id, { timeoutMs: 90_000 })).status, 'COMPLETED');
  const job = await settled(id);
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.webhookStatus, 'failed');
  assert.equal(rx.forJob(id).length, 4, 'the whole (compressed) schedule was used');
  // Links in the payload outlive the retry schedule and the longest Retry-After we honour.
  const exp = Number(new URL(String((payload(rx.forJob(id)[0]!).result as { videoUrl: string }).videoUrl)).searchParams.get('exp'));
  assert.ok(exp * 1000 >= Date.now() + r.reelay.config.webhookRetryAfterMaxMs + 24 * 3600_000 - 600_000, `link expires at ${new Date(exp * 1000).toISOString()}`);
  const { rows } = await r.reelay.db.query<{ kind: string; amount: number }>('SELECT kind, amount FROM ledger WHERE job_id = $1 ORDER BY id', [id]);
  assert.deepEqual(rows, [{ kind: 'hold', amount: 48 }, { kind: 'capture', amount: 48 }]);
  const log = await api(r.url, r.key, 'GET', `/v2/jobs/${id}/webhooks`);
  const [d] = log.body.deliveries as { status: string; attempts: number; log: { outcome: string }[] }[];
  assert.equal(d?.status, 'failed');
  assert.deepEqual(d?.log.map((a) => a.outcome), ['retry', 'retry', 'retry', 'gave_up']);

  // Manual redelivery once the receiver is fixed: same webhook-id, fresh attempts, delivered.
  rx.reply = () => ({ status: 200 });
  const again = await api(r.url, r.key, 'POST', `/v2/jobs/${id}/webhooks/redeliver`);
  assert.equal(again.status, 202, JSON.stringify(again.body));
  assert.equal(again.body.requeued, 1);
  assert.equal(again.body.webhookStatus, 'pending');
  await rx.waitFor(() => rx.forJob(id).length === 5);
  assert.equal((await settled(id)).webhookStatus, 'delivered');
  assert.equal(webhookId(rx.forJob(id)[4]!), webhookId(rx.forJob(id)[0]!));
  // The same event, its file links signed afresh (a redelivery may come long after the first
  // links expired); the signature covers the bytes actually sent.
  const strip = (x: Received) => JSON.stringify({ ...payload(x), result: { ...(payload(x).result as object), videoUrl: null, posterUrl: null, urlExpiresAt: null } });
  assert.equal(strip(rx.forJob(id)[4]!), strip(rx.forJob(id)[0]!));
  assert.ok(verifyStandard(await secret(), rx.forJob(id)[4]!));
  const link = String((payload(rx.forJob(id)[4]!).result as { videoUrl: string }).videoUrl);
  assert.equal((await fetch(link)).status, 200, 'the redelivered link works');
  const after = await api(r.url, r.key, 'GET', `/v2/jobs/${id}/webhooks`);
  const [d2] = after.body.deliveries as { status: string; attempts: number; log: unknown[] }[];
  assert.deepEqual([d2?.status, d2?.attempts, d2?.log.length], ['delivered', 1, 5]);
});

test('webhook routes: auth, UUIDs, other tenants (404), jobs without a webhook (409), in Apiframe\'s envelope', async () => {
  const plain = await submit({ prompt: 'no hook [[sandbox:fail=upstream_error]]' });
  await waitForJob(r.url, r.key, plain);
  assert.equal((await api(r.url, r.key, 'GET', `/v2/jobs/${plain}`)).body.webhookStatus, null);
  const conflict = await api(r.url, r.key, 'POST', `/v2/jobs/${plain}/webhooks/redeliver`);
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.code, 'conflict');
  assert.equal(typeof conflict.body.error, 'string');
  const empty = await api(r.url, r.key, 'GET', `/v2/jobs/${plain}/webhooks`);
  assert.deepEqual([empty.status, empty.body.webhookUrl, empty.body.deliveries], [200, null, []]);

  const hooked = await submit({ prompt: 'x [[sandbox:fail=upstream_error]]', webhookUrl: rx.url(), webhookEvents: ['failed'] });
  await settled(hooked);
  for (const [method, path] of [['GET', `/v2/jobs/${hooked}/webhooks`], ['POST', `/v2/jobs/${hooked}/webhooks/redeliver`]] as const) {
    const theirs = await api(r.url, other, method, path);
    assert.equal(theirs.status, 404, `${method} ${path} by another account`);
    assert.equal(theirs.body.code, 'not_found');
    assert.equal((await api(r.url, null, method, path)).status, 401);
  }
  assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs/not-a-uuid/webhooks')).status, 400);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs/00000000-0000-4000-8000-000000000000/webhooks')).status, 404);
  assert.equal((await api(r.url, null, 'GET', '/v2/webhooks/secret')).status, 401);
  assert.notEqual((await api(r.url, other, 'GET', '/v2/webhooks/secret')).body.secret, await secret(), 'one secret per account');
});

test('secret: readable, stable until rotated; after a rotation deliveries carry two signatures that verify with the old and the new secret', async () => {
  rx.reply = () => ({ status: 200 });
  const first = await api(r.url, r.key, 'GET', '/v2/webhooks/secret');
  assert.match(String(first.body.secret), /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/webhooks/secret')).body.secret, first.body.secret);
  const rotated = await api(r.url, r.key, 'POST', '/v2/webhooks/secret/rotate');
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.secret, first.body.secret);
  const expires = Date.parse(String(rotated.body.previousSecretExpiresAt)) - Date.now();
  assert.ok(expires > 100_000 && expires <= 121_000, `rotation window from config (${expires} ms)`);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/webhooks/secret')).body.secret, rotated.body.secret);

  const id = await submit({ prompt: 'x [[sandbox:fail=timeout]]', webhookUrl: rx.url(), webhookEvents: ['failed'] });
  await settled(id);
  const [got] = rx.forJob(id);
  assert.equal(String(got!.headers['webhook-signature']).split(' ').length, 2);
  verifyStandard(String(rotated.body.secret), got!);
  verifyStandard(String(first.body.secret), got!);
});

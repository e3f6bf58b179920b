import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readWebhookSecret, rotateWebhookSecret, WEBHOOK_USER_AGENT } from '../../src/webhooks/index.js';
import { deliveryLog } from '../../src/webhooks/repo.js';
import type { JobRow } from '../../src/jobs/index.js';
import {
  deliveries,
  emit,
  insertJob,
  openTestDb,
  Receiver,
  testDispatcher,
  testOutbox,
  verifyApiframe,
  verifyStandard,
  waitUntil,
  webhookId,
  webhookStatusOf,
  type TestDb,
} from './support.js';

let t: TestDb;
let rx: Receiver;
const outbox = testOutbox();
before(async () => {
  t = await openTestDb();
  rx = await new Receiver().up();
});
after(async () => {
  await rx.down();
  await t.close();
});

async function attemptsOf(jobId: string) {
  return (await deliveryLog(t.db, jobId)).attempts;
}

test('every delivery carries both signatures, verified independently (standardwebhooks + Apiframe HMAC from the plaintext key)', async () => {
  rx.reply = () => ({ status: 204 });
  const job = await insertJob(t, { webhookUrl: rx.url('/signed') });
  await emit(t, outbox, job.id, 'progress', { progress: 0 });
  await testDispatcher(t.db).runOnce();
  const [got] = rx.forJob(job.id);
  assert.ok(got, 'delivered');
  const { secret } = await readWebhookSecret(t.db, t.accountId, 'test');
  assert.deepEqual(verifyStandard(secret, got), { event: 'progress', jobId: job.id, status: 'PROCESSING', progress: 0, model: 'hailuo-2.3' });
  assert.ok(verifyApiframe(t.key, got), 'X-Webhook-Signature verifies with SHA256(apiKey)');
  assert.equal(got.headers['x-webhook-event'], 'progress');
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(got.headers['user-agent'], WEBHOOK_USER_AGENT);
  assert.equal(got.path, '/signed');
  assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000) < 5);
  assert.equal(await webhookStatusOf(t.db, job.id), 'delivered');
});

test('receiver down (connection refused), then back: every event arrives once it is up, in order, with stable webhook-ids', async () => {
  const down = await new Receiver().up();
  await down.down();
  const job = await insertJob(t, { webhookUrl: down.url() });
  for (const p of [0, 25, 50]) await emit(t, outbox, job.id, 'progress', { progress: p });
  await emit(t, outbox, job.id, 'completed', { state: 'completed', progress: 100 });
  const d = testDispatcher(t.db, { retryScheduleMs: [0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100] });
  d.start();
  try {
    await waitUntil(async () => (await attemptsOf(job.id)).length >= 2, 10_000, 'failed attempts while down');
    const refused = await attemptsOf(job.id);
    assert.ok(refused.every((a) => a.error_kind === 'connect' && a.outcome === 'retry' && a.status_code === null));
    assert.ok(refused.every((a) => a.delivery_id === refused[0]!.delivery_id), 'nothing after event 1 is tried while event 1 fails');
    await down.up();
    await down.waitFor(() => down.forJob(job.id).length >= 4, 10_000, 'four deliveries');
  } finally {
    await d.stop();
    await down.down();
  }
  const got = down.forJob(job.id).map((r) => JSON.parse(r.body) as { event: string; progress: number });
  assert.deepEqual(got.map((p) => `${p.event}:${p.progress}`), ['progress:0', 'progress:25', 'progress:50', 'completed:100']);
  const rows = await deliveries(t.db, job.id);
  assert.deepEqual(down.forJob(job.id).map(webhookId), rows.map((r) => r.id));
  assert.equal(await webhookStatusOf(t.db, job.id), 'delivered');
});

test('a 500 is retried with the same webhook-id and body and a fresh signature; the log records both attempts', async () => {
  rx.reply = (r) => (rx.forJob(JSON.parse(r.body).jobId as string).length === 1 ? { status: 500, body: 'boom' } : { status: 200, body: 'fine' });
  const job = await insertJob(t, { webhookUrl: rx.url() });
  await emit(t, outbox, job.id, 'failed', { state: 'failed', error_code: 'content_policy', error_message: 'flagged' });
  const d = testDispatcher(t.db);
  d.start();
  try {
    await rx.waitFor(() => rx.forJob(job.id).length >= 2);
    await waitUntil(async () => (await webhookStatusOf(t.db, job.id)) === 'delivered');
  } finally {
    await d.stop();
  }
  const [a, b] = rx.forJob(job.id);
  assert.equal(webhookId(a!), webhookId(b!));
  assert.equal(a!.body, b!.body, 'byte-identical body across retries');
  const { secret } = await readWebhookSecret(t.db, t.accountId, 'test');
  verifyStandard(secret, a!);
  verifyStandard(secret, b!);
  const log = await attemptsOf(job.id);
  assert.deepEqual(log.map((x) => [x.attempt, x.status_code, x.outcome, x.response_body]), [[1, 500, 'retry', 'boom'], [2, 200, 'delivered', 'fine']]);
  assert.ok(log.every((x) => x.latency_ms >= 0 && x.latency_ms < 5000));
});

test('429 with Retry-After delays the next attempt at least that long; a huge Retry-After is capped', async () => {
  const seen = new Map<string, number>();
  rx.reply = (r) => {
    const id = JSON.parse(r.body).jobId as string;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n > 1) return { status: 200 };
    return { status: 429, headers: { 'retry-after': r.path === '/huge' ? '86400' : '1' } };
  };
  const polite = await insertJob(t, { webhookUrl: rx.url('/polite') });
  const huge = await insertJob(t, { webhookUrl: rx.url('/huge') });
  await emit(t, outbox, polite.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  await emit(t, outbox, huge.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  const d = testDispatcher(t.db, { retryAfterMaxMs: 1500 });
  d.start();
  try {
    await rx.waitFor(() => rx.forJob(polite.id).length >= 2 && rx.forJob(huge.id).length >= 2, 10_000, 'retries after 429');
  } finally {
    await d.stop();
  }
  const gap = (id: string) => rx.forJob(id)[1]!.at - rx.forJob(id)[0]!.at;
  assert.ok(gap(polite.id) >= 950, `Retry-After: 1 honoured (gap ${gap(polite.id)} ms; schedule alone says 50 ms)`);
  assert.ok(gap(huge.id) >= 1450 && gap(huge.id) < 3500, `Retry-After: 86400 capped at 1500 ms (gap ${gap(huge.id)} ms)`);
});

test('410 Gone disables the endpoint for that job: later events are skipped and not recorded, webhookStatus is failed', async () => {
  rx.reply = () => ({ status: 410, body: 'gone' });
  const job = await insertJob(t, { webhookUrl: rx.url() });
  await emit(t, outbox, job.id, 'progress', { progress: 0 });
  await emit(t, outbox, job.id, 'progress', { progress: 25 });
  await testDispatcher(t.db).runOnce();
  assert.equal(rx.forJob(job.id).length, 1);
  assert.deepEqual((await deliveries(t.db, job.id)).map((r) => r.state), ['failed', 'skipped']);
  assert.equal(await webhookStatusOf(t.db, job.id), 'failed');
  await emit(t, outbox, job.id, 'completed', { state: 'completed', progress: 100 });
  assert.equal((await deliveries(t.db, job.id)).length, 2, 'no new outbox rows after 410');
  await testDispatcher(t.db).runOnce();
  assert.equal(rx.forJob(job.id).length, 1, 'nothing more sent');
  assert.equal((await attemptsOf(job.id))[0]?.outcome, 'disabled');
});

test('a receiver that hangs past the timeout is cut off (logged as timeout) and the retry succeeds', async () => {
  rx.reply = (r) => (rx.forJob(JSON.parse(r.body).jobId as string).length === 1 ? 'hang' : { status: 200 });
  const job = await insertJob(t, { webhookUrl: rx.url() });
  await emit(t, outbox, job.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  const d = testDispatcher(t.db, { timeoutMs: 300 });
  d.start();
  try {
    await waitUntil(async () => (await webhookStatusOf(t.db, job.id)) === 'delivered', 10_000, 'delivered after a timeout');
  } finally {
    await d.stop();
  }
  const [first, second] = await attemptsOf(job.id);
  assert.equal(first?.error_kind, 'timeout');
  assert.ok(first!.latency_ms >= 280 && first!.latency_ms < 2000, `cut at the timeout (${first!.latency_ms} ms)`);
  assert.equal(second?.status_code, 200);
});

test('a 3xx is a failure and is never followed: the redirect target is not hit, and after the schedule it gives up without touching the job', async () => {
  rx.reply = (r) => (r.path === '/elsewhere' ? { status: 200 } : { status: 302, headers: { location: rx.url('/elsewhere') } });
  const job = await insertJob(t, { webhookUrl: rx.url('/moved') });
  await emit(t, outbox, job.id, 'completed', { state: 'completed', progress: 100 });
  const before = (await t.db.query<{ state: string; progress: number; updated_at: Date }>('SELECT state, progress, updated_at FROM jobs WHERE id = $1', [job.id])).rows[0];
  const d = testDispatcher(t.db, { retryScheduleMs: [0, 50, 50] });
  d.start();
  try {
    await waitUntil(async () => (await webhookStatusOf(t.db, job.id)) === 'failed', 10_000, 'gave up');
  } finally {
    await d.stop();
  }
  assert.equal(rx.requests.filter((r) => r.path === '/elsewhere').length, 0, 'redirect target never hit');
  const log = await attemptsOf(job.id);
  assert.deepEqual(log.map((a) => [a.status_code, a.error_kind, a.outcome]), [[302, 'redirect', 'retry'], [302, 'redirect', 'retry'], [302, 'redirect', 'gave_up']]);
  const after = (await t.db.query<{ state: string; progress: number; updated_at: Date }>('SELECT state, progress, updated_at FROM jobs WHERE id = $1', [job.id])).rows[0];
  assert.deepEqual(after, before, 'the job itself is untouched by a delivery that gives up');
});

test('response bodies: 1 KB kept, a huge answer is cut at 64 KB without waiting for it, NUL bytes dropped', async () => {
  rx.reply = (r) => (r.path === '/huge' ? { status: 200, body: 'x'.repeat(5 * 1024 * 1024) } : { status: 200, body: `a\u0000b${'y'.repeat(3000)}` });
  const small = await insertJob(t, { webhookUrl: rx.url('/chatty') });
  const big = await insertJob(t, { webhookUrl: rx.url('/huge') });
  await emit(t, outbox, small.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  await emit(t, outbox, big.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  await testDispatcher(t.db).runOnce();
  const [s] = await attemptsOf(small.id);
  assert.equal(s?.response_body?.startsWith('ab'), true);
  assert.equal(s?.response_body?.length, 1023, '1 KB kept, minus the NUL');
  const [b] = await attemptsOf(big.id);
  assert.equal(b?.outcome, 'delivered');
  assert.equal(b?.response_body?.length, 1024);
});

test('bounded concurrency: a host that hangs holds at most hostConcurrency slots, and another host is still served', async () => {
  rx.reply = (r) => (r.headers.host?.startsWith('slow.test') ? 'hang' : { status: 200 });
  const lookup = async () => [{ address: '127.0.0.1', family: 4 as const }];
  const slow: JobRow[] = [];
  for (let i = 0; i < 6; i++) slow.push(await insertJob(t, { webhookUrl: `http://slow.test:${rx.port}/h` }));
  const fast = await insertJob(t, { webhookUrl: `http://fast.test:${rx.port}/h` });
  for (const j of slow) await emit(t, outbox, j.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  await emit(t, outbox, fast.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  const d = testDispatcher(t.db, { lookup, hostConcurrency: 2, concurrency: 8, timeoutMs: 1500 });
  d.start();
  try {
    await rx.waitFor(() => rx.forJob(fast.id).length === 1, 5000, 'the other host served');
    await new Promise((r) => setTimeout(r, 300));
    const slowSeen = rx.requests.filter((r) => r.headers.host?.startsWith('slow.test')).length;
    assert.equal(slowSeen, 2, 'only two hung requests to the slow host at once');
  } finally {
    await d.stop(0);
  }
  // Stopping aborted the hung attempts: logged as interrupted and handed back, uncounted.
  const interrupted = (await Promise.all(slow.map((j) => attemptsOf(j.id)))).flat().filter((a) => a.outcome === 'interrupted');
  assert.equal(interrupted.length, 2);
  const rows = (await Promise.all(slow.map((j) => deliveries(t.db, j.id)))).flat();
  assert.ok(rows.every((r) => r.state === 'pending' && r.attempts === 0));
  // Do not leave them for later tests' dispatchers.
  await t.db.query(`UPDATE webhook_deliveries SET state = 'failed' WHERE job_id = ANY($1::uuid[])`, [slow.map((j) => j.id)]);
});

test('secret rotation: during the window both the old and the new secret verify; with a zero window only the new one', async () => {
  rx.reply = () => ({ status: 200 });
  const { secret: oldSecret } = await readWebhookSecret(t.db, t.accountId, 'test');
  const rotated = await rotateWebhookSecret(t.db, t.accountId, 'test', 60);
  assert.notEqual(rotated.secret, oldSecret);
  assert.ok(rotated.previousExpiresAt && rotated.previousExpiresAt.getTime() > Date.now() + 50_000);
  const job = await insertJob(t, { webhookUrl: rx.url() });
  await emit(t, outbox, job.id, 'progress', { progress: 0 });
  await testDispatcher(t.db).runOnce();
  const [got] = rx.forJob(job.id);
  assert.equal(String(got!.headers['webhook-signature']).split(' ').length, 2);
  verifyStandard(rotated.secret, got!);
  verifyStandard(oldSecret, got!);

  const again = await rotateWebhookSecret(t.db, t.accountId, 'test', 0);
  assert.equal(again.previousExpiresAt, null);
  await emit(t, outbox, job.id, 'progress', { progress: 25 });
  await testDispatcher(t.db).runOnce();
  const second = rx.forJob(job.id)[1]!;
  assert.equal(String(second.headers['webhook-signature']).split(' ').length, 1);
  verifyStandard(again.secret, second);
  assert.throws(() => verifyStandard(rotated.secret, second));
});

test('two dispatchers sharing the database deliver every event exactly once, in order per job', async () => {
  rx.reply = () => ({ status: 200 });
  const jobs: JobRow[] = [];
  for (let i = 0; i < 4; i++) jobs.push(await insertJob(t, { webhookUrl: rx.url('/pair') }));
  for (const p of [0, 25, 50, 75]) for (const j of jobs) await emit(t, outbox, j.id, 'progress', { progress: p });
  const a = testDispatcher(t.db, { retryScheduleMs: [0, 50, 50, 50, 50, 50] });
  const b = testDispatcher(t.db, { retryScheduleMs: [0, 50, 50, 50, 50, 50] });
  a.start();
  b.start();
  try {
    await rx.waitFor(() => jobs.every((j) => rx.forJob(j.id).length >= 4), 30_000, 'all events');
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  for (const j of jobs) {
    assert.deepEqual(rx.forJob(j.id).map((r) => (JSON.parse(r.body) as { progress: number }).progress), [0, 25, 50, 75]);
  }
});

test('regression: our database failing while a delivery is signed is not counted against the receiver (it once used up the schedule and gave up unsent)', async () => {
  rx.reply = () => ({ status: 204 });
  const job = await insertJob(t, { webhookUrl: rx.url('/outage') });
  await emit(t, outbox, job.id, 'progress', { progress: 0 });
  // The signing-secret read fails as a killed connection does, three times: more than the
  // two-step retry schedule would allow if these counted.
  let failures = 3;
  const flaky = new Proxy(t.db, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return async (sql: string, params?: readonly unknown[]) => {
        if (failures > 0 && sql.includes('FROM webhook_secrets')) {
          failures--;
          throw Object.assign(new Error('Connection terminated unexpectedly'), {});
        }
        return target.query(sql, params);
      };
    },
  });
  const d = testDispatcher(flaky, { retryScheduleMs: [0, 50] });
  for (let i = 0; i < 3; i++) {
    await d.runOnce();
    await t.db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE job_id = $1 AND state = 'pending'`, [job.id]);
  }
  const [row] = await deliveries(t.db, job.id);
  assert.equal(row?.state, 'pending', 'still to be sent, not given up');
  assert.equal(Number(row?.attempts), 0, 'none of our failures counted');
  assert.deepEqual((await attemptsOf(job.id)).map((a) => a.outcome), ['interrupted', 'interrupted', 'interrupted']);
  await d.runOnce();
  assert.equal(rx.forJob(job.id).length, 1, 'delivered once the database answers');
  assert.equal(await webhookStatusOf(t.db, job.id), 'delivered');
});

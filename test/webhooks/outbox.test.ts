import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/db/index.js';
import { claimDeliveries, requeueJob, type DeliveryRow } from '../../src/webhooks/repo.js';
import { deliveries, emit, insertJob, openTestDb, Receiver, testDispatcher, testOutbox, webhookId, webhookStatusOf, type TestDb } from './support.js';

let t: TestDb;
const claim = (db: Db, owner: string): Promise<DeliveryRow[]> => claimDeliveries(db, { owner, leaseMs: 60_000, limit: 100, excludeHosts: [] });
const requeue = (db: Db, jobId: string) => db.tx((q) => requeueJob(q, jobId));
const outbox = testOutbox();
before(async () => {
  t = await openTestDb();
});
after(async () => t.close());

test('record writes nothing for a job without a webhook URL, and only the subscribed events otherwise', async () => {
  const none = await insertJob(t, { webhookUrl: null });
  await emit(t, outbox, none.id, 'progress', { progress: 0 });
  assert.equal((await deliveries(t.db, none.id)).length, 0);
  assert.equal(await webhookStatusOf(t.db, none.id), null);

  const onlyDone = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h', webhookEvents: ['completed'] });
  await emit(t, outbox, onlyDone.id, 'progress', { progress: 25 });
  assert.equal(await webhookStatusOf(t.db, onlyDone.id), null, 'nothing due yet');
  await emit(t, outbox, onlyDone.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  assert.equal((await deliveries(t.db, onlyDone.id)).length, 0);

  const all = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h' });
  await emit(t, outbox, all.id, 'progress', { progress: 0 });
  await emit(t, outbox, all.id, 'progress', { progress: 50 });
  await emit(t, outbox, all.id, 'completed', { state: 'completed', progress: 100 });
  const rows = await deliveries(t.db, all.id);
  assert.deepEqual(rows.map((r) => [r.seq, r.event]), [[1, 'progress'], [2, 'progress'], [3, 'completed']]);
  assert.deepEqual(JSON.parse(rows[1]!.body), { event: 'progress', jobId: all.id, status: 'PROCESSING', progress: 50, model: 'hailuo-2.3' });
  assert.ok(rows.every((r) => /^whd_[1-9A-HJ-NP-Za-km-z]{16}$/.test(r.id)));
  assert.equal(await webhookStatusOf(t.db, all.id), 'pending');
});

test('a cancellation is recorded under the "failed" subscription, with status CANCELLED', async () => {
  const job = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h', webhookEvents: ['failed'] });
  await emit(t, outbox, job.id, 'canceled', { state: 'canceled', error_code: 'canceled', error_message: 'Canceled by the caller' });
  const [row] = await deliveries(t.db, job.id);
  assert.equal(row?.kind, 'canceled');
  assert.equal(row?.event, 'failed');
  assert.equal(JSON.parse(row!.body).status, 'CANCELLED');
});

test('the outbox row rolls back with the state change that failed to commit', async () => {
  const job = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h' });
  await assert.rejects(
    t.db.tx(async (q) => {
      const { rows } = await q.query<typeof job>(`UPDATE jobs SET state = 'failed' WHERE id = $1 RETURNING *`, [job.id]);
      await outbox.record(q, rows[0]!, 'failed');
      throw new Error('the job transaction broke after recording');
    }),
    /broke/,
  );
  assert.equal((await deliveries(t.db, job.id)).length, 0);
  assert.equal(await webhookStatusOf(t.db, job.id), null);
});

test('per job, event N+1 is not claimable while event N is pending, whoever claims; other jobs are not held back', async () => {
  const a = await insertJob(t, { webhookUrl: 'https://a.hooks.invalid/h' });
  const b = await insertJob(t, { webhookUrl: 'https://b.hooks.invalid/h' });
  await emit(t, outbox, a.id, 'progress', { progress: 0 });
  await emit(t, outbox, a.id, 'progress', { progress: 25 });
  await emit(t, outbox, b.id, 'progress', { progress: 0 });
  const first = await claim(t.db, 'wrk_one');
  const mine = first.filter((r) => r.job_id === a.id || r.job_id === b.id);
  assert.deepEqual(mine.map((r) => `${r.job_id === a.id ? 'a' : 'b'}${r.seq}`).sort(), ['a1', 'b1']);
  // A second worker gets nothing of these two jobs: a1 is leased, a2 waits behind it.
  const second = await claim(t.db, 'wrk_two');
  assert.equal(second.filter((r) => r.job_id === a.id || r.job_id === b.id).length, 0);
  // Once a1 has given up, a2 becomes claimable (order is kept, a dead event does not block forever).
  await t.db.query(`UPDATE webhook_deliveries SET state = 'failed', lease_owner = NULL, lease_until = NULL WHERE job_id = $1 AND seq = 1`, [a.id]);
  const third = await claim(t.db, 'wrk_two');
  assert.deepEqual(third.filter((r) => r.job_id === a.id).map((r) => r.seq), [2]);
});

test('a delivery whose worker died (lease expired) is claimed and sent by another worker with the same webhook-id', async () => {
  const receiver = await new Receiver().up();
  try {
    const job = await insertJob(t, { webhookUrl: receiver.url() });
    await emit(t, outbox, job.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
    const [row] = await deliveries(t.db, job.id);
    // As if a worker claimed it, started sending and was killed: attempt counted, lease lapsed.
    await t.db.query(`UPDATE webhook_deliveries SET lease_owner = 'wrk_dead', lease_until = now() - interval '1 second', attempts = 1 WHERE id = $1`, [row!.id]);
    const d = testDispatcher(t.db);
    assert.ok((await d.runOnce()) >= 1);
    const got = receiver.forJob(job.id);
    assert.equal(got.length, 1);
    assert.equal(webhookId(got[0]!), row!.id);
    const [after] = await deliveries(t.db, job.id);
    assert.equal(after?.state, 'delivered');
    assert.equal(after?.attempts, 2, 'the dead worker\'s attempt counts');
    assert.equal(await webhookStatusOf(t.db, job.id), 'delivered');
  } finally {
    await receiver.down();
  }
});

test('a live lease is respected: nobody else sends a delivery that is in flight', async () => {
  const job = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h' });
  await emit(t, outbox, job.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  await t.db.query(`UPDATE webhook_deliveries SET lease_owner = 'wrk_busy', lease_until = now() + interval '1 minute', attempts = 1 WHERE job_id = $1`, [job.id]);
  const claimed = await claim(t.db, 'wrk_other');
  assert.equal(claimed.filter((r) => r.job_id === job.id).length, 0);
  // Redelivery is refused while it is in flight, then allowed.
  assert.equal(await requeue(t.db, job.id), 'in_flight');
  await t.db.query(`UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, state = 'failed' WHERE job_id = $1`, [job.id]);
  assert.deepEqual(await requeue(t.db, job.id), { requeued: 1 });
  const [row] = await deliveries(t.db, job.id);
  assert.equal(row?.state, 'pending');
  assert.equal(row?.attempts, 0);
  assert.equal(await webhookStatusOf(t.db, job.id), 'pending');
});

test('a job whose endpoint answered 410 records no further events', async () => {
  const job = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h' });
  await t.db.query('UPDATE jobs SET webhook_disabled_at = now() WHERE id = $1', [job.id]);
  await emit(t, outbox, job.id, 'completed', { state: 'completed', progress: 100 });
  assert.equal((await deliveries(t.db, job.id)).length, 0);
});

test('a dialect without a registered format records nothing and does not break the job transaction', async () => {
  const job = await insertJob(t, { webhookUrl: 'https://hooks.invalid/h', dialect: 'nobody' });
  await emit(t, outbox, job.id, 'completed', { state: 'completed', progress: 100 });
  assert.equal((await deliveries(t.db, job.id)).length, 0);
  const { rows } = await t.db.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [job.id]);
  assert.equal(rows[0]?.state, 'completed');
});

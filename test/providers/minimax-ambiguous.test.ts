/**
 * Issue 11 §3, ambiguous creates: a create whose outcome we cannot know (timeout after the body
 * was sent, 5xx, a 200 without task id, a worker stopped mid-call) may have made a task MiniMax
 * bills. The job is sent again at most once; every create is kept on the job; each possible
 * duplicate is counted in /metrics and listed for the operator.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { join } from 'node:path';
import { loadConfig, workerStopGraceMs } from '../../src/config.js';
import { Wakeup, Worker } from '../../src/jobs/index.js';
import { createMinimax, ProviderRegistry } from '../../src/providers/index.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { silentLogger } from '../../src/log.js';
import { ADMIN, jobRow, ledgerOf, liveAccount, startLive, submit, waitRow, MM_KEY } from './minimax-helpers.js';

let fake: FakeMinimax;
let r: TestReelay;
const auth = { authorization: `Bearer ${ADMIN}` };

before(async () => {
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 600 });
  r = await startLive(fake);
});
after(async () => {
  await r.stop();
  await fake.stop();
});

interface SubmitRecord {
  id: string;
  outcome: string;
  task_id: string | null;
  detail: string | null;
  possible_duplicate_of: string | null;
}

async function creates(jobId: string): Promise<SubmitRecord[]> {
  const { rows } = await r.reelay.db.query<SubmitRecord>('SELECT id::text, outcome, task_id, detail, possible_duplicate_of::text FROM upstream_submits WHERE job_id = $1 ORDER BY id', [jobId]);
  return rows;
}

async function duplicatesMetric(): Promise<number> {
  const res = await fetch(`${r.url}/metrics`, { headers: auth });
  const line = (await res.text()).split('\n').find((l) => l.startsWith('reelay_upstream_possible_duplicates_total{provider="minimax"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('a create timing out after its body was sent is resubmitted once; both creates are kept on the job, the possible duplicate is counted in /metrics and shown to the operator; charged once', async () => {
  const a = await liveAccount(r);
  const before = await duplicatesMetric();
  // Answered after our 2 s timeout: MiniMax made the task, we never learn its id.
  fake.inject('create', { kind: 'slow', delayMs: 2600 });
  const id = await submit(r, a.key, { prompt: 'slow create #amb1' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const { price, upstream_task_id } = await jobRow(r, id);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `capture:${price}`]);

  const kept = await creates(id);
  assert.equal(kept.length, 2, JSON.stringify(kept));
  assert.equal(kept[0]!.outcome, 'ambiguous');
  assert.match(String(kept[0]!.detail), /no answer within 2000 ms/);
  assert.equal(kept[1]!.outcome, 'accepted');
  assert.equal(kept[1]!.task_id, upstream_task_id);
  assert.equal(kept[1]!.possible_duplicate_of, kept[0]!.id);
  await waitRow(r, id, () => fake.createsFor('#amb1') === 2, 10_000); // the slow create did make a task upstream

  assert.equal(await duplicatesMetric(), before + 1);
  const view = await api(r.url, null, 'GET', `/admin/jobs/${id}`, undefined, auth);
  assert.equal(view.status, 200, JSON.stringify(view.body));
  assert.equal(view.body.possibleDuplicate, true);
  assert.equal((view.body.upstreamSubmits as unknown[]).length, 2);
  const list = await api(r.url, null, 'GET', '/admin/upstream/possible-duplicates', undefined, auth);
  const mine = (list.body.duplicates as Array<{ jobId: string; first: { outcome: string }; second: { taskId: string } }>).find((d) => d.jobId === id);
  assert.ok(mine, JSON.stringify(list.body));
  assert.equal(mine.first.outcome, 'ambiguous');
  assert.equal(mine.second.taskId, upstream_task_id);
  assert.equal((await api(r.url, null, 'GET', '/admin/upstream/possible-duplicates')).status, 401, 'operator only');
});

test('two creates with unknown outcome in a row (HTTP 502, then a 200 without task_id): the job is not sent a third time, fails upstream_error and is refunded', async () => {
  const a = await liveAccount(r);
  const sentBefore = fake.count('create');
  fake.inject('create', { kind: 'http', status: 502 });
  fake.inject('create', { kind: 'code', code: 0, msg: 'success' });
  const id = await submit(r, a.key, { prompt: 'never confirmed #amb2' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'FAILED', JSON.stringify(job));
  assert.equal(job.errorCode, 'upstream_error');
  assert.match(String(job.error), /did not confirm the task after two attempts \(127\.0\.0\.1:\d+\)/);
  assert.equal(fake.count('create') - sentBefore, 2, 'exactly one automatic resubmit');
  const { price } = await jobRow(r, id);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `release:${price}`]);
  const kept = await creates(id);
  assert.deepEqual(kept.map((k) => k.outcome), ['ambiguous', 'ambiguous']);
  assert.equal(kept[1]!.possible_duplicate_of, kept[0]!.id);
});

test('a create refused outright (HTTP 429) made nothing upstream: retried without being recorded as a possible duplicate', async () => {
  const a = await liveAccount(r);
  fake.inject('create', { kind: 'http', status: 429, retryAfterSeconds: 1 });
  const id = await submit(r, a.key, { prompt: 'rate limited #rl429' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.deepEqual((await creates(id)).map((k) => [k.outcome, k.possible_duplicate_of]), [['accepted', null]]);
});

test('the worker\'s stop grace covers the create timeout: a create in flight when the worker stops is answered and its task id recorded, not cut off into a duplicate', async () => {
  assert.equal(workerStopGraceMs(loadConfig({}, {})), 35_000, 'default: the 30 s MiniMax timeout + 5 s');
  // A create answered after 11 s, within a 13 s call timeout: past the old fixed 10 s grace.
  const slow = await startLive(fake, { minimaxTimeoutMs: 13_000 });
  try {
    assert.ok(workerStopGraceMs(slow.reelay.config) > 13_000);
    const a = await liveAccount(slow);
    const sent = fake.count('create');
    fake.inject('create', { kind: 'slow', delayMs: 11_000 });
    const id = await submit(slow, a.key, { prompt: 'stopping mid-create #stop' });
    await waitRow(slow, id, () => fake.count('create') > sent, 10_000);
    await slow.reelay.worker!.stop(workerStopGraceMs(slow.reelay.config));
    const row = await jobRow(slow, id);
    assert.equal(row.state, 'running', JSON.stringify(row));
    assert.ok(row.upstream_task_id);
    const { rows } = await slow.reelay.db.query<{ outcome: string }>('SELECT outcome FROM upstream_submits WHERE job_id = $1', [id]);
    assert.deepEqual(rows.map((k) => k.outcome), ['accepted']);
  } finally {
    await slow.stop();
  }
});

test('a worker stopped mid-create (grace too short) leaves the create ambiguous; the next worker resubmits once and records the possible duplicate; charged once', async () => {
  const cut = await startLive(fake, { minimaxTimeoutMs: 8000 });
  const db = cut.reelay.db;
  const wakeup = new Wakeup(db);
  let next: Worker | undefined;
  try {
    const a = await liveAccount(cut);
    const sent = fake.count('create');
    fake.inject('create', { kind: 'slow', delayMs: 2500 });
    const id = await submit(cut, a.key, { prompt: 'cut off mid-create #cut' });
    await waitRow(cut, id, () => fake.count('create') > sent, 10_000);
    await cut.reelay.worker!.stop(100); // an impatient process manager
    const parked = await jobRow(cut, id);
    assert.equal(parked.state, 'submitting');
    assert.equal(parked.upstream_task_id, null);
    const { rows: first } = await db.query<{ outcome: string; detail: string }>('SELECT outcome, detail FROM upstream_submits WHERE job_id = $1', [id]);
    assert.deepEqual(first.map((k) => k.outcome), ['ambiguous']);
    assert.match(first[0]!.detail, /cut off/);

    // The next worker process (same database) picks the job up.
    const blobs = new LocalBlobStore(join(cut.dataDir, 'files'));
    const providers = new ProviderRegistry().register(createMinimax(cut.reelay.config, { db, blobs, log: silentLogger, callbackUrl: null })!);
    await wakeup.start();
    next = new Worker({ db, blobs, providers, wakeup, log: silentLogger, dataDir: cut.dataDir, leaseSeconds: 30, concurrency: 4, inlineConcurrency: 1, idlePollMs: 100, retentionHours: 0 });
    next.start();
    const job = await waitForJob(cut.url, a.key, id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    const { price } = await jobRow(cut, id);
    assert.deepEqual(await ledgerOf(cut, id), [`hold:${price}`, `capture:${price}`]);
    const { rows } = await db.query<{ id: string; outcome: string; possible_duplicate_of: string | null }>(
      'SELECT id::text, outcome, possible_duplicate_of::text FROM upstream_submits WHERE job_id = $1 ORDER BY id',
      [id],
    );
    assert.deepEqual(rows.map((k) => k.outcome), ['ambiguous', 'accepted']);
    assert.equal(rows[1]!.possible_duplicate_of, rows[0]!.id);
    await waitRow(cut, id, () => fake.createsFor('#cut') === 2, 10_000); // the cut-off create did make a task upstream
  } finally {
    await next?.stop(1000);
    await wakeup.stop();
    await cut.stop();
  }
});

test('a task created by an attempt that lost the job before recording it is adopted by the next attempt, not created twice; charged once', async () => {
  const a = await liveAccount(r);
  const sent = fake.count('create');
  fake.inject('create', { kind: 'slow', delayMs: 1500 });
  const id = await submit(r, a.key, { prompt: 'lost before recorded #adopt' });
  await waitRow(r, id, () => fake.count('create') > sent, 10_000);
  // While MiniMax answers, the lease passes to another worker, which dies: the answer arrives, the
  // create is recorded as accepted, but the job is not ours to move. Its lease runs out 3 s later.
  await r.reelay.db.query(`UPDATE jobs SET lease_owner = 'a-dying-worker', lease_until = now() + interval '3 seconds' WHERE id = $1`, [id]);
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.equal(fake.createsFor('#adopt'), 1, 'the task was adopted, not created again');
  const kept = await creates(id);
  assert.deepEqual(kept.map((k) => [k.outcome, k.possible_duplicate_of]), [['accepted', null]]);
  const { price, upstream_task_id } = await jobRow(r, id);
  assert.equal(upstream_task_id, kept[0]!.task_id);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `capture:${price}`]);
});

test('a create outlasting the lease while our database refuses every renewal is cut off before the lease runs out: recorded ambiguous, sent again once as a possible duplicate; charged once', async () => {
  const short = await startLive(fake, { minimaxTimeoutMs: 12_000, leaseSeconds: 5 });
  const db = short.reelay.db;
  const original = db.query.bind(db);
  let failing = false;
  (db as { query: typeof db.query }).query = (sql, params) => {
    if (failing && /lease_until = now\(\) \+ make_interval/.test(sql)) return Promise.reject(new Error('connection terminated (injected)'));
    return original(sql, params);
  };
  try {
    const a = await liveAccount(short);
    const sent = fake.count('create');
    fake.inject('create', { kind: 'slow', delayMs: 8000 });
    const id = await submit(short, a.key, { prompt: 'renewals refused #nolease' });
    await waitRow(short, id, () => fake.count('create') > sent, 10_000);
    const t0 = Date.now();
    failing = true;
    // Renewals (every 1.7 s) fail; the lease (5 s) must not run out with the create still in flight.
    const { rows: cut } = await (async () => {
      for (;;) {
        const res = await original<{ outcome: string; detail: string | null }>('SELECT outcome, detail FROM upstream_submits WHERE job_id = $1 ORDER BY id', [id]);
        if (res.rows[0]?.outcome !== 'pending' || Date.now() - t0 > 10_000) return res;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const cutAfterMs = Date.now() - t0;
    assert.equal(cut[0]?.outcome, 'ambiguous', JSON.stringify(cut));
    assert.match(cut[0]!.detail ?? '', /cut off/);
    assert.ok(cutAfterMs < 5000, `cut off ${cutAfterMs} ms after renewals began to fail (lease: 5 s)`);
    failing = false;
    const job = await waitForJob(short.url, a.key, id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    const { rows } = await original<{ id: string; outcome: string; possible_duplicate_of: string | null }>(
      'SELECT id::text, outcome, possible_duplicate_of::text FROM upstream_submits WHERE job_id = $1 ORDER BY id',
      [id],
    );
    assert.deepEqual(rows.map((k) => k.outcome), ['ambiguous', 'accepted']);
    assert.equal(rows[1]!.possible_duplicate_of, rows[0]!.id);
    const { price } = await jobRow(short, id);
    assert.deepEqual(await ledgerOf(short, id), [`hold:${price}`, `capture:${price}`]);
  } finally {
    failing = false;
    await short.stop();
  }
});

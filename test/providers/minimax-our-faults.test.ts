/**
 * Issue 11 §3: once MiniMax has accepted a task (the operator pays for it), only MiniMax's own
 * verdict or the deadline ends the job. Faults on OUR side — storage, the database, a sweeper that
 * fails a finished task — must never turn into an `upstream_error` and a refund.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { sweep } from '../../src/jobs/index.js';
import { createMinimax, ProviderRegistry } from '../../src/providers/index.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { silentLogger } from '../../src/log.js';
import { customerMessage } from '../../src/jobs/steps.js';
import { apiJobWhen, jobRow, ledgerOf, liveAccount, startLive, submit, waitRow } from './minimax-helpers.js';

let fake: FakeMinimax;
let r: TestReelay;

before(async () => {
  fake = await startFakeMinimax({ apiKey: 'mm-test-key-0123456789', taskMs: 600 });
  r = await startLive(fake);
});
after(async () => {
  await r.stop();
  await fake.stop();
});

async function completedOnce(key: string, id: string): Promise<void> {
  const job = await waitForJob(r.url, key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const { price } = await jobRow(r, id);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `capture:${price}`], 'held once, captured once, never released');
}

test('storage write failing while delivering (disk full, S3 5xx) is retried with a reason shown, not failed as upstream_error: completes, charged once', async () => {
  const a = await liveAccount(r);
  // Make `files/jobs` a plain file: every store under it fails (ENOTDIR), even for root.
  const jobsDir = join(r.dataDir, 'files', 'jobs');
  await mkdir(join(r.dataDir, 'files'), { recursive: true });
  await rename(jobsDir, `${jobsDir}.aside`).catch(() => {});
  await writeFile(jobsDir, 'not a directory');
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await rm(jobsDir, { force: true });
    await rename(`${jobsDir}.aside`, jobsDir).catch(() => {});
  };
  try {
    const id = await submit(r, a.key, { prompt: 'storage fault #store' });
    const waiting = await waitRow(r, id, (row) => row.attempts >= 2 && (row as { status_reason?: string | null }).status_reason != null, 40_000);
    assert.equal(waiting.state, 'finalizing', 'the task is done upstream; the job waits on our storage');
    const shown = await apiJobWhen(r, a.key, id, (job) => job.statusReason != null);
    assert.equal(shown.status, 'PROCESSING');
    assert.match(String(shown.statusReason), /^Storing the finished video failed on our side, retrying, attempt \d+$/);
    assert.doesNotMatch(String(shown.statusReason), /\/|ENOTDIR/, 'no server path or errno in what the customer sees');
    await restore();
    await completedOnce(a.key, id);
    const after = await api(r.url, a.key, 'GET', `/v2/jobs/${id}`);
    assert.equal(after.body.statusReason, null, 'the reason is cleared once the job moves on');
    assert.equal(fake.createsFor('#store'), 1);
  } finally {
    await restore();
  }
});

test('database errors in the poll transaction and in the capture transaction are retried: completes, charged once', async () => {
  const a = await liveAccount(r);
  // A real database fault: a trigger refuses the job's first two running→finalizing swaps and its
  // first two captures. Sequences are not rolled back with the failed transaction.
  const db = r.reelay.db;
  await db.query('CREATE SEQUENCE fault_poll');
  await db.query('CREATE SEQUENCE fault_capture');
  await db.query(`CREATE FUNCTION inject_db_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.input->>'prompt' LIKE '%#dbfault%' THEN
        IF OLD.state = 'running' AND NEW.state = 'finalizing' AND nextval('fault_poll') <= 2 THEN
          RAISE EXCEPTION 'injected: could not write to the WAL';
        END IF;
        IF NEW.state = 'completed' AND nextval('fault_capture') <= 2 THEN
          RAISE EXCEPTION 'injected: connection to the server was lost';
        END IF;
      END IF;
      RETURN NEW;
    END $$`);
  await db.query('CREATE TRIGGER inject_db_fault BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION inject_db_fault()');
  try {
    const id = await submit(r, a.key, { prompt: 'database fault #dbfault' });
    await completedOnce(a.key, id);
    const { rows } = await db.query<{ p: string; c: string }>(`SELECT (SELECT last_value FROM fault_poll)::text AS p, (SELECT last_value FROM fault_capture)::text AS c`);
    assert.ok(Number(rows[0]!.p) >= 3 && Number(rows[0]!.c) >= 3, `both faults were hit and passed (${JSON.stringify(rows[0])})`);
    assert.equal(fake.createsFor('#dbfault'), 1);
  } finally {
    await db.query('DROP TRIGGER IF EXISTS inject_db_fault ON jobs');
  }
});

test('a downloaded file that is not a video is fetched afresh: two bad downloads then a good one complete; three bad ones fail upstream_error, refunded, with no path or ffprobe output in the message', async () => {
  const a = await liveAccount(r);
  fake.inject('download', { kind: 'garbage' }, 2);
  const ok = await submit(r, a.key, { prompt: 'corrupt twice #bad2' });
  await completedOnce(a.key, ok);

  fake.inject('download', { kind: 'garbage' }, 3);
  const bad = await submit(r, a.key, { prompt: 'corrupt for good #bad3' });
  const job = await waitForJob(r.url, a.key, bad, { timeoutMs: 60_000 });
  assert.equal(job.status, 'FAILED', JSON.stringify(job));
  assert.equal(job.errorCode, 'upstream_error');
  assert.match(String(job.error), /not a playable video \(127\.0\.0\.1:\d+; downloaded 3 times\)/);
  assert.doesNotMatch(String(job.error), /task/, "the upstream task id stays in the log");
  assert.doesNotMatch(String(job.error), /ffprobe|Invalid data|\/tmp|\/files\//);
  const { price } = await jobRow(r, bad);
  assert.deepEqual(await ledgerOf(r, bad), [`hold:${price}`, `release:${price}`]);
});

test('sweeper at the deadline: a task that finished upstream but that our worker did not notice is delivered and charged, not refunded; an unfinished one is timed out and refunded', async () => {
  const a = await liveAccount(r);
  const config = r.reelay.config;
  const blobs = new LocalBlobStore(join(r.dataDir, 'files'));
  const providers = new ProviderRegistry().register(createMinimax(config, { db: r.reelay.db, blobs, log: silentLogger, callbackUrl: null })!);
  const sweepNow = () => sweep({ db: r.reelay.db, blobs, log: silentLogger, retentionHours: 0, events: { record: async () => {} }, providers });

  fake.plan = (b) => ({ durationMs: String(b.prompt).includes('#slow') ? 600_000 : 300 });
  try {
    const done = await submit(r, a.key, { prompt: 'finished unnoticed #late' });
    const slow = await submit(r, a.key, { prompt: 'still rendering #slow' });
    for (const id of [done, slow]) await waitRow(r, id, (row) => row.state === 'running' && row.upstream_task_id !== null);
    // Our worker will not look again (its next poll is an hour away) and the deadline has passed.
    await r.reelay.db.query(`UPDATE jobs SET next_run_at = now() + interval '1 hour', deadline_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [[done, slow]]);
    const task = (await jobRow(r, done)).upstream_task_id!;
    await new Promise((res) => setTimeout(res, 500)); // the fake finishes the task
    const polledBefore = fake.count('query', task);
    const out = await sweepNow();
    assert.ok(fake.count('query', task) > polledBefore, 'the sweeper asked MiniMax once more');
    assert.ok(out.rescued + out.timedOut >= 1, JSON.stringify(out));
    await completedOnce(a.key, done);
    const slowJob = await waitForJob(r.url, a.key, slow, { timeoutMs: 30_000 });
    assert.equal(slowJob.status, 'FAILED');
    assert.equal(slowJob.errorCode, 'timeout');
    const { price } = await jobRow(r, slow);
    assert.deepEqual(await ledgerOf(r, slow), [`hold:${price}`, `release:${price}`]);
  } finally {
    fake.plan = () => ({ durationMs: 600 });
  }
});

test('customerMessage keeps server paths and multi-line tool output out of what a customer reads', () => {
  assert.equal(customerMessage("Storing failed: ENOSPC, write '/srv/reelay/data/tmp/job_1.mp4'"), "Storing failed: ENOSPC, write '…'");
  assert.equal(customerMessage('ffprobe failed on /data/tmp/x.mp4: moov atom not found\n[mov,mp4] error'), 'ffprobe failed on …: moov atom not found');
  assert.equal(customerMessage('MiniMax unreachable (api.minimax.io: DNS lookup failed)'), 'MiniMax unreachable (api.minimax.io: DNS lookup failed)');
  assert.equal(customerMessage('see https://api.minimax.io/v1/query'), 'see https://api.minimax.io/v1/query');
  assert.equal(customerMessage('x'.repeat(1000)).length, 300);
});

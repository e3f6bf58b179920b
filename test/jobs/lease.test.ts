/**
 * Finishing under the lease: a render's slow tail (probe, poster, upload) keeps the lease, and an
 * attempt that loses the final compare-and-swap removes only the files IT stored.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wakeup, Worker, noJobEvents, type JobRow } from '../../src/jobs/index.js';
import { complete, type RunnerDeps } from '../../src/jobs/steps.js';
import { ffmpegPath } from '../../src/media/index.js';
import { ProviderRegistry, SandboxProvider } from '../../src/providers/index.js';
import { LocalBlobStore, type BlobStat } from '../../src/storage/index.js';
import { silentLogger } from '../../src/log.js';
import { api, startReelay, waitForJob, type TestReelay } from '../support/reelay.js';

/** A blob store whose video uploads wait for `gate` (a slow S3, a congested disk). */
class SlowVideoStore extends LocalBlobStore {
  gate: Promise<void> = Promise.resolve();
  uploading = false;
  override async putFile(key: string, localPath: string): Promise<BlobStat> {
    if (key.endsWith('video.mp4')) {
      this.uploading = true;
      await this.gate;
    }
    return super.putFile(key, localPath);
  }
}

let r: TestReelay;
let scratch: string;
before(async () => {
  // API only: the workers under test are made here, with the blob stores the test controls.
  r = await startReelay({ role: 'api' });
  scratch = await mkdtemp(join(tmpdir(), 'reelay-lease-'));
});
after(async () => {
  await r.stop();
  await rm(scratch, { recursive: true, force: true });
});

function worker(blobs: LocalBlobStore, dataDir: string): Worker {
  return new Worker({
    db: r.reelay.db,
    blobs,
    providers: new ProviderRegistry().register(new SandboxProvider(blobs)),
    wakeup: new Wakeup(r.reelay.db),
    log: silentLogger,
    dataDir,
    leaseSeconds: 3,
    concurrency: 4,
    inlineConcurrency: 2,
    idlePollMs: 100,
    retentionHours: 0,
  });
}

async function submit(prompt: string): Promise<string> {
  const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt, model: 'hailuo-2.3' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return String(res.body.jobId);
}

async function attemptsStored(id: string): Promise<string[]> {
  const names = await readdir(join(r.dataDir, 'files', 'jobs', id)).catch(() => []);
  return names.filter((n) => n.startsWith('att_'));
}

test('an upload that outlasts the lease keeps the lease: no second worker renders the job again', async () => {
  const slow = new SlowVideoStore(join(r.dataDir, 'files'));
  let open: () => void = () => {};
  slow.gate = new Promise<void>((res) => (open = res));
  const first = worker(slow, join(scratch, 'w1'));
  const second = worker(new LocalBlobStore(join(r.dataDir, 'files')), join(scratch, 'w2'));
  first.start();
  const id = await submit('a harbour at dawn');
  const owners = new Set<string>();
  try {
    while (!slow.uploading) await new Promise((res) => setTimeout(res, 50));
    second.start();
    // Three leases long: before, the lease lapsed here and the second worker took the job over.
    const until = Date.now() + 9000;
    while (Date.now() < until) {
      const { rows } = await r.reelay.db.query<{ lease_owner: string | null }>('SELECT lease_owner FROM jobs WHERE id = $1', [id]);
      if (rows[0]?.lease_owner) owners.add(rows[0].lease_owner);
      await new Promise((res) => setTimeout(res, 100));
    }
    open();
    const job = await waitForJob(r.url, r.key, id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  } finally {
    open();
    await first.stop();
    await second.stop();
  }
  assert.deepEqual([...owners], [first.id], 'only the first worker ever held the job');
  assert.equal((await attemptsStored(id)).length, 1);
  const { rows } = await r.reelay.db.query<{ kinds: string }>(`SELECT string_agg(kind, ',' ORDER BY id) AS kinds FROM ledger WHERE job_id = $1`, [id]);
  assert.equal(rows[0]!.kinds, 'hold,capture');
});

test("an attempt that loses the final compare-and-swap deletes only its own files, never the winner's video", async () => {
  const id = await submit('two workers, one video');
  const video = join(scratch, 'clip.mp4');
  const ff = spawnSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=24', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', video]);
  assert.equal(ff.status, 0, String(ff.stderr));
  await copyFile(video, join(scratch, 'loser.mp4'));
  await copyFile(video, join(scratch, 'winner.mp4'));
  // The loser started the job and reached finalizing, then stalled in its upload past its lease.
  await r.reelay.db.query(
    `UPDATE jobs SET state = 'running', started_at = now(), lease_owner = 'wrk_loser', lease_until = now() + interval '1 hour' WHERE id = $1`,
    [id],
  );
  const row = (await r.reelay.db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id])).rows[0]!;
  const slow = new SlowVideoStore(join(r.dataDir, 'files'));
  let open: () => void = () => {};
  slow.gate = new Promise<void>((res) => (open = res));
  const deps = (blobs: LocalBlobStore): RunnerDeps => ({
    db: r.reelay.db,
    blobs,
    providers: new ProviderRegistry(),
    log: silentLogger,
    tmpDir: scratch,
    leaseSeconds: 3,
    maxAttempts: 8,
    events: noJobEvents,
  });
  const loser = complete(deps(slow), 'wrk_loser', row, join(scratch, 'loser.mp4'));
  while (!slow.uploading) await new Promise((res) => setTimeout(res, 20));
  // Its lease lapsed; another worker claimed the job, rendered it and finished first.
  await r.reelay.db.query(`UPDATE jobs SET lease_owner = 'wrk_winner' WHERE id = $1`, [id]);
  await complete(deps(new LocalBlobStore(join(r.dataDir, 'files'))), 'wrk_winner', row, join(scratch, 'winner.mp4'));
  open();
  await loser;

  const stored = (await r.reelay.db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id])).rows[0]!;
  assert.equal(stored.state, 'completed');
  const key = (stored.result as { video: { key: string }; poster: { key: string } }).video.key;
  assert.ok((await stat(join(r.dataDir, 'files', key))).size > 1000, 'the winner’s video is still stored');
  assert.deepEqual(await attemptsStored(id), [key.split('/')[2]!], "the loser's own files are gone, the winner's remain");
  const job = await api(r.url, r.key, 'GET', `/v2/jobs/${id}`);
  const served = await fetch(String((job.body.result as { videoUrl: string }).videoUrl));
  assert.equal(served.status, 200);
  const { rows } = await r.reelay.db.query<{ kinds: string }>(`SELECT string_agg(kind, ',' ORDER BY id) AS kinds FROM ledger WHERE job_id = $1`, [id]);
  assert.equal(rows[0]!.kinds, 'hold,capture');
});

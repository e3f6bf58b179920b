/**
 * A sandbox render whose result could not be stored (disk full, read-only, broken) or whose
 * database connection failed was failed at once, `internal` or `render_failed`, and refunded:
 * the customer's job thrown away over a blip on our side. It is now retried with backoff, the
 * reason shown on the job, and completes once the fault clears, charged once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';

let r: TestReelay;

before(async () => {
  r = await startReelay({ leaseSeconds: 5 });
});
after(async () => r.stop());

test('a render whose video cannot be stored (files dir broken) waits with a reason and completes once storage is back, charged once', async () => {
  // `files/jobs` as a plain file: every store under it fails (ENOTDIR), even for root.
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
    const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'a harbour at night', model: 'hailuo-2.3' });
    assert.equal(sub.status, 202, JSON.stringify(sub.body));
    const id = String(sub.body.jobId);
    let shown: Record<string, unknown> = {};
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      shown = (await api(r.url, r.key, 'GET', `/v2/jobs/${id}`)).body;
      if (shown.statusReason || shown.status !== 'PROCESSING' && shown.status !== 'QUEUED') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(shown.status, 'PROCESSING', JSON.stringify(shown));
    assert.match(String(shown.statusReason), /^Storing the video failed on our side, retrying, attempt \d of 8$/);
    await restore();
    const job = await waitForJob(r.url, r.key, id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    assert.equal(job.statusReason, null);
    const me = await api(r.url, r.key, 'GET', '/v2/me');
    const credits = (me.body.credits as Record<string, { held: number; spent: number }>).test!;
    assert.deepEqual({ held: credits.held, spent: credits.spent }, { held: 0, spent: Number(job.creditCost) }, 'charged once');
    const video = await fetch(String((job.result as { videoUrl: string }).videoUrl));
    assert.equal(video.status, 200);
    assert.ok((await video.arrayBuffer()).byteLength > 1000, 'the stored video plays');
  } finally {
    await restore();
  }
});

/**
 * The capture transaction committed but its COMMIT answer was lost (the connection cut at that
 * instant): the worker took it for a rollback and deleted the attempt's stored files, leaving a
 * completed, charged job whose video was gone. The files are now kept when the job completed
 * with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, waitForJob, usingPostgres } from '../support/reelay.js';
import { startPgProxy } from '../support/pg-proxy.js';

test(
  'a capture whose COMMIT answer is lost keeps its stored video: the completed, charged job plays',
  { skip: usingPostgres ? false : 'PostgreSQL only (needs a network connection to cut): set DATABASE_URL' },
  async () => {
    const proxy = await startPgProxy(process.env.DATABASE_URL!);
    const r = await startReelay({ databaseUrl: proxy.url, leaseSeconds: 5 });
    try {
      // The statement only the capture sends; the COMMIT after it commits, and its answer is lost.
      proxy.loseCommitAfter('SET held = held - $1, spent = spent + $1');
      const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'a lighthouse at dusk', model: 'hailuo-2.3' });
      assert.equal(sub.status, 202, JSON.stringify(sub.body));
      const job = await waitForJob(r.url, r.key, String(sub.body.jobId), { timeoutMs: 60_000 });
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
      assert.equal(proxy.lost, 1, 'the COMMIT answer was lost');
      const me = await api(r.url, r.key, 'GET', '/v2/me');
      const credits = (me.body.credits as Record<string, { held: number; spent: number }>).test!;
      assert.deepEqual({ held: credits.held, spent: credits.spent }, { held: 0, spent: Number(job.creditCost) }, 'charged once');
      const video = await fetch(String((job.result as { videoUrl: string }).videoUrl));
      assert.equal(video.status, 200, 'the charged video is there');
      assert.ok((await video.arrayBuffer()).byteLength > 1000);
    } finally {
      await r.stop();
      await proxy.close();
    }
  },
);

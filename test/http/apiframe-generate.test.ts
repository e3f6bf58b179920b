import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeVideo, probeFaststart } from '../../src/media/index.js';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
let tmp: string;

before(async () => {
  r = await startReelay();
  tmp = await mkdtemp(join(tmpdir(), 'reelay-dl-'));
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function download(url: string, name: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'video/mp4');
  const file = join(tmp, name);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

test('the seed text-to-video example: 202 QUEUED, PROCESSING with rising progress, COMPLETED with a playable 10 s 1366x768 MP4', async () => {
  // Byte for byte the seed's body (000_9a29c215f239c34d.txt), only host and key swapped.
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', {
    prompt: 'cinematic aerial shot of a medieval castle at dawn with mist rolling through the valleys',
    model: 'hailuo-2.3',
    hailuoParams: { duration: 10, resolution: '768p' },
  });
  assert.equal(sub.status, 202);
  assert.equal(sub.body.status, 'QUEUED');
  assert.match(String(sub.body.jobId), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(Object.keys(sub.body).sort(), ['jobId', 'status']);

  const seen: string[] = [];
  const progress: number[] = [];
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId), {
    intervalMs: 100,
    onPoll: (j) => {
      if (seen.at(-1) !== j.status) seen.push(String(j.status));
      if (j.status === 'PROCESSING') progress.push(Number(j.progress));
    },
  });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.ok(seen.includes('PROCESSING'), `statuses seen: ${seen.join(' → ')}`);
  assert.deepEqual(seen.filter((s) => s !== 'PROCESSING' && s !== 'QUEUED'), ['COMPLETED']);
  assert.ok(progress.length >= 2 && progress.at(-1)! > progress[0]!, `progress should rise: ${progress.join(',')}`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! >= progress[i - 1]!, 'progress never goes back');

  for (const field of ['id', 'status', 'model', 'progress', 'error', 'creditCost', 'webhookStatus', 'createdAt', 'completedAt', 'input', 'expired']) {
    assert.ok(field in job, `Job has ${field}`);
  }
  assert.equal(job.model, 'hailuo-2.3');
  assert.equal(job.progress, 100);
  assert.equal(job.error, null);
  assert.equal(job.creditCost, 96);
  assert.equal(job.expired, false);
  assert.ok(!Number.isNaN(Date.parse(String(job.completedAt))));
  assert.deepEqual((job.input as Record<string, unknown>).hailuoParams, { duration: 10, resolution: '768p' });

  const result = job.result as Record<string, unknown>;
  const file = await download(String(result.videoUrl), 't2v.mp4');
  const p = await probeVideo(file);
  assert.equal(p.codec, 'h264');
  assert.equal(p.pixFmt, 'yuv420p');
  assert.equal(p.width, 1366);
  assert.equal(p.height, 768);
  assert.equal(p.fps, 24);
  assert.ok(Math.abs(p.durationSeconds - 10) < 0.05, `duration ${p.durationSeconds}`);
  assert.equal(await probeFaststart(file), true);
  assert.equal(result.width, 1366);
  assert.equal(result.durationSeconds, p.durationSeconds);

  // Range requests, as video players make them.
  const size = Number(result.bytes);
  const part = await fetch(String(result.videoUrl), { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${size}`);
  assert.equal((await part.arrayBuffer()).byteLength, 100);
  const tail = await fetch(String(result.videoUrl), { headers: { range: 'bytes=-10' } });
  assert.equal(tail.status, 206);
  assert.equal((await tail.arrayBuffer()).byteLength, 10);
  const beyond = await fetch(String(result.videoUrl), { headers: { range: `bytes=${size + 5}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${size}`);
  // In the envelope (it was an empty body typed video/mp4).
  assert.equal(((await beyond.json()) as { code: string }).code, 'range_not_satisfiable');

  // The URL is a signed capability: tampering or stretching its expiry is refused.
  const u = new URL(String(result.videoUrl));
  u.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 3600));
  assert.equal((await fetch(u)).status, 403);
  const other = new URL(String(result.videoUrl));
  other.pathname = other.pathname.replace('video.mp4', 'input.jpg');
  assert.equal((await fetch(other)).status, 403);
  const poster = await fetch(String(result.posterUrl));
  assert.equal(poster.status, 200);
  assert.equal(poster.headers.get('content-type'), 'image/jpeg');
});

test('1080p at 6 s renders exactly 1920x1080, and Authorization: Bearer works too', async () => {
  const sub = await api(r.url, null, 'POST', '/v2/videos/generate', { prompt: 'neon city [Pan right]', model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '1080p' } }, {
    authorization: `Bearer ${r.key}`,
  });
  assert.equal(sub.status, 202);
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId));
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.equal(job.creditCost, 84);
  const p = await probeVideo(await download(String((job.result as Record<string, unknown>).videoUrl), 'hd.mp4'));
  assert.deepEqual([p.width, p.height, p.fps], [1920, 1080, 24]);
  assert.ok(Math.abs(p.durationSeconds - 6) < 0.05);
});

test('defaults are 6 s at 768p', async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'a quiet lake', model: 'hailuo-2.3' });
  assert.equal(sub.status, 202);
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId));
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.creditCost, 48);
  const res = job.result as Record<string, unknown>;
  assert.deepEqual([res.width, res.height], [1366, 768]);
  assert.ok(Math.abs(Number(res.durationSeconds) - 6) < 0.05);
});

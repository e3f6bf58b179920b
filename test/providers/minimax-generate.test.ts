import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { makeImage } from '../support/images.js';
import { jobRow, ledgerOf, liveAccount, liveWallet, startLive, submit, MM_KEY } from './minimax-helpers.js';

let fake: FakeMinimax;
let r: TestReelay;
let tmp: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelay-mm-'));
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 1200 });
  r = await startLive(fake);
});
after(async () => {
  await r.stop();
  await fake.stop();
  await rm(tmp, { recursive: true, force: true });
});

test('text-to-video with a live key: one create with MiniMax field names, scheduled polls, the MP4 streamed into our storage and probed; hold then capture', async () => {
  const a = await liveAccount(r);
  const id = await submit(r, a.key, { prompt: 'a red fox in snow [Push in] #t2v', hailuoParams: { duration: 10, resolution: '768p', prompt_optimizer: false } });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const create = fake.creates.find((c) => String(c.body.prompt).includes('#t2v'))!;
  assert.deepEqual(create.body, { model: 'MiniMax-Hailuo-2.3', duration: 10, resolution: '768P', prompt_optimizer: false, prompt: 'a red fox in snow [Push in] #t2v' });
  const result = job.result as Record<string, unknown>;
  assert.equal(result.width, 1366);
  assert.equal(result.height, 768);
  assert.equal(result.fps, 24);
  assert.match(String(result.sha256), /^[0-9a-f]{64}$/);
  const video = await fetch(String(result.videoUrl));
  assert.equal(video.status, 200);
  assert.equal((await video.arrayBuffer()).byteLength, result.bytes);
  const row = await jobRow(r, id);
  assert.equal(row.provider, 'minimax');
  assert.equal(row.upstream_task_id, create.taskId);
  // Typical time 1 s → first poll at ~0.6 s, then 0.2 s, 0.25 s …: a 1.2 s task needs a handful, not dozens.
  assert.ok(row.upstream_polls >= 1 && row.upstream_polls <= 6, `polls: ${row.upstream_polls}`);
  assert.equal(fake.count('query', create.taskId!), row.upstream_polls);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${row.price}`, `capture:${row.price}`]);
  assert.deepEqual(await liveWallet(r, a.id), { available: 1000 - row.price, held: 0, spent: row.price });
});

test('image-to-video on Hailuo 2.3 Fast: first_frame_image is a data URI of our stored copy, fast_pretreatment passed through', async () => {
  const a = await liveAccount(r);
  const png = await makeImage(join(tmp, 'frame.png'), 800, 600);
  const id = await submit(r, a.key, {
    prompt: 'wind in the trees #i2v',
    model: 'hailuo-2.3-fast',
    hailuoParams: { image: `data:image/png;base64,${png.toString('base64')}`, duration: 6, resolution: '1080p', fast_pretreatment: true },
  });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const body = fake.creates.find((c) => String(c.body.prompt).includes('#i2v'))!.body;
  assert.equal(body.model, 'MiniMax-Hailuo-2.3-Fast');
  assert.equal(body.resolution, '1080P');
  assert.equal(body.fast_pretreatment, true);
  // The fake decodes the data URI and refuses anything but a real image; the length proves it carried the whole file.
  assert.match(String(body.first_frame_image), /^data:image\/png;base64,/);
  assert.match(String(body.first_frame_image), new RegExp(`\\(${'data:image/png;base64,'.length + png.toString('base64').length}\\)$`));
});

test('an expired download URL is resolved again through files/retrieve and the download retried', async () => {
  const a = await liveAccount(r);
  fake.inject('retrieve', { kind: 'expired' });
  const before = fake.count('retrieve');
  const id = await submit(r, a.key, { prompt: 'harbor at dusk #expired' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.equal(fake.count('retrieve') - before, 2, 'one expired URL, one fresh');
});

test('transient trouble never fails a job: 5xx then 429 on create, a slow query past the timeout, 1000/1033 codes, a truncated download', async () => {
  const a = await liveAccount(r);
  // A 502 may have made a task (ambiguous: one resubmit allowed, docs/minimax.md); a 429 made none.
  fake.inject('create', { kind: 'http', status: 502 });
  fake.inject('create', { kind: 'http', status: 429, retryAfterSeconds: 1 });
  fake.inject('query', { kind: 'slow', delayMs: 2500 }); // past minimaxTimeoutMs (2 s)
  fake.inject('query', { kind: 'code', code: 1000, msg: 'unknown error' });
  fake.inject('query', { kind: 'code', code: 1033, msg: 'system error' });
  fake.inject('download', { kind: 'truncate' });
  const createsBefore = fake.count('create');
  const id = await submit(r, a.key, { prompt: 'storm over the sea #transient' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  // Two create attempts failed before any task existed (502, then 429); the third made the one task.
  assert.equal(fake.count('create') - createsBefore, 3);
  assert.equal(fake.creates.filter((c) => String(c.body.prompt).includes('#transient') && c.taskId).length, 1);
  const row = await jobRow(r, id);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${row.price}`, `capture:${row.price}`]);
  fake.clearFaults();
});

test('an unknown status word is treated as running, never as a failure', async () => {
  const a = await liveAccount(r);
  fake.plan = (b) => ({ durationMs: 1500, ...(String(b.prompt).includes('#weird') ? { runningStatus: 'Rendering' } : {}) });
  const id = await submit(r, a.key, { prompt: 'lanterns #weird' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'COMPLETED');
  fake.plan = () => ({ durationMs: 1200 });
});

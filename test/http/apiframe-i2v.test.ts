import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeVideo } from '../../src/media/index.js';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';
import { halvesRgb, makeImage } from '../support/images.js';

let r: TestReelay;
let tmp: string;

before(async () => {
  r = await startReelay();
  tmp = await mkdtemp(join(tmpdir(), 'reelay-i2v-'));
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

test('image-to-video from a data: URI keeps the portrait aspect ratio and starts on the image', async () => {
  const png = await makeImage(join(tmp, 'portrait.png'), 900, 1600);
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', {
    prompt: 'a dancer performing a graceful spin [Static shot]',
    model: 'hailuo-2.3-fast',
    hailuoParams: { image: `data:image/png;base64,${png.toString('base64')}`, duration: 6, resolution: '768p', prompt_optimizer: true },
  });
  assert.equal(sub.status, 202, JSON.stringify(sub.body));
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId));
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.equal(job.creditCost, 32);
  const hp = (job.input as { hailuoParams: { image: string } }).hailuoParams;
  assert.ok(hp.image.length < 100, 'the stored input shortens the data URI');
  const res = job.result as Record<string, unknown>;
  const file = join(tmp, 'out.mp4');
  await writeFile(file, Buffer.from(await (await fetch(String(res.videoUrl))).arrayBuffer()));
  const p = await probeVideo(file);
  assert.deepEqual([p.width, p.height, p.fps], [768, 1366, 24]);
  const [left, right] = await halvesRgb(file);
  assert.ok(left[0]! > 150 && left[2]! < 100, `first frame left half is red: ${left.join(',')}`);
  assert.ok(right[2]! > 150 && right[0]! < 100, `first frame right half is blue: ${right.join(',')}`);
});

test('image rules: too small, too narrow, and a 1080p landscape image keeps 16:9', async () => {
  const small = await makeImage(join(tmp, 'small.png'), 320, 240);
  const tooSmall = await api(r.url, r.key, 'POST', '/v2/videos/generate', {
    prompt: 'x',
    model: 'hailuo-2.3',
    hailuoParams: { image: `data:image/png;base64,${small.toString('base64')}` },
  });
  assert.equal(tooSmall.status, 400);
  assert.equal(tooSmall.body.code, 'invalid_image');
  assert.ok((tooSmall.body.details as Record<string, string[]>)['hailuoParams.image']);

  const narrow = await makeImage(join(tmp, 'narrow.png'), 300, 900);
  const tooNarrow = await api(r.url, r.key, 'POST', '/v2/videos/generate', {
    prompt: 'x',
    model: 'hailuo-2.3',
    hailuoParams: { image: `data:image/png;base64,${narrow.toString('base64')}` },
  });
  assert.equal(tooNarrow.status, 400);
  assert.equal(tooNarrow.body.code, 'invalid_image');

  const wide = await makeImage(join(tmp, 'wide.jpg'), 1600, 900);
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', {
    prompt: 'slow reveal [Zoom in]',
    model: 'hailuo-2.3',
    hailuoParams: { image: `data:image/jpeg;base64,${wide.toString('base64')}`, resolution: '1080p' },
  });
  assert.equal(sub.status, 202, JSON.stringify(sub.body));
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId));
  assert.equal(job.status, 'COMPLETED');
  const res = job.result as Record<string, unknown>;
  assert.deepEqual([res.width, res.height], [1920, 1080]);
});

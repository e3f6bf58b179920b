/**
 * With only FAL_KEY set (no MiniMax), the seeds' requests in all three dialects make live videos
 * through fal: Apiframe's `/v2/videos/generate`, WaveSpeed's `/api/v3/minimax/hailuo-2.3/…` and
 * API in One's `/api/v1/videos/generations`, each polled the way its seed polls.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';
import { startFakeFal, type FakeFal } from '../support/fal-server.js';
import { jobRow, liveAccount, submit } from './minimax-helpers.js';
import { startWith } from './aggregator-helpers.js';

const KEY = 'fal-dialects:secret';
let fake: FakeFal;
let r: TestReelay;

before(async () => {
  fake = await startFakeFal({ apiKey: KEY, taskMs: 1000 });
  r = await startWith({ falKey: KEY, falBaseUrl: fake.url, falJwksUrl: `${fake.url}/.well-known/jwks.json` });
});
after(async () => {
  await r.stop();
  await fake.stop();
});

async function until(fn: () => Promise<Record<string, unknown>>, done: (b: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const b = await fn();
    if (done(b)) return b;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('never finished');
}

test('only FAL_KEY: Apiframe, WaveSpeed and API in One requests with a live key all complete through fal', async () => {
  const a = await liveAccount(r, 5000);
  const bearer = { authorization: `Bearer ${a.key}` };

  const apiframe = await submit(r, a.key, { prompt: 'cinematic aerial shot of a medieval castle at dawn #d-apiframe', hailuoParams: { duration: 10, resolution: '768p' } });
  assert.equal((await waitForJob(r.url, a.key, apiframe, { timeoutMs: 30_000 })).status, 'COMPLETED');

  const ws = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'waves on a beach #d-wavespeed' }, bearer);
  assert.equal(ws.status, 200, JSON.stringify(ws.body));
  const wsId = String((ws.body.data as { id: string }).id);
  const wsDone = await until(async () => (await api(r.url, null, 'GET', `/api/v3/predictions/${wsId}/result`, undefined, bearer)).body, (b) => ['completed', 'failed'].includes(String((b.data as { status: string }).status)));
  assert.equal((wsDone.data as { status: string }).status, 'completed', JSON.stringify(wsDone));

  const png = await makeImage(join(r.dataDir, 'golden.png'), 1280, 720);
  const aio = await api(r.url, null, 'POST', '/api/v1/videos/generations', {
    model: 'hailuo-2-3',
    prompt: 'A golden retriever running through a sunflower field at sunset, slow motion #d-apiinone',
    image: `data:image/png;base64,${png.toString('base64')}`,
    duration: '6',
    resolution: '768P',
  }, bearer);
  assert.equal(aio.status, 200, JSON.stringify(aio.body));
  const aioId = String(aio.body.task_id);
  const aioDone = await until(async () => (await api(r.url, null, 'GET', `/api/v1/tasks/${aioId}`, undefined, bearer)).body, (b) => ['completed', 'failed', 'canceled'].includes(String(b.status)));
  assert.equal(aioDone.status, 'completed', JSON.stringify(aioDone));

  for (const id of [apiframe, wsId, aioId]) assert.equal((await jobRow(r, id)).provider, 'fal');
  assert.equal(fake.submits.find((s) => String(s.body.prompt).includes('#d-wavespeed'))?.model, 'fal-ai/minimax/hailuo-2.3/standard/text-to-video');
  // API in One's "hailuo-2-3" standard is Reelay's hailuo-2.3-fast (its seed's price list).
  assert.equal(fake.submits.find((s) => String(s.body.prompt).includes('#d-apiinone'))?.model, 'fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video');
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReelay, api, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';

let r: TestReelay;
let tmp: string;
let image: string;
const bearer = () => ({ authorization: `Bearer ${r.key}`, 'content-type': 'application/json' });

before(async () => {
  r = await startReelay();
  tmp = await mkdtemp(join(tmpdir(), 'reelay-aio-'));
  image = `data:image/jpeg;base64,${(await makeImage(join(tmp, 'dog.jpg'), 1280, 720)).toString('base64')}`;
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function pollTask(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const t = await api(r.url, null, 'GET', `/api/v1/tasks/${id}`, undefined, bearer());
    assert.equal(t.status, 200, JSON.stringify(t.body));
    if (['completed', 'failed', 'canceled'].includes(String(t.body.status))) return t.body;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error('task did not finish');
}

test("the seed's example request (image swapped for a data URI) → a task that completes with a video at the seed's price", async () => {
  // seeds/001: endpoint, headers and body as shown; only host, key and image differ.
  const res = await api(r.url, null, 'POST', '/api/v1/videos/generations', {
    model: 'hailuo-2-3',
    prompt: 'A golden retriever running through a sunflower field at sunset, slow motion',
    image,
    duration: '6',
    resolution: '768P',
  }, bearer());
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'pending');
  assert.equal(res.body.credits, 30);
  assert.equal(res.body.credits_charged, 0);
  const task = await pollTask(String(res.body.task_id));
  assert.equal(task.status, 'completed');
  assert.equal(task.model, 'hailuo/2-3-image-to-video-standard');
  assert.equal(task.credits_charged, 30);
  const result = task.result as Record<string, unknown>;
  assert.deepEqual([result.width, result.height, result.duration], [1366, 768, 6]);
  assert.equal((await fetch(String(result.video_url))).headers.get('content-type'), 'video/mp4');
});

test('standard vs pro prices follow the seed FAQ through the price book', async () => {
  const prices: [string, string, string, number][] = [
    ['hailuo/2-3-image-to-video-standard', '10', '768P', 45],
    ['hailuo/2-3-image-to-video-standard', '6', '1080P', 45],
    ['hailuo/2-3-image-to-video-pro', '6', '768P', 45],
    ['hailuo/2-3-image-to-video-pro', '6', '1080P', 85],
  ];
  for (const [model, duration, resolution, credits] of prices) {
    const res = await api(r.url, null, 'POST', '/api/v1/videos/generations', { model, prompt: `price check [[sandbox:fail=upstream_error]]`, image, duration, resolution }, bearer());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.credits, credits, `${model} ${duration}s ${resolution}`);
    const task = await pollTask(String(res.body.task_id));
    assert.equal(task.status, 'failed');
    assert.equal(task.credits_charged, 0);
    assert.deepEqual(task.error, { code: 'upstream_error', message: 'The provider returned an error (sandbox test trigger)' });
  }
});

test('errors in its own envelope: image required, 1080P only at 6 s, unknown model, bad key, other tenant', async () => {
  const cases: [unknown, number, string][] = [
    [{ model: 'hailuo-2-3', prompt: 'x' }, 400, 'image'],
    [{ model: 'hailuo-2-3', prompt: 'x', image, duration: '10', resolution: '1080P' }, 400, 'duration'],
    [{ model: 'hailuo-2-3', prompt: 'x', image, duration: 6 }, 400, 'duration'],
    [{ model: 'hailuo-9', prompt: 'x', image }, 400, 'model'],
    [{ model: 'hailuo-2-3', prompt: 'x', image, resolution: '720P' }, 400, 'resolution'],
  ];
  for (const [body, status, field] of cases) {
    const res = await api(r.url, null, 'POST', '/api/v1/videos/generations', body, bearer());
    assert.equal(res.status, status, JSON.stringify(res.body));
    const err = res.body.error as { code: string; message: string; details: Record<string, string[]> };
    assert.equal(err.code, 'validation_error');
    assert.ok(err.details[field], `${field} in ${JSON.stringify(err)}`);
  }
  const noKey = await api(r.url, null, 'POST', '/api/v1/videos/generations', { model: 'hailuo-2-3', prompt: 'x', image });
  assert.equal(noKey.status, 401);
  assert.equal((noKey.body.error as { code: string }).code, 'unauthorized');
  assert.equal((await api(r.url, null, 'GET', '/api/v1/tasks/00000000-0000-4000-8000-000000000000', undefined, bearer())).status, 404);
});

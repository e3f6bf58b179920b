import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'wavespeed';
import { probeVideo } from '../../src/media/index.js';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';

let r: TestReelay;
let tmp: string;
const bearer = () => ({ authorization: `Bearer ${r.key}` });

before(async () => {
  r = await startReelay({ syncWaitSeconds: 60 });
  tmp = await mkdtemp(join(tmpdir(), 'reelay-ws-'));
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function probeUrl(url: string, name: string) {
  const file = join(tmp, name);
  await writeFile(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
  return probeVideo(file);
}

test('the real wavespeed npm client, base URL changed: t2v-standard returns a playable 1366x768 MP4 URL', async () => {
  const client = new Client(r.key, { baseUrl: r.url });
  const result = await client.run('minimax/hailuo-2.3/t2v-standard', { prompt: 'a paper boat drifting on a pond [Truck left]', duration: 6 }, { pollInterval: 0.25 });
  assert.equal(result.outputs.length, 1);
  const p = await probeUrl(String(result.outputs[0]), 't2v.mp4');
  assert.deepEqual([p.codec, p.width, p.height, p.fps], ['h264', 1366, 768, 24]);
  assert.ok(Math.abs(p.durationSeconds - 6) < 0.05);
});

test('the real client with an image: i2v-pro renders 1080p keeping the image aspect; failures surface as client errors', async () => {
  const png = await makeImage(join(tmp, 'sq.png'), 1000, 1000);
  const client = new Client(r.key, { baseUrl: r.url });
  const result = await client.run(
    'minimax/hailuo-2.3/i2v-pro',
    { prompt: 'slow push [Push in]', image: `data:image/png;base64,${png.toString('base64')}` },
    { pollInterval: 0.25 },
  );
  const p = await probeUrl(String(result.outputs[0]), 'i2v.mp4');
  assert.deepEqual([p.width, p.height], [1080, 1080]);

  await assert.rejects(
    client.run('minimax/hailuo-2.3/t2v-standard', { prompt: 'x [[sandbox:fail=content_policy]]' }, { pollInterval: 0.25 }),
    /Prediction failed .*content policy/i,
  );
  await assert.rejects(client.run('minimax/hailuo-2.3/t2v-pro', { prompt: 'x', duration: 10 }), /HTTP 400/);
});

test('envelope, statuses and result routes; enable_sync_mode waits for the result', async () => {
  const sub = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'waves' }, bearer());
  assert.equal(sub.status, 200);
  assert.equal(sub.body.code, 200);
  assert.equal(sub.body.message, 'success');
  const data = sub.body.data as Record<string, unknown>;
  for (const k of ['id', 'model', 'outputs', 'urls', 'has_nsfw_contents', 'status', 'created_at', 'error', 'timings']) assert.ok(k in data, k);
  assert.equal(data.model, 'minimax/hailuo-2.3/t2v-standard');
  assert.equal(data.status, 'created');
  assert.deepEqual(data.outputs, []);
  assert.equal((data.urls as { get: string }).get, `${r.url}/api/v3/predictions/${String(data.id)}/result`);

  await waitForJob(r.url, r.key, String(data.id));
  for (const path of [`/api/v3/predictions/${String(data.id)}/result`, `/api/v3/predictions/${String(data.id)}`]) {
    const got = await api(r.url, null, 'GET', path, undefined, bearer());
    const d = got.body.data as Record<string, unknown>;
    assert.equal(d.status, 'completed');
    assert.equal((d.outputs as string[]).length, 1);
    assert.ok(Number((d.timings as { inference: number }).inference) > 0);
  }

  const sync = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'sync please', enable_sync_mode: true }, bearer());
  assert.equal((sync.body.data as Record<string, unknown>).status, 'completed');
  assert.equal(((sync.body.data as Record<string, unknown>).outputs as string[]).length, 1);
});

test('errors come in WaveSpeed words and envelope, never a 500, never a charge', async () => {
  const cases: [string, unknown, number, number?][] = [
    ['t2v-standard', {}, 400, 1400],
    ['t2v-standard', { prompt: 'x', image: 'https://example.com/a.png' }, 400, 1401],
    ['i2v-standard', { prompt: 'x' }, 400, 1400],
    ['t2v-pro', { prompt: 'x', duration: 10 }, 400, 1401],
    ['fast-pro', { prompt: 'x', image: 'data:image/png;base64,aGVsbG8=', duration: 10 }, 400, 1401],
    ['t2v-standard', { prompt: 'x', duration: 7 }, 400, 1401],
    ['t2v-standard', { prompt: 'x', frames: 7 }, 400, 1401],
    ['t2v-standard', { prompt: 'x'.repeat(2001) }, 400, 1401],
    ['fast', { prompt: 'x', image: 'https://127.0.0.1/a.png' }, 400, 1402],
  ];
  for (const [slug, body, status, code] of cases) {
    const res = await api(r.url, null, 'POST', `/api/v3/minimax/hailuo-2.3/${slug}`, body, bearer());
    assert.equal(res.status, status, `${slug} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, status);
    assert.equal(res.body.data, null);
    assert.equal(typeof res.body.message, 'string');
    if (code) assert.equal(res.body.error_code, code, JSON.stringify(res.body));
  }
  const bad = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', '{oops', bearer());
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 400);
  const noKey = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'x' });
  assert.equal(noKey.status, 401);
  assert.equal(noKey.body.code, 401);
  const unknown = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-ultra', { prompt: 'x' }, bearer());
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 404);
  assert.equal((await api(r.url, null, 'GET', '/api/v3/predictions/nope/result', undefined, bearer())).status, 404);
});

test('a job submitted in one dialect reads in the others and lists in /v2/jobs', async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'crossing dialects', model: 'hailuo-2.3', hailuoParams: { resolution: '1080p' } });
  const id = String(sub.body.jobId);
  await waitForJob(r.url, r.key, id);
  const ws = await api(r.url, null, 'GET', `/api/v3/predictions/${id}/result`, undefined, bearer());
  assert.equal((ws.body.data as Record<string, unknown>).model, 'minimax/hailuo-2.3/t2v-pro');
  assert.equal((ws.body.data as Record<string, unknown>).status, 'completed');
  const aio = await api(r.url, null, 'GET', `/api/v1/tasks/${id}`, undefined, bearer());
  assert.equal(aio.body.status, 'completed');
  const wsSub = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'from wavespeed' }, bearer());
  const wsId = String((wsSub.body.data as Record<string, unknown>).id);
  const list = await api(r.url, r.key, 'GET', '/v2/jobs?limit=100');
  assert.ok((list.body.jobs as { id: string }[]).some((j) => j.id === wsId));
  await waitForJob(r.url, r.key, wsId);
});

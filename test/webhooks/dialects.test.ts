import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';
import { Receiver, verifyStandard, waitUntil, type Received } from './support.js';

let r: TestReelay;
let rx: Receiver;
let tmp: string;
const bearer = () => ({ authorization: `Bearer ${r.key}` });

before(async () => {
  rx = await new Receiver().up();
  r = await startReelay({ allowPrivateUrls: true, allowHttpUrls: true, webhookRetryScheduleMs: [0, 100, 200] });
  tmp = await mkdtemp(join(tmpdir(), 'reelay-whd-'));
});
after(async () => {
  await r.stop();
  await rx.down();
  await rm(tmp, { recursive: true, force: true });
});

/** WaveSpeed's documented check, written independently of Reelay's signing code. */
function verifyWavespeed(secret: string, x: Received): boolean {
  const id = String(x.headers['webhook-id']);
  const ts = String(x.headers['webhook-timestamp']);
  const [version, hex] = String(x.headers['webhook-signature']).split(',');
  if (version !== 'v3' || !hex) return false;
  const want = createHmac('sha256', secret.slice('whsec_'.length)).update(`${id}.${ts}.${x.body}`).digest();
  const got = Buffer.from(hex, 'hex');
  return got.length === want.length && timingSafeEqual(got, want) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
}

test('WaveSpeed ?webhook=: the bare prediction object on completion, signed v3 with the secret from /api/v3/webhook/secret', async () => {
  const sec = await api(r.url, null, 'GET', '/api/v3/webhook/secret', undefined, bearer());
  assert.equal(sec.status, 200);
  const secret = String((sec.body.data as { secret: string }).secret);
  assert.match(secret, /^whsec_/);

  const hook = rx.url('/wavespeed');
  const sub = await api(r.url, null, 'POST', `/api/v3/minimax/hailuo-2.3/t2v-standard?webhook=${encodeURIComponent(hook)}`, { prompt: 'fireflies over a meadow' }, bearer());
  assert.equal(sub.status, 200, JSON.stringify(sub.body));
  const id = String((sub.body.data as { id: string }).id);
  await waitUntil(() => rx.requests.some((x) => x.path === '/wavespeed'), 90_000, 'the WaveSpeed webhook');
  const got = rx.requests.filter((x) => x.path === '/wavespeed');
  assert.equal(got.length, 1, 'completed only: WaveSpeed sends no progress events');
  const x = got[0]!;
  assert.ok(verifyWavespeed(secret, x), `v3 signature verifies: ${String(x.headers['webhook-signature'])}`);
  const body = JSON.parse(x.body) as Record<string, unknown>;
  assert.equal(body.id, id);
  assert.equal(body.status, 'completed');
  assert.equal(body.model, 'minimax/hailuo-2.3/t2v-standard');
  assert.ok(!('code' in body && 'data' in body), 'bare prediction, not the envelope');
  const video = await fetch(String((body.outputs as string[])[0]), { method: 'HEAD' });
  assert.equal(video.headers.get('content-type'), 'video/mp4');

  const refused = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard?webhook=ftp://nope', { prompt: 'x' }, bearer());
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error_code, 1402);
});

test('API in One webhook_url: the task object on failure, with Standard Webhooks signatures', async () => {
  const secret = String((await api(r.url, r.key, 'GET', '/v2/webhooks/secret')).body.secret);
  const image = `data:image/png;base64,${(await makeImage(join(tmp, 'i.png'), 640, 640)).toString('base64')}`;
  const res = await api(r.url, null, 'POST', '/api/v1/videos/generations', {
    model: 'hailuo-2-3',
    prompt: 'x [[sandbox:fail=content_policy]]',
    image,
    webhook_url: rx.url('/aio'),
  }, bearer());
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await waitUntil(() => rx.requests.some((x) => x.path === '/aio'), 60_000, 'the API in One webhook');
  const x = rx.requests.find((y) => y.path === '/aio')!;
  verifyStandard(secret, x);
  const task = JSON.parse(x.body) as Record<string, unknown>;
  assert.equal(task.task_id, res.body.task_id);
  assert.equal(task.status, 'failed');
  assert.deepEqual((task.error as { code: string }).code, 'content_policy');
  assert.equal(task.credits_charged, 0);
});

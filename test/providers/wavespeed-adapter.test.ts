import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { ProviderError, WavespeedProvider, WAVESPEED_COSTS } from '../../src/providers/index.js';
import { sampleVideo } from '../support/minimax-server.js';
import { startFakeWavespeed, WS_FAULTS, type FakeWavespeed, type WavespeedFailure } from '../support/wavespeed-server.js';
import { adapterEnv, bytesOf, job, pollToEnd, rejection, signal, type AdapterEnv } from './aggregator-helpers.js';

const KEY = 'ws-test-key-0123456789';
let fake: FakeWavespeed;
let env: AdapterEnv;
let ws: WavespeedProvider;

before(async () => {
  fake = await startFakeWavespeed({ apiKey: KEY, taskMs: 600 });
  env = await adapterEnv('wavespeed');
  ws = new WavespeedProvider(env.options(fake.url, KEY, WAVESPEED_COSTS.table));
});
after(async () => {
  await fake.stop();
  await env.close();
});

test('request mapping: endpoint per variant, `image`, integer `duration` only on standard/fast, `enable_prompt_expansion`, prompt omitted on an image-to-video without one', async () => {
  const t2v = await ws.submit(job({ prompt: 'fox #ws-t2v', durationSeconds: 10, promptOptimizer: false }), signal());
  const pro = await ws.submit(job({ prompt: 'fox #ws-pro', resolution: '1080p' }), signal());
  const i2v = await ws.submit(job({ prompt: '', image: await env.image() }), signal());
  const fastPro = await ws.submit(job({ model: 'hailuo-2.3-fast', prompt: 'leaves #ws-fastpro', resolution: '1080p', image: await env.image() }), signal());
  const byTask = (id: string) => fake.submits.find((s) => s.taskId === id)!;
  assert.equal(byTask(t2v.taskId).model, 'minimax/hailuo-2.3/t2v-standard');
  assert.deepEqual(byTask(t2v.taskId).body, { enable_prompt_expansion: false, prompt: 'fox #ws-t2v', duration: 10 });
  assert.equal(byTask(pro.taskId).model, 'minimax/hailuo-2.3/t2v-pro');
  assert.equal(byTask(pro.taskId).body.duration, undefined, 'pro endpoints are fixed at 6 s and take no duration');
  assert.equal(byTask(i2v.taskId).model, 'minimax/hailuo-2.3/i2v-standard');
  assert.equal(byTask(i2v.taskId).body.prompt, undefined);
  assert.match(String(byTask(i2v.taskId).body.image), /^data:image\/png;base64,/);
  assert.equal(byTask(fastPro.taskId).model, 'minimax/hailuo-2.3/fast-pro');
  assert.deepEqual(byTask(fastPro.taskId).query, {}, 'no webhook without a callback URL');
});

test('status mapping created → processing → completed, and the download streams the MP4', async () => {
  // Long enough phases (1.2 s each) that a 50 ms poller sees both on a loaded machine.
  fake.plan = () => ({ durationMs: 2400, queuedFraction: 0.5 });
  const { taskId } = await ws.submit(job({ prompt: 'harbor #ws-status' }), signal());
  fake.plan = () => ({ durationMs: 600 });
  const { status, seen } = await pollToEnd(ws, taskId);
  assert.deepEqual(status, { state: 'succeeded', fileRef: taskId });
  assert.deepEqual(seen, ['queued', 'running', 'succeeded']);
  const bytes = await bytesOf(await ws.download(taskId, signal()));
  assert.deepEqual(bytes, await readFile(await sampleVideo()));
});

test('an expired output URL is refreshed by a fresh result call', async () => {
  const { taskId } = await ws.submit(job({ prompt: 'dusk #ws-expired' }), signal());
  await pollToEnd(ws, taskId);
  const before = fake.count('result', taskId);
  fake.inject('result', { kind: 'expired' });
  const bytes = await bytesOf(await ws.download(taskId, signal()));
  assert.ok(bytes.length > 1000);
  assert.equal(fake.count('result', taskId) - before, 2, 'one expired URL, one fresh');
});

test('task failures: 1200 → content_policy, 1401 → invalid_params, 5003 → upstream_error, `timeout` → timeout, `cancelled`; an unknown status word fails loudly', async () => {
  const cases: Array<[WavespeedFailure, string]> = [
    [{ code: 1200, error: 'Content moderation: sexual content detected' }, 'content_policy'],
    [{ code: 1401, error: 'Invalid Parameter: image' }, 'invalid_params'],
    [{ code: 5003, error: 'Service Unavailable' }, 'upstream_error'],
    [{ status: 'timeout' }, 'timeout'],
    [{ status: 'cancelled' }, 'upstream_error'],
  ];
  for (const [failure, code] of cases) {
    fake.plan = () => ({ durationMs: 100, failure });
    const { taskId } = await ws.submit(job({ prompt: `fails ${JSON.stringify(failure)}` }), signal());
    const { status } = await pollToEnd(ws, taskId);
    assert.equal(status.state, 'failed');
    assert.equal(status.state === 'failed' && status.code, code, JSON.stringify(status));
  }
  fake.plan = () => ({ durationMs: 100, failure: { status: 'weird' } });
  const { taskId } = await ws.submit(job({ prompt: 'weird' }), signal());
  await new Promise((r) => setTimeout(r, 150));
  const e = await rejection<ProviderError>(() => ws.poll(taskId, signal()));
  assert.ok(e instanceof ProviderError && e.retryable);
  assert.match(e.message, /unknown task status "weird"/);
  fake.plan = () => ({ durationMs: 600 });
});

test('submit errors: bad key and balance exhausted rest the provider; 429 with and without Retry-After; 5xx and timeouts are retryable; an unknown model id names the path', async () => {
  const bad = new WavespeedProvider(env.options(fake.url, 'wrong-key', WAVESPEED_COSTS.table));
  const auth = await rejection<ProviderError>(() => bad.submit(job(), signal()));
  assert.equal(auth.code, 'upstream_auth');
  assert.equal(auth.retryable, false);
  assert.equal(auth.opts.markUnhealthy, true);
  assert.match(auth.message, /WAVESPEED_API_KEY/);

  fake.inject('submit', WS_FAULTS.balance);
  const balance = await rejection<ProviderError>(() => ws.submit(job(), signal()));
  assert.equal(balance.code, 'provider_balance');
  assert.equal(balance.opts.markUnhealthy, true);

  // Each rate-limited provider blocks its own submit budget afterwards: a fresh one per case.
  const limited = new WavespeedProvider(env.options(fake.url, KEY, WAVESPEED_COSTS.table));
  fake.inject('submit', WS_FAULTS.rateLimited(2));
  const rl = await rejection<ProviderError>(() => limited.submit(job(), signal()));
  assert.deepEqual([rl.retryable, rl.opts.rateLimited, rl.opts.retryAfterMs], [true, true, 2000]);
  const plain = new WavespeedProvider(env.options(fake.url, KEY, WAVESPEED_COSTS.table));
  fake.inject('submit', WS_FAULTS.rateLimited());
  const rl2 = await rejection<ProviderError>(() => plain.submit(job(), signal()));
  assert.deepEqual([rl2.retryable, rl2.opts.rateLimited, rl2.opts.retryAfterMs], [true, true, undefined]);

  const fresh = new WavespeedProvider(env.options(fake.url, KEY, WAVESPEED_COSTS.table));
  fake.inject('submit', WS_FAULTS.serverError);
  const five = await rejection<ProviderError>(() => fresh.submit(job(), signal()));
  assert.deepEqual([five.code, five.retryable], ['upstream_error', true]);
  fake.inject('submit', { kind: 'slow', delayMs: 2500 });
  const slow = await rejection<ProviderError>(() => fresh.submit(job(), signal()));
  assert.equal(slow.retryable, true);
  assert.match(slow.message, /no answer within 1500 ms/);

  fake.inject('submit', { kind: 'http', status: 400, body: { message: 'Invalid Parameter: prompt too long', error_code: 1401 } });
  const invalid = await rejection<ProviderError>(() => fresh.submit(job(), signal()));
  assert.deepEqual([invalid.code, invalid.retryable], ['invalid_params', false]);

  const wrongId = new WavespeedProvider(env.options(fake.url, KEY, WAVESPEED_COSTS.table, { modelIds: { 't2v-768p': 'minimax/hailuo-2.3/t2v-standrad' } }));
  const unknown = await rejection<ProviderError>(() => wrongId.submit(job(), signal()));
  assert.equal(unknown.code, 'provider_unavailable');
  assert.match(unknown.message, /\/api\/v3\/minimax\/hailuo-2\.3\/t2v-standrad/);
  assert.match(unknown.message, /REELAY_UPSTREAM_MODEL_IDS/);
});

test('cancel deletes the prediction; it then reads as failed', async () => {
  fake.plan = () => ({ durationMs: 60_000 });
  const { taskId } = await ws.submit(job({ prompt: 'long #ws-cancel' }), signal());
  await ws.cancel(taskId, signal());
  assert.equal(fake.count('delete', taskId), 1);
  const s = await ws.poll(taskId, signal());
  assert.equal(s.state, 'failed');
  await ws.cancel('no-such-task', signal()); // 404: nothing to stop, not an error
  fake.plan = () => ({ durationMs: 600 });
});

test('webhooks: submitted with ?webhook=, the v3 HMAC (raw whsec_ key, hex) verifies; a wrong or stale signature does not', async () => {
  const got: Array<{ raw: string; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ raw: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/wavespeed/tok`;
  try {
    const p = new WavespeedProvider(env.options(fake.url, KEY, WAVESPEED_COSTS.table, { callbackUrl: hook }));
    fake.plan = () => ({ durationMs: 100 });
    const { taskId } = await p.submit(job({ prompt: 'hook #ws-hook' }), signal());
    assert.equal(fake.submits.find((s) => s.taskId === taskId)!.query.webhook, hook);
    for (let i = 0; i < 100 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    fake.badSignatures = 1;
    await p.submit(job({ prompt: 'hook #ws-hook-bad' }), signal());
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.length, 2);
    const good = got.find((g) => JSON.parse(g.raw).id === taskId)!;
    const forged = got.find((g) => JSON.parse(g.raw).id !== taskId)!;
    assert.match(String(good.headers['webhook-signature']), /^v3,[0-9a-f]{64}$/);
    assert.equal(await p.verifyCallback(good.raw, good.headers), true);
    assert.deepEqual(p.parseCallback(JSON.parse(good.raw)), { kind: 'hint', taskId });
    assert.equal(await p.verifyCallback(forged.raw, forged.headers), false);
    const tampered = good.raw.replace(taskId, `${taskId}0`);
    assert.notEqual(tampered, good.raw);
    assert.equal(await p.verifyCallback(tampered, good.headers), false, 'the body is signed');
    assert.equal(await p.verifyCallback(good.raw, { ...good.headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 400) }), false, 'stale');
    assert.equal(fake.count('secret'), 1, 'the secret is fetched once; a bad signature does not refetch it within a minute');
  } finally {
    fake.plan = () => ({ durationMs: 600 });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('cost table: the published prices by variant, t2v vs i2v, the dearer without a mode', () => {
  assert.equal(ws.costUsd('hailuo-2.3', '768p', 6, false), 0.23);
  assert.equal(ws.costUsd('hailuo-2.3', '768p', 6, true), 0.28);
  assert.equal(ws.costUsd('hailuo-2.3', '768p', 6), 0.28);
  assert.equal(ws.costUsd('hailuo-2.3', '1080p', 6), 0.49);
  assert.equal(ws.costUsd('hailuo-2.3-fast', '768p', 10), 0.32);
  assert.equal(ws.costUsd('hailuo-2.3', '1080p', 10), null, 'no such variant');
});

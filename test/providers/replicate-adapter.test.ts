import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { I2V_DEFAULT_PROMPT, ProviderError, ReplicateProvider, REPLICATE_COSTS, type AggregatorOptions } from '../../src/providers/index.js';
import { REPLICATE_FAULTS, REPLICATE_FLAGGED, startFakeReplicate, type FakeReplicate, type ReplicateFailure } from '../support/replicate-server.js';
import { adapterEnv, bytesOf, job, pollToEnd, rejection, signal, type AdapterEnv } from './aggregator-helpers.js';

const KEY = 'r8_test_0123456789abcdef';
let fake: FakeReplicate;
let env: AdapterEnv;
let rep: ReplicateProvider;

function make(o: Partial<AggregatorOptions> = {}, key = KEY): ReplicateProvider {
  return new ReplicateProvider(env.options(`${fake.url}/v1`, key, REPLICATE_COSTS.table, o));
}

before(async () => {
  fake = await startFakeReplicate({ apiKey: KEY, taskMs: 600 });
  env = await adapterEnv('replicate');
  rep = make();
});
after(async () => {
  await fake.stop();
  await env.close();
});

test('request mapping: official model per family, `{input}` with integer duration, lower-case resolution, `first_frame_image`, a prompt supplied for image-to-video', async () => {
  const t2v = await rep.submit(job({ prompt: 'fox #rep-t2v', durationSeconds: 10, promptOptimizer: false }), signal());
  const pro = await rep.submit(job({ prompt: 'fox #rep-pro', resolution: '1080p' }), signal());
  const fast = await rep.submit(job({ model: 'hailuo-2.3-fast', prompt: '', image: await env.image() }), signal());
  const by = (id: string) => fake.creates.find((c) => c.taskId === id)!;
  assert.equal(by(t2v.taskId).model, 'minimax/hailuo-2.3');
  assert.deepEqual(by(t2v.taskId).body, { input: { prompt: 'fox #rep-t2v', duration: 10, resolution: '768p', prompt_optimizer: false } });
  assert.deepEqual(by(pro.taskId).body.input, { prompt: 'fox #rep-pro', duration: 6, resolution: '1080p', prompt_optimizer: true });
  assert.equal(by(fast.taskId).model, 'minimax/hailuo-2.3-fast');
  const input = by(fast.taskId).body.input as Record<string, unknown>;
  assert.equal(input.prompt, I2V_DEFAULT_PROMPT);
  assert.match(String(input.first_frame_image), /^data:image\/png;base64,/);
});

test('statuses starting → processing → succeeded; the output URI is streamed', async () => {
  fake.plan = () => ({ durationMs: 2400, queuedFraction: 0.5 });
  const { taskId } = await rep.submit(job({ prompt: 'harbor #rep-ok' }), signal());
  fake.plan = () => ({ durationMs: 600 });
  const { status, seen } = await pollToEnd(rep, taskId);
  assert.deepEqual(status, { state: 'succeeded', fileRef: taskId });
  assert.deepEqual(seen, ['queued', 'running', 'succeeded']);
  assert.ok((await bytesOf(await rep.download(taskId, signal()))).length > 1000);
});

test('failures: E005 → content_policy; other `failed` → upstream_error; `canceled` and `aborted` are distinct; an unknown status fails loudly', async () => {
  const cases: Array<[ReplicateFailure, string, RegExp]> = [
    [REPLICATE_FLAGGED, 'content_policy', /E005/],
    [{ status: 'failed', error: 'CUDA out of memory (E001)' }, 'upstream_error', /E001/],
    [{ status: 'canceled' }, 'upstream_error', /canceled/],
    [{ status: 'aborted' }, 'timeout', /aborted.*not billed/],
  ];
  for (const [failure, code, message] of cases) {
    fake.plan = () => ({ durationMs: 100, failure });
    const { taskId } = await rep.submit(job({ prompt: `fails ${failure.status}` }), signal());
    const { status } = await pollToEnd(rep, taskId);
    assert.ok(status.state === 'failed' && status.code === code && message.test(status.message), JSON.stringify(status));
  }
  fake.plan = () => ({ durationMs: 100, failure: { status: 'weird' } });
  const { taskId } = await rep.submit(job({ prompt: 'weird' }), signal());
  await new Promise((r) => setTimeout(r, 150));
  assert.match((await rejection<ProviderError>(() => rep.poll(taskId, signal()))).message, /unknown prediction status "weird"/);
  fake.plan = () => ({ durationMs: 600 });
});

test('an expired output URL is refreshed by a fresh GET; an output removed after the hour (data_removed) fails loudly', async () => {
  const { taskId } = await rep.submit(job({ prompt: 'dusk #rep-expired' }), signal());
  await pollToEnd(rep, taskId);
  const before = fake.count('get', taskId);
  fake.inject('get', { kind: 'expired' });
  assert.ok((await bytesOf(await rep.download(taskId, signal()))).length > 1000);
  assert.equal(fake.count('get', taskId) - before, 2);
  fake.removeData(taskId);
  const e = await rejection<ProviderError>(() => rep.download(taskId, signal()));
  assert.equal(e.retryable, false);
  assert.match(e.message, /data_removed/);
});

test('errors: 401 and 402 rest the provider; 429 ± Retry-After; 502 and timeouts retryable; 422 invalid_params with Replicate\'s detail; an unknown model names its path', async () => {
  const auth = await rejection<ProviderError>(() => make({}, 'r8_wrong').submit(job(), signal()));
  assert.deepEqual([auth.code, auth.retryable, auth.opts.markUnhealthy], ['upstream_auth', false, true]);
  assert.match(auth.message, /REPLICATE_API_TOKEN/);
  fake.inject('create', REPLICATE_FAULTS.balance);
  const bal = await rejection<ProviderError>(() => rep.submit(job(), signal()));
  assert.deepEqual([bal.code, bal.opts.markUnhealthy], ['provider_balance', true]);
  assert.match(bal.message, /Insufficient credit/);
  const a = make();
  fake.inject('create', REPLICATE_FAULTS.rateLimited(4));
  assert.deepEqual(await rejection<ProviderError>(() => a.submit(job(), signal())).then((e) => [e.opts.rateLimited, e.opts.retryAfterMs]), [true, 4000]);
  const b = make();
  fake.inject('create', REPLICATE_FAULTS.rateLimited());
  assert.deepEqual(await rejection<ProviderError>(() => b.submit(job(), signal())).then((e) => [e.opts.rateLimited, e.opts.retryAfterMs]), [true, undefined]);
  fake.inject('create', REPLICATE_FAULTS.serverError);
  assert.deepEqual(await rejection<ProviderError>(() => rep.submit(job(), signal())).then((e) => [e.code, e.retryable]), ['upstream_error', true]);
  fake.inject('get', { kind: 'slow', delayMs: 2500 });
  assert.equal((await rejection<ProviderError>(() => rep.poll('x', signal()))).retryable, true);
  const invalid = await rejection<ProviderError>(() => rep.submit(job({ resolution: '1080p', durationSeconds: 10 }), signal()));
  assert.deepEqual([invalid.code, invalid.retryable], ['invalid_params', false]);
  assert.match(invalid.message, /1080p supports only 6-second/);
  const wrong = make({ modelIds: { 'fast-768p': 'minimax/hailuo-2-3-fast' } });
  const image = await env.image();
  const unknown = await rejection<ProviderError>(() => wrong.submit(job({ model: 'hailuo-2.3-fast', image }), signal()));
  assert.equal(unknown.code, 'provider_unavailable');
  assert.match(unknown.message, /\/v1\/models\/minimax\/hailuo-2-3-fast\/predictions/);
});

test('cancel: POST …/cancel makes the prediction `canceled`', async () => {
  fake.plan = () => ({ durationMs: 60_000 });
  const { taskId } = await rep.submit(job({ prompt: 'long #rep-cancel' }), signal());
  await rep.cancel(taskId, signal());
  const s = await rep.poll(taskId, signal());
  assert.ok(s.state === 'failed' && /canceled/.test(s.message));
  fake.plan = () => ({ durationMs: 600 });
});

test('webhooks: `webhook` + `webhook_events_filter: ["completed"]`; Standard Webhooks v1 (base64-decoded whsec_ key) verified; a wrong key or stale timestamp is refused', async () => {
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
  const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/replicate/tok`;
  try {
    const p = make({ callbackUrl: hook });
    fake.plan = () => ({ durationMs: 100 });
    const { taskId } = await p.submit(job({ prompt: 'hook #rep-hook' }), signal());
    const body = fake.creates.find((c) => c.taskId === taskId)!.body;
    assert.equal(body.webhook, hook);
    assert.deepEqual(body.webhook_events_filter, ['completed']);
    for (let i = 0; i < 100 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    fake.badSignatures = 1;
    await p.submit(job({ prompt: 'hook #rep-hook-bad' }), signal());
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const [good, forged] = got;
    assert.ok(good && forged);
    assert.match(String(good.headers['webhook-signature']), /^v1,[A-Za-z0-9+/=]+$/);
    assert.equal(await p.verifyCallback(good.raw, good.headers), true);
    assert.equal(await p.verifyCallback(good.raw, { ...good.headers, 'webhook-signature': `v1,bm9wZQ== ${String(good.headers['webhook-signature'])}` }), true, 'any entry of the list may match');
    assert.deepEqual(p.parseCallback(JSON.parse(good.raw)), { kind: 'hint', taskId });
    assert.equal(await p.verifyCallback(forged.raw, forged.headers), false);
    assert.equal(await p.verifyCallback(good.raw, { ...good.headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 301) }), false);
  } finally {
    fake.plan = () => ({ durationMs: 600 });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('cost table: Fast has third-party prices; Hailuo 2.3 is unknown (null) until the operator sets it', () => {
  assert.equal(rep.costUsd('hailuo-2.3-fast', '768p', 6), 0.19);
  assert.equal(rep.costUsd('hailuo-2.3', '768p', 6, false), null);
  assert.equal(rep.costUsd('hailuo-2.3', '768p', 6), null);
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FalProvider, FAL_COSTS, I2V_DEFAULT_PROMPT, ProviderError, type AggregatorOptions } from '../../src/providers/index.js';
import { FAL_CONTENT_POLICY, FAL_FAULTS, startFakeFal, type FakeFal, type FalFailure } from '../support/fal-server.js';
import { adapterEnv, bytesOf, job, pollToEnd, rejection, signal, type AdapterEnv } from './aggregator-helpers.js';

const KEY = 'fal-key-id:fal-key-secret-0123';
let fake: FakeFal;
let env: AdapterEnv;
let fal: FalProvider;

function make(o: Partial<AggregatorOptions> = {}, key = KEY): FalProvider {
  return new FalProvider({ ...env.options(fake.url, key, FAL_COSTS.table, o), jwksUrl: `${fake.url}/.well-known/jwks.json` });
}

before(async () => {
  fake = await startFakeFal({ apiKey: KEY, taskMs: 600 });
  env = await adapterEnv('fal');
  fal = make();
});
after(async () => {
  await fake.stop();
  await env.close();
});

test('request mapping: endpoint per variant, `image_url`, duration as a STRING on standard only, `prompt_optimizer`, a prompt supplied for image-to-video', async () => {
  const t2v = await fal.submit(job({ prompt: 'fox #fal-t2v', durationSeconds: 10, promptOptimizer: false }), signal());
  const pro = await fal.submit(job({ prompt: 'fox #fal-pro', resolution: '1080p' }), signal());
  const i2v = await fal.submit(job({ prompt: '', image: await env.image() }), signal());
  const fast = await fal.submit(job({ model: 'hailuo-2.3-fast', prompt: 'x', durationSeconds: 10, image: await env.image() }), signal());
  const by = (id: string) => fake.submits.find((s) => s.taskId === id)!;
  assert.equal(by(t2v.taskId).model, 'fal-ai/minimax/hailuo-2.3/standard/text-to-video');
  assert.deepEqual(by(t2v.taskId).body, { prompt: 'fox #fal-t2v', prompt_optimizer: false, duration: '10' });
  assert.equal(by(pro.taskId).model, 'fal-ai/minimax/hailuo-2.3/pro/text-to-video');
  assert.equal(by(pro.taskId).body.duration, undefined);
  assert.equal(by(i2v.taskId).model, 'fal-ai/minimax/hailuo-2.3/standard/image-to-video');
  assert.equal(by(i2v.taskId).body.prompt, I2V_DEFAULT_PROMPT, 'fal requires a prompt even for image-to-video');
  assert.match(String(by(i2v.taskId).body.image_url), /^data:image\/png;base64,/);
  assert.equal(by(fast.taskId).model, 'fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video');
  assert.equal(by(fast.taskId).body.duration, '10');
});

test('status and result under <owner>/<app> only; IN_QUEUE → IN_PROGRESS → COMPLETED with a 2xx result succeeds; video.url is streamed', async () => {
  // Long enough phases (1.2 s each) that a 50 ms poller sees both on a loaded machine.
  fake.plan = () => ({ durationMs: 2400, queuedFraction: 0.5 });
  const { taskId } = await fal.submit(job({ prompt: 'harbor #fal-ok' }), signal());
  fake.plan = () => ({ durationMs: 600 });
  const { status, seen } = await pollToEnd(fal, taskId);
  assert.deepEqual(status, { state: 'succeeded', fileRef: taskId });
  assert.deepEqual(seen, ['queued', 'running', 'succeeded']);
  assert.ok(fake.calls.filter((c) => c.taskId === taskId).every((c) => c.path.startsWith(`/fal-ai/minimax/requests/${taskId}`)));
  const bytes = await bytesOf(await fal.download(taskId, signal()));
  assert.ok(bytes.length > 1000);
});

test('fal reports failure as COMPLETED: the result fetch decides (422 content_policy_violation → content_policy; other 422 → invalid_params; 500 with an error in the status → upstream_error)', async () => {
  const cases: Array<[FalFailure, string]> = [
    [FAL_CONTENT_POLICY, 'content_policy'],
    [{ status: 422, body: { detail: [{ loc: ['body', 'image_url'], msg: 'Could not download the image', type: 'file_download_error' }] }, error: 'Invalid status code: 422' }, 'invalid_params'],
    [{ status: 500, body: { detail: 'Internal error', error_type: 'runner_disconnected' }, error: 'Invalid status code: 500', errorType: 'runner_disconnected' }, 'upstream_error'],
  ];
  for (const [failure, code] of cases) {
    fake.plan = () => ({ durationMs: 100, failure });
    const { taskId } = await fal.submit(job({ prompt: `fails ${code}` }), signal());
    const { status, seen } = await pollToEnd(fal, taskId);
    assert.equal(seen.includes('succeeded'), false);
    assert.equal(status.state === 'failed' && status.code, code, JSON.stringify(status));
    assert.equal(fake.count('result', taskId), 1, 'one result call decided it');
  }
  fake.plan = () => ({ durationMs: 600 });
});

test('an expired video URL is refreshed through a fresh result call', async () => {
  const { taskId } = await fal.submit(job({ prompt: 'dusk #fal-expired' }), signal());
  await pollToEnd(fal, taskId);
  const before = fake.count('result', taskId);
  fake.inject('result', { kind: 'expired' });
  assert.ok((await bytesOf(await fal.download(taskId, signal()))).length > 1000);
  assert.equal(fake.count('result', taskId) - before, 2);
});

test('errors: bad key (401) and "User is locked" 403s rest the provider (exhausted balance → provider_balance, admin lock → upstream_auth); 429 ± Retry-After; 503 and timeouts retryable; a validation 422 is invalid_params naming the field', async () => {
  const auth = await rejection<ProviderError>(() => make({}, 'wrong').submit(job(), signal()));
  assert.deepEqual([auth.code, auth.retryable, auth.opts.markUnhealthy], ['upstream_auth', false, true]);
  assert.match(auth.message, /FAL_KEY/);
  fake.inject('submit', FAL_FAULTS.balance);
  const bal = await rejection<ProviderError>(() => fal.submit(job(), signal()));
  assert.deepEqual([bal.code, bal.opts.markUnhealthy], ['provider_balance', true]);
  fake.inject('submit', FAL_FAULTS.adminLock);
  assert.equal((await rejection<ProviderError>(() => fal.submit(job(), signal()))).code, 'upstream_auth');
  fake.inject('status', FAL_FAULTS.balance);
  const { taskId } = await fal.submit(job({ prompt: 'locked while running' }), signal());
  const mid = await rejection<ProviderError>(() => fal.poll(taskId, signal()));
  assert.deepEqual([mid.code, mid.retryable], ['provider_balance', true], 'a running task only waits');

  const a = make();
  fake.inject('submit', FAL_FAULTS.rateLimited(3));
  const rl = await rejection<ProviderError>(() => a.submit(job(), signal()));
  assert.deepEqual([rl.opts.rateLimited, rl.opts.retryAfterMs], [true, 3000]);
  const b = make();
  fake.inject('status', FAL_FAULTS.rateLimited());
  const rl2 = await rejection<ProviderError>(() => b.poll(taskId, signal()));
  assert.deepEqual([rl2.opts.rateLimited, rl2.opts.retryAfterMs], [true, undefined]);

  fake.inject('submit', FAL_FAULTS.serverError);
  assert.deepEqual(await rejection<ProviderError>(() => fal.submit(job(), signal())).then((e) => [e.code, e.retryable]), ['upstream_error', true]);
  fake.inject('submit', { kind: 'http', status: 422, body: { detail: [{ loc: ['body', 'duration'], msg: "Input should be '6' or '10'", type: 'literal_error' }] } });
  const invalid = await rejection<ProviderError>(() => fal.submit(job(), signal()));
  assert.deepEqual([invalid.code, invalid.retryable], ['invalid_params', false]);
  assert.match(invalid.message, /body\.duration: Input should be '6' or '10'/);
  fake.inject('status', { kind: 'slow', delayMs: 2500 });
  assert.equal((await rejection<ProviderError>(() => fal.poll(taskId, signal()))).retryable, true);
});

test('an unexpected status_url (the <owner>/<app> rule broken) rests fal naming the app, keeps the create as one of unknown outcome, and cancels the request; mixed apps are refused at start', async () => {
  fake.app = 'fal-ai/minimax-v2';
  try {
    const e = await rejection<ProviderError>(() => fal.submit(job({ prompt: 'moved #fal-moved' }), signal()));
    assert.deepEqual([e.code, e.retryable, e.opts.markUnhealthy, e.opts.ambiguous], ['provider_unavailable', false, true, true]);
    assert.match(e.message, /status URL under fal-ai\/minimax-v2, not under fal-ai\/minimax:/);
    // The job's message is the customer's: neither fal's host nor the request id.
    assert.doesNotMatch(e.message, /https?:|requests\//);
    const t = fake.taskFor('#fal-moved')!;
    assert.equal(fake.count('cancel', t.id), 1);
    assert.equal(t.canceled, true);
  } finally {
    fake.app = 'fal-ai/minimax';
  }
  assert.throws(() => make({ modelIds: { 't2v-768p': 'fal-ai/other/x' } }), /must share one <owner>\/<app>/);
});

test('cancel: PUT …/cancel; an already completed request is not an error', async () => {
  fake.plan = () => ({ durationMs: 60_000 });
  const { taskId } = await fal.submit(job({ prompt: 'long #fal-cancel' }), signal());
  await fal.cancel(taskId, signal());
  assert.equal(fake.count('cancel', taskId), 1);
  assert.equal((await fal.poll(taskId, signal())).state, 'failed');
  await fal.cancel(taskId, signal()); // ALREADY_COMPLETED
  fake.plan = () => ({ durationMs: 600 });
});

test('webhooks: ?fal_webhook=, ED25519 over request/user/timestamp/sha256(body) verified against the JWKS; a stranger key or a stale timestamp is refused', async () => {
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
  const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/fal/tok`;
  try {
    const p = make({ callbackUrl: hook });
    fake.plan = () => ({ durationMs: 100 });
    const { taskId } = await p.submit(job({ prompt: 'hook #fal-hook' }), signal());
    assert.equal(fake.submits.find((s) => s.taskId === taskId)!.query.fal_webhook, hook);
    for (let i = 0; i < 100 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    fake.badSignatures = 1;
    await p.submit(job({ prompt: 'hook #fal-hook-bad' }), signal());
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const [good, forged] = got;
    assert.ok(good && forged);
    assert.equal(await p.verifyCallback(good.raw, good.headers), true);
    assert.deepEqual(p.parseCallback(JSON.parse(good.raw)), { kind: 'hint', taskId });
    assert.equal(await p.verifyCallback(forged.raw, forged.headers), false);
    assert.equal(await p.verifyCallback(`${good.raw} `, good.headers), false, 'the body hash is signed');
    assert.equal(await p.verifyCallback(good.raw, { ...good.headers, 'x-fal-webhook-timestamp': String(Math.floor(Date.now() / 1000) + 400) }), false);
    assert.equal(fake.count('jwks'), 1, 'the key set is cached');
  } finally {
    fake.plan = () => ({ durationMs: 600 });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('cost table: fal published prices', () => {
  assert.equal(fal.costUsd('hailuo-2.3', '768p', 6, false), 0.28);
  assert.equal(fal.costUsd('hailuo-2.3', '768p', 10), 0.56);
  assert.equal(fal.costUsd('hailuo-2.3-fast', '1080p', 6), 0.33);
});

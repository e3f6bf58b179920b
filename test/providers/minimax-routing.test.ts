import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { AppError } from '../../src/errors.js';
import { findModel } from '../../src/catalog/index.js';
import { ProviderHealth, ProviderRegistry, type RemoteProvider } from '../../src/providers/index.js';
import { DEFAULT_POLL_SCHEDULE, errorForCode, pollDelayMs, taskStatus } from '../../src/providers/minimax/index.js';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { jobRow, ledgerOf, liveAccount, startLive, submit, MM_KEY } from './minimax-helpers.js';

function stub(name: string): RemoteProvider {
  return {
    kind: 'remote',
    name,
    submit: async () => ({ taskId: '1' }),
    poll: async () => ({ state: 'running' }),
    download: async () => Readable.from([]),
    nextPollDelayMs: () => 1000,
    costUsd: () => null,
  };
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError);
    return err;
  }
  throw new Error('expected a refusal');
}

test('routing table: test keys always get the sandbox; live keys the first healthy provider, then the fallback, then a 503 with Retry-After', async () => {
  const health = new ProviderHealth(null, 150);
  const reg = new ProviderRegistry(health).register(stub('sandbox')).register(stub('minimax')).register(stub('backup'));
  assert.match(refusal(() => reg.pick('hailuo-2.3', 'live')).message, /MINIMAX_API_KEY/);
  reg.route('hailuo-2.3', ['minimax', 'backup']);
  assert.equal(reg.pick('hailuo-2.3', 'test'), 'sandbox');
  assert.equal(reg.pick('hailuo-2.3', 'live'), 'minimax');
  await health.mark('minimax', 'upstream_auth: bad key');
  assert.equal(reg.pick('hailuo-2.3', 'live'), 'backup');
  assert.equal(reg.pick('hailuo-2.3', 'test'), 'sandbox', 'test keys ignore upstream health');
  assert.equal(reg.fallback('hailuo-2.3', 'minimax'), 'backup');
  await health.mark('backup', 'provider_balance: empty');
  const e = refusal(() => reg.pick('hailuo-2.3', 'live'));
  assert.equal(e.code, 'provider_unavailable');
  assert.equal(e.status, 503);
  assert.equal(e.retryAfterSeconds, 1);
  assert.equal(reg.fallback('hailuo-2.3', 'minimax'), null);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(reg.pick('hailuo-2.3', 'live'), 'minimax', 'the cooldown ends by itself');
});

test('poll schedule: a 180 s generation in 3 status calls (≤ 4 at any jitter), a Fast job at 90 s in 2, a 10-minute straggler in ≤ 18', () => {
  const standard = findModel('hailuo-2.3')!;
  const typical = standard.typicalSeconds * 1000;
  for (const random of [() => 0, () => 0.5, () => 0.999]) {
    assert.ok(pollsUntil(typical, 180_000, random).calls <= 4, `180 s: ${pollsUntil(typical, 180_000, random).calls}`);
  }
  assert.equal(pollsUntil(typical, 180_000, () => 0.5).calls, 3);
  assert.equal(pollsUntil(90_000, 90_000, () => 0.5).calls, 2);
  assert.ok(pollsUntil(typical, 600_000, () => 0.5).calls <= 18);
  // Nothing before 0.9 × typical: a task cannot be done that early often enough to pay for a call.
  assert.equal(pollDelayMs(typical, 0, DEFAULT_POLL_SCHEDULE, () => 0.5), 162_000);
  // Never faster than MiniMax's recommended 10 s after the first, minus jitter.
  for (let n = 1; n < 30; n++) assert.ok(pollDelayMs(typical, n, DEFAULT_POLL_SCHEDULE, () => 0) >= 9000);
  // Backing off past 1.4 × typical, up to the ceiling.
  assert.equal(pollDelayMs(typical, 10, DEFAULT_POLL_SCHEDULE, () => 0.5), 15_000);
  assert.equal(pollDelayMs(typical, 40, DEFAULT_POLL_SCHEDULE, () => 0.5), 60_000);
});

test('poll schedule meets issue 14\'s polling goal in numbers: completions log-normal around typical (σ 0.1) → ≤ 4 status calls and lag mean ≤ 6 s', () => {
  const typical = 180_000;
  let seed = 7;
  const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  let calls = 0;
  let lag = 0;
  const n = 5000;
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const r = pollsUntil(typical, typical * Math.exp(0.1 * z), rnd);
    calls += r.calls;
    lag += r.lagMs;
  }
  assert.ok(calls / n <= 4, `calls/job ${calls / n}`);
  assert.ok(lag / n <= 6000, `lag mean ${lag / n} ms`);
});

/** Status calls until a task done at `doneMs` is seen, and how late it is seen. */
function pollsUntil(typicalMs: number, doneMs: number, random: () => number): { calls: number; lagMs: number } {
  let t = 0;
  for (let n = 0; ; n++) {
    t += pollDelayMs(typicalMs, n, DEFAULT_POLL_SCHEDULE, random);
    if (t >= doneMs) return { calls: n + 1, lagMs: t - doneMs };
  }
}

test('MiniMax codes map to Reelay error classes', () => {
  for (const c of [1002, 1039, 1041, 2045]) {
    const e = errorForCode(c, 'x', 'submit');
    assert.ok(e.retryable && e.opts.rateLimited, `${c}`);
  }
  for (const c of [1004, 2049]) {
    assert.equal(errorForCode(c, 'x', 'submit').code, 'upstream_auth');
    assert.equal(errorForCode(c, 'x', 'submit').retryable, false);
    assert.equal(errorForCode(c, 'x', 'poll').retryable, true, 'a task already running is waited for, not failed');
    assert.ok(errorForCode(c, 'x', 'poll').opts.markUnhealthy);
  }
  for (const c of [1008, 1028, 1030, 2056, 2061]) assert.equal(errorForCode(c, 'x', 'submit').code, 'provider_balance');
  for (const c of [1026, 1027]) assert.equal(errorForCode(c, 'x', 'poll').code, 'content_policy');
  assert.equal(errorForCode(2013, 'invalid params, duration', 'submit').message, 'MiniMax rejected the request: invalid params, duration (2013)');
  for (const c of [1000, 1001, 1013, 1024, 1033, 4242]) assert.equal(errorForCode(c, 'x', 'poll').retryable, true, `${c}`);
});

test('task statuses: case-insensitive Fail/Failed, unknown words are running, Success needs a file id', () => {
  assert.deepEqual(taskStatus({ status: 'Success', file_id: 17 }), { state: 'succeeded', fileRef: '17' });
  assert.deepEqual(taskStatus({ status: 'success', file_id: '' }), { state: 'running' });
  for (const s of ['Fail', 'Failed', 'failed', 'FAIL']) assert.equal(taskStatus({ status: s }).state, 'failed', s);
  assert.equal(taskStatus({ status: 'Preparing' }).state, 'queued');
  assert.equal(taskStatus({ status: 'Queueing' }).state, 'queued');
  assert.equal(taskStatus({ status: 'Processing' }).state, 'running');
  assert.equal(taskStatus({ status: 'Rendering' }).state, 'running');
  assert.equal(taskStatus({}).state, 'running');
  const flagged = taskStatus({ status: 'Fail', base_resp: { status_code: 1027, status_msg: 'output new_sensitive' } });
  assert.equal(flagged.state === 'failed' && flagged.code, 'content_policy');
});

let fake: FakeMinimax;
let r: TestReelay;
before(async () => {
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 600 });
  r = await startLive(fake, { workerConcurrency: 1, providerCooldownSeconds: 8, liveRoutes: { 'hailuo-2.3': ['minimax', 'sandbox'] } });
});
after(async () => {
  await r?.stop();
  await fake?.stop();
});

test('fallback through the routing table: while MiniMax rests, queued live jobs move to the next provider and new ones are routed there; afterwards MiniMax serves again', async () => {
  const a = await liveAccount(r);
  fake.inject('create', { kind: 'code', code: 1004, msg: 'token not match group' });
  const first = await submit(r, a.key, { prompt: 'wrong region key #r1' });
  const queued = await submit(r, a.key, { prompt: 'waits in the queue #r2' });
  // The refused job itself fails over (no task existed at MiniMax): it completes on the fallback.
  const refused = await waitForJob(r.url, a.key, first, { timeoutMs: 30_000 });
  assert.equal(refused.status, 'COMPLETED', JSON.stringify(refused));
  assert.equal((await jobRow(r, first)).provider, 'sandbox');
  const during = await api(r.url, a.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'while resting #r3' });
  assert.equal(during.status, 202);
  assert.equal((await jobRow(r, String(during.body.jobId))).provider, 'sandbox');
  // Every process sees the verdict: a second health view on the same database (an API process) loads it.
  const other = new ProviderHealth(r.reelay.db, 8000);
  await other.refresh();
  assert.match(other.cooldown('minimax')?.reason ?? '', /upstream_auth/);
  const moved = await waitForJob(r.url, a.key, queued, { timeoutMs: 30_000 });
  assert.equal(moved.status, 'COMPLETED', JSON.stringify(moved));
  assert.equal((await jobRow(r, queued)).provider, 'sandbox');
  assert.equal(fake.createsFor('#r2'), 0);
  const row = await jobRow(r, queued);
  assert.deepEqual(await ledgerOf(r, queued), [`hold:${row.price}`, `capture:${row.price}`]);

  const { rows } = await r.reelay.db.query<{ until: Date }>(`SELECT unhealthy_until AS until FROM provider_health WHERE provider = 'minimax'`);
  await new Promise((res) => setTimeout(res, rows[0]!.until.getTime() - Date.now() + 300));
  const after = await submit(r, a.key, { prompt: 'healthy again #r4' });
  assert.equal((await jobRow(r, after)).provider, 'minimax');
  assert.equal((await waitForJob(r.url, a.key, after, { timeoutMs: 20_000 })).status, 'COMPLETED');
});

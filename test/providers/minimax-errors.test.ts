import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { jobRow, ledgerOf, liveAccount, liveWallet, startLive, submit, waitRow, MM_KEY } from './minimax-helpers.js';

let fake: FakeMinimax;
let r: TestReelay;
const COOLDOWN_S = 2;

before(async () => {
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 800 });
  // One job at a time, so "the next job" after a provider failure is well defined.
  r = await startLive(fake, { workerConcurrency: 1, providerCooldownSeconds: COOLDOWN_S, minimaxBudgetWindowMs: 3000 });
});
after(async () => {
  await r.stop();
  await fake.stop();
});

async function failsWith(prompt: string, code: string): Promise<{ job: Record<string, unknown>; id: string; accountId: string }> {
  const a = await liveAccount(r);
  const id = await submit(r, a.key, { prompt });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'FAILED', JSON.stringify(job));
  assert.equal(job.errorCode, code);
  const { price } = await jobRow(r, id);
  // The hold is released in full: the customer pays nothing for a failed job.
  assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `release:${price}`]);
  assert.deepEqual(await liveWallet(r, a.id), { available: 1000, held: 0, spent: 0 });
  return { job, id, accountId: a.id };
}

/** Waits out a provider cooldown so the next test starts with a healthy route. */
async function coolDown(): Promise<void> {
  await new Promise((res) => setTimeout(res, COOLDOWN_S * 1000 + 200));
}

test('rate limit (1002) on create: the job goes back to queued with no task id, is retried, and is charged once', async () => {
  const a = await liveAccount(r);
  fake.inject('create', { kind: 'code', code: 1002, msg: 'rate limit exceeded(RPM)' });
  const id = await submit(r, a.key, { prompt: 'rate limited #rl' });
  const parked = await waitRow(r, id, (row) => row.attempts >= 1);
  assert.equal(parked.state, 'queued');
  assert.equal(parked.upstream_task_id, null);
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const row = await jobRow(r, id);
  assert.deepEqual(await ledgerOf(r, id), [`hold:${row.price}`, `capture:${row.price}`]);
});

test('rate limits while polling (HTTP 429, 1039, 2045) keep the job running until it completes', async () => {
  const a = await liveAccount(r);
  fake.inject('query', { kind: 'http', status: 429, retryAfterSeconds: 1 });
  fake.inject('query', { kind: 'code', code: 1039, msg: 'token limit' });
  fake.inject('query', { kind: 'code', code: 2045, msg: 'rate growth limit' });
  const id = await submit(r, a.key, { prompt: 'polling rate limit #prl' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.equal(fake.creates.filter((c) => String(c.body.prompt).includes('#prl')).length, 1);
});

test('content policy: 1026 at create and 1027 reported with Fail both fail the job as content_policy, refunded', async () => {
  fake.inject('create', { kind: 'code', code: 1026, msg: 'input new_sensitive' });
  const first = await failsWith('flagged input #cp1', 'content_policy');
  assert.match(String(first.job.error), /1026/);
  fake.plan = (b) => (String(b.prompt).includes('#cp2') ? { durationMs: 500, outcome: { code: 1027, msg: 'output new_sensitive' } } : { durationMs: 800 });
  const second = await failsWith('flagged output #cp2', 'content_policy');
  assert.match(String(second.job.error), /1027/);
  fake.plan = () => ({ durationMs: 800 });
});

test('invalid params (2013): failed as invalid_params with MiniMax\'s own message, refunded', async () => {
  fake.inject('create', { kind: 'code', code: 2013, msg: 'invalid params, prompt contains unsupported content' });
  const { job } = await failsWith('bad params #ip', 'invalid_params');
  assert.match(String(job.error), /prompt contains unsupported content/);
});

test('an upstream Fail (and the CLI\'s "Failed" spelling, in lower case) fails the job as upstream_error, refunded', async () => {
  fake.plan = (b) => ({ durationMs: 500, outcome: String(b.prompt).includes('#f1') ? 'Fail' : 'failed' });
  await failsWith('will fail #f1', 'upstream_error');
  await failsWith('will fail too #f2', 'upstream_error');
  fake.plan = () => ({ durationMs: 800 });
});

test('a bad key (2049) fails the job as upstream_auth; MiniMax then rests: new live submits get 503 and nothing is charged, queued jobs wait for the cooldown and then run', async () => {
  const a = await liveAccount(r);
  fake.inject('create', { kind: 'code', code: 2049, msg: 'invalid api key' });
  const first = await submit(r, a.key, { prompt: 'bad key #auth1' });
  const waiting = await submit(r, a.key, { prompt: 'queued behind #auth2' });
  const failed = await waitForJob(r.url, a.key, first, { timeoutMs: 20_000 });
  assert.equal(failed.errorCode, 'upstream_auth');
  assert.match(String(failed.error), /MINIMAX_API_KEY/);
  const refused = await api(r.url, a.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'while resting' });
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'provider_unavailable');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  const { rows } = await r.reelay.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE account_id = $1', [a.id]);
  assert.equal(rows[0]!.n, 2, 'the refused submit created no job');
  // The queued job was not sent and did not spend an attempt: it waits for the rest to end.
  const parked = await jobRow(r, waiting);
  assert.equal(parked.state, 'queued');
  assert.equal(parked.attempts, 0);
  assert.equal(fake.createsFor('#auth2'), 0);
  const done = await waitForJob(r.url, a.key, waiting, { timeoutMs: 20_000 });
  assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
  const { rows: health } = await r.reelay.db.query<{ reason: string }>(`SELECT reason FROM provider_health WHERE provider = 'minimax'`);
  assert.match(health[0]!.reason, /upstream_auth/);
});

test('provider balance (1008) fails the job as provider_balance, refunded, and rests the provider', async () => {
  fake.inject('create', { kind: 'code', code: 1008, msg: 'insufficient balance' });
  const { job } = await failsWith('no balance #bal', 'provider_balance');
  assert.match(String(job.error), /top up/);
  const refused = await api(r.url, (await liveAccount(r)).key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'x' });
  assert.equal(refused.status, 503);
  await coolDown();
  const a = await liveAccount(r);
  const ok = await submit(r, a.key, { prompt: 'after the rest #after' });
  assert.equal((await waitForJob(r.url, a.key, ok, { timeoutMs: 20_000 })).status, 'COMPLETED');
});

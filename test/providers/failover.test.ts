/**
 * A gateway, not a pipe: with MiniMax failing, live jobs move to the next provider of the route
 * (fal here) before any upstream accepted them, and nothing is charged or sent twice. A refusal of
 * the request itself (content policy) is never retried elsewhere. Each job's route is read back
 * from provider_events.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { FAL_FAULTS, startFakeFal, type FakeFal } from '../support/fal-server.js';
import { jobRow, ledgerOf, liveAccount, startLive, submit, waitRow, ADMIN, MM_KEY } from './minimax-helpers.js';

const FAL_KEY = 'fal-live-id:fal-live-secret';
let mm: FakeMinimax;
let fal: FakeFal;
let r: TestReelay;
let key: string;

before(async () => {
  mm = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 800 });
  fal = await startFakeFal({ apiKey: FAL_KEY, taskMs: 800 });
  r = await startLive(mm, {
    falKey: FAL_KEY,
    falBaseUrl: fal.url,
    falJwksUrl: `${fal.url}/.well-known/jwks.json`,
    upstreamPollMinIntervalMs: 200,
    upstreamPollMaxIntervalMs: 1000,
    upstreamTimeoutMs: 5000,
    // MiniMax rests briefly after a bad key, so the test can see it serve again.
    providerCooldownSeconds: 2,
  });
  key = (await liveAccount(r, 5000)).key;
});
after(async () => {
  await r.stop();
  await mm.stop();
  await fal.stop();
});

/** The route a job took: "provider:event[:class]" in order. */
async function routeOf(id: string): Promise<string[]> {
  const { rows } = await r.reelay.db.query<{ provider: string; event: string; error_class: string | null }>(
    'SELECT provider, event, error_class FROM provider_events WHERE job_id = $1 ORDER BY id',
    [id],
  );
  return rows.map((x) => [x.provider, x.event, x.error_class].filter(Boolean).join(':'));
}

async function completesOnce(id: string, prompt: string): Promise<void> {
  const job = await waitForJob(r.url, key, id, { timeoutMs: 30_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.deepEqual(await ledgerOf(r, id), [`hold:48`, `capture:48`], 'charged once');
  const sentToFal = fal.submits.filter((s) => String(s.body.prompt ?? '').includes(prompt)).length;
  assert.equal(sentToFal, 1, 'sent to fal once');
  assert.equal(job.engine, 'fal');
}

test('MiniMax refuses the key: the job moves to fal before any task exists, completes there, is charged once', async () => {
  const creates = () => mm.calls.filter((c) => c.endpoint === 'create').length;
  const before = creates();
  mm.inject('create', { kind: 'code', code: 2049, msg: 'invalid api key' });
  const id = await submit(r, key, { prompt: 'failover after a bad key' });
  await completesOnce(id, 'failover after a bad key');
  assert.equal(creates(), before + 1, 'MiniMax saw the one refused create, and no other');
  assert.deepEqual(await routeOf(id), ['minimax:refused:upstream_auth', 'fal:accepted', 'fal:succeeded']);
  // While MiniMax rests, new jobs go straight to fal.
  const next = await submit(r, key, { prompt: 'while minimax rests' });
  assert.equal((await jobRow(r, next)).provider, 'fal');
  await completesOnce(next, 'while minimax rests');
  assert.equal(mm.createsFor('while minimax rests'), 0);
});

test('MiniMax rate-limits the create: the job moves to fal instead of waiting', async () => {
  await new Promise((res) => setTimeout(res, 2500)); // MiniMax's rest is over
  mm.inject('create', { kind: 'code', code: 1002, msg: 'rate limit exceeded' });
  const id = await submit(r, key, { prompt: 'failover after a rate limit' });
  assert.equal((await jobRow(r, id)).provider, 'minimax', 'routed to MiniMax first');
  await completesOnce(id, 'failover after a rate limit');
  assert.deepEqual(await routeOf(id), ['minimax:refused:rate_limited', 'fal:accepted', 'fal:succeeded']);
});

test('MiniMax answers the create with a 5xx: its one resubmit goes to fal, and the MiniMax create is listed as a possible duplicate', async () => {
  await new Promise((res) => setTimeout(res, 2500)); // MiniMax's rest (if any) is over
  const creates = () => mm.calls.filter((c) => c.endpoint === 'create').length;
  const before = creates();
  mm.inject('create', { kind: 'http', status: 502 });
  const id = await submit(r, key, { prompt: 'failover after a 502' });
  await completesOnce(id, 'failover after a 502');
  assert.equal(creates(), before + 1, 'MiniMax was not sent the job again');
  assert.deepEqual(await routeOf(id), ['minimax:refused:ambiguous', 'fal:accepted', 'fal:succeeded']);
  const { rows } = await r.reelay.db.query<{ provider: string; outcome: string; possible_duplicate_of: string | null }>(
    'SELECT provider, outcome, possible_duplicate_of FROM upstream_submits WHERE job_id = $1 ORDER BY id',
    [id],
  );
  assert.deepEqual(rows.map((x) => `${x.provider}:${x.outcome}:${x.possible_duplicate_of === null ? 'first' : 'resubmit'}`), ['minimax:ambiguous:first', 'fal:accepted:resubmit']);
  const list = await api(r.url, null, 'GET', '/admin/upstream/possible-duplicates', undefined, { authorization: `Bearer ${ADMIN}` });
  const mine = (list.body.duplicates as Array<{ jobId: string; provider: string; second: { provider: string } }>).find((x) => x.jobId === id);
  assert.equal(mine?.provider, 'minimax', 'listed under the provider where an uncollected task may be billed');
  assert.equal(mine?.second.provider, 'fal');
});

test('fal also answers the resubmit ambiguously: the job is not sent a third time, fails as upstream_error, refunded', async () => {
  await new Promise((res) => setTimeout(res, 2500));
  const falSubmits = fal.count('submit');
  const mmCreates = mm.calls.filter((c) => c.endpoint === 'create').length;
  mm.inject('create', { kind: 'http', status: 500 });
  fal.inject('submit', { kind: 'http', status: 503 });
  const id = await submit(r, key, { prompt: 'ambiguous twice' });
  const job = await waitForJob(r.url, key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'FAILED', JSON.stringify(job));
  assert.equal(job.errorCode, 'upstream_error');
  assert.deepEqual(await ledgerOf(r, id), ['hold:48', 'release:48']);
  assert.equal(mm.calls.filter((c) => c.endpoint === 'create').length - mmCreates, 1, 'MiniMax was sent the first create only');
  assert.equal(fal.count('submit') - falSubmits, 1, 'fal was sent the one resubmit, and no third create');
});

test('a content-policy refusal is not retried elsewhere: the job fails, refunded, and fal never sees it', async () => {
  mm.inject('create', { kind: 'code', code: 1026, msg: 'input new_sensitive' });
  const id = await submit(r, key, { prompt: 'a refused prompt' });
  const job = await waitForJob(r.url, key, id, { timeoutMs: 20_000 });
  assert.equal(job.status, 'FAILED');
  assert.equal(job.errorCode, 'content_policy');
  assert.deepEqual(await ledgerOf(r, id), ['hold:48', 'release:48']);
  assert.equal(fal.submits.filter((s) => String(s.body.prompt ?? '').includes('a refused prompt')).length, 0);
  assert.deepEqual(await routeOf(id), ['minimax:refused:content_policy']);
});

test('a customer\'s cancel of a job fal has accepted asks fal to stop the task, and releases the credits', async () => {
  await new Promise((res) => setTimeout(res, 2500)); // MiniMax's rest (if any) is over
  mm.inject('create', { kind: 'code', code: 2049, msg: 'invalid api key' }); // so the job lands on fal
  const plan = fal.plan;
  fal.plan = () => ({ durationMs: 60_000 }); // long enough to be canceled mid-task
  let id: string;
  let row: Awaited<ReturnType<typeof waitRow>>;
  try {
    id = await submit(r, key, { prompt: 'cancel me at fal' });
    row = await waitRow(r, id, (x) => x.provider === 'fal' && x.upstream_task_id !== null, 20_000);
  } finally {
    fal.plan = plan;
  }
  assert.equal((await api(r.url, key, 'POST', `/v2/jobs/${id}/cancel`)).status, 200);
  const deadline = Date.now() + 10_000;
  while (fal.count('cancel', row.upstream_task_id!) === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.equal(fal.count('cancel', row.upstream_task_id!), 1, 'fal was asked to cancel the task');
  assert.deepEqual(await ledgerOf(r, id), ['hold:48', 'release:48']);
});

test('a create of unknown outcome at MiniMax, then another at fal: the job is not sent a third time, fails naming both providers, refunded', async () => {
  await new Promise((res) => setTimeout(res, 2500)); // MiniMax's rest (if any) is over
  const sent = () => mm.count('create') + fal.count('submit');
  const before = sent();
  mm.inject('create', { kind: 'http', status: 502 });
  fal.inject('submit', FAL_FAULTS.serverError);
  const id = await submit(r, key, { prompt: 'unknown twice' });
  const job = await waitForJob(r.url, key, id, { timeoutMs: 30_000 });
  assert.equal(job.status, 'FAILED', JSON.stringify(job));
  assert.match(String(job.error), /^MiniMax then fal did not confirm the task after two attempts; it was not sent a third time/);
  assert.deepEqual(await ledgerOf(r, id), ['hold:48', 'release:48']);
  assert.equal(sent() - before, 2, 'one create at each, no third');
});

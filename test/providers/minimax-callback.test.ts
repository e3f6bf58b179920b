import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { freePort } from '../support/process.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { jobRow, liveAccount, startLive, submit, waitRow, MM_KEY } from './minimax-helpers.js';

let fake: FakeMinimax;
let r: TestReelay;

before(async () => {
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 1000 });
  const port = await freePort();
  // A typical time of 60 s puts the first scheduled poll ~36 s out: a job that finishes within a
  // few seconds can only have been polled because a callback asked for it.
  r = await startLive(fake, {
    port,
    publicUrl: `http://127.0.0.1:${port}`,
    modelTimings: { 'hailuo-2.3': { typicalSeconds: 60 } },
    minimaxPollMinIntervalMs: 30_000,
  });
});
after(async () => {
  await r.stop();
  await fake.stop();
});

function callbackUrlOf(promptPart: string): string {
  const c = fake.creates.find((x) => String(x.body.prompt).includes(promptPart));
  assert.ok(c, `a create for ${promptPart}`);
  return String(c.body.callback_url);
}

test('create carries an unguessable callback_url; MiniMax\'s challenge is echoed well within 3 s; the completion callback triggers an immediate poll', async (t) => {
  const a = await liveAccount(r);
  const t0 = Date.now();
  const id = await submit(r, a.key, { prompt: 'fireworks over a bay #cb' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 15_000, intervalMs: 100 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.ok(Date.now() - t0 < 25_000, `completed in ${Date.now() - t0} ms, long before the first scheduled poll (~36 s)`);
  const url = callbackUrlOf('#cb');
  assert.match(url, new RegExp(`^${r.url}/callbacks/minimax/[A-Za-z0-9_-]{32}$`));
  assert.ok(fake.challenges.length >= 1 && fake.challenges.every((c) => c.ok), JSON.stringify(fake.challenges));
  t.diagnostic(`challenge answered in ${Math.max(...fake.challenges.map((c) => c.ms))} ms (MiniMax allows 3000)`);
  assert.ok(Math.max(...fake.challenges.map((c) => c.ms)) < 1000, `challenge answered in ${Math.max(...fake.challenges.map((c) => c.ms))} ms`);
  const row = await jobRow(r, id);
  assert.equal(fake.callbacksSent.find((c) => c.taskId === row.upstream_task_id)?.httpStatus, 200);
  assert.equal(row.upstream_polls, 1, 'one authenticated poll, the one the callback asked for');
});

test('the callback endpoint answers a challenge directly, and refuses a wrong token or provider with 404', async () => {
  const url = callbackUrlOf('#cb');
  const echo = await api(url, null, 'POST', '', { challenge: '1a3cs1j-601a-118y-ch52-o48911eabc3u' });
  assert.equal(echo.status, 200);
  assert.deepEqual(echo.body, { challenge: '1a3cs1j-601a-118y-ch52-o48911eabc3u' });
  const wrong = await api(`${r.url}/callbacks/minimax/${'x'.repeat(32)}`, null, 'POST', '', { challenge: 'x' });
  assert.equal(wrong.status, 404);
  const token = url.split('/').pop()!;
  assert.equal((await api(`${r.url}/callbacks/sandbox/${token}`, null, 'POST', '', { challenge: 'x' })).status, 404);
});

test('callbacks are hints, never trusted: a forged "Success" for an unknown task changes nothing; for a running task it only brings a poll forward, and the job keeps running', async () => {
  const a = await liveAccount(r);
  fake.plan = (b) => ({ durationMs: String(b.prompt).includes('#long') ? 120_000 : 1000 });
  const id = await submit(r, a.key, { prompt: 'a slow glacier #long' });
  const running = await waitRow(r, id, (row) => row.state === 'running');
  const url = callbackUrlOf('#long');
  const before = await r.reelay.db.query<{ id: string; state: string; updated_at: Date }>('SELECT id, state, updated_at FROM jobs ORDER BY id');

  const unknown = await api(url, null, 'POST', '', { task_id: '999999999999', status: 'Success', file_id: '123', base_resp: { status_code: 0, status_msg: 'success' } });
  assert.equal(unknown.status, 200);
  assert.deepEqual(unknown.body, { status: 'success' });
  await new Promise((res) => setTimeout(res, 500));
  assert.deepEqual((await r.reelay.db.query('SELECT id, state, updated_at FROM jobs ORDER BY id')).rows, before.rows);

  const queriesBefore = fake.count('query', running.upstream_task_id!);
  const forged = await api(url, null, 'POST', '', { task_id: running.upstream_task_id, status: 'Success', file_id: '123', base_resp: { status_code: 0, status_msg: 'success' } });
  assert.equal(forged.status, 200);
  await waitRow(r, id, (row) => row.upstream_polls === running.upstream_polls + 1, 5000);
  const after = await jobRow(r, id);
  assert.equal(after.state, 'running', 'MiniMax itself said Processing');
  assert.equal(fake.count('query', running.upstream_task_id!), queriesBefore + 1);
  assert.ok(after.next_run_at.getTime() > Date.now() + 10_000, 'back on its schedule after the hint');
  fake.plan = () => ({ durationMs: 1000 });
});

test('a callback that arrives while the job\'s poll is out is not lost: the job stays due and is polled again once the 2 s gap has passed', async () => {
  const a = await liveAccount(r);
  fake.plan = (b) => ({ durationMs: String(b.prompt).includes('#race') ? 120_000 : 1000 });
  const id = await submit(r, a.key, { prompt: 'a ferry at dusk #race' });
  const running = await waitRow(r, id, (row) => row.state === 'running');
  const task = running.upstream_task_id!;
  const url = callbackUrlOf('#race');
  const hint = { task_id: task, status: 'Success', file_id: '123', base_resp: { status_code: 0, status_msg: 'success' } };
  // The poll the first hint brings forward hangs 1.5 s upstream (within the 2 s client timeout);
  // the second hint lands meanwhile.
  fake.inject('query', { kind: 'slow', delayMs: 1500 });
  const queries = fake.count('query', task);
  assert.equal((await api(url, null, 'POST', '', hint)).status, 200);
  for (let i = 0; i < 100 && fake.count('query', task) === queries; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(fake.count('query', task), queries + 1, 'the first hint\'s poll is out');
  assert.equal((await api(url, null, 'POST', '', hint)).status, 200);
  // Upstream said Processing to the slow poll; without the mark the job would sleep ~100 s.
  const after = await waitRow(r, id, (row) => row.upstream_polls === running.upstream_polls + 2, 10_000);
  assert.equal(after.state, 'running', 'MiniMax itself said Processing');
  assert.equal(fake.count('query', task), queries + 2, 'one more poll, for the hint that came during the first');
  assert.ok(after.next_run_at.getTime() > Date.now() + 10_000, 'then back on its schedule');
  fake.plan = () => ({ durationMs: 1000 });
});

test('a flood of callbacks for one running job brings its poll forward at most once every 2 s (74 callbacks in 5 s once cost 74 status calls, a third of the budget)', async () => {
  const a = await liveAccount(r);
  fake.plan = (b) => ({ durationMs: String(b.prompt).includes('#flood') ? 120_000 : 1000 });
  const id = await submit(r, a.key, { prompt: 'rain on a window #flood' });
  const running = await waitRow(r, id, (row) => row.state === 'running');
  const task = running.upstream_task_id!;
  const url = callbackUrlOf('#flood');
  const hint = { task_id: task, status: 'Success', file_id: '123', base_resp: { status_code: 0, status_msg: 'success' } };
  const queries = fake.count('query', task);
  const t0 = Date.now();
  while (Date.now() - t0 < 5000) {
    assert.equal((await api(url, null, 'POST', '', hint)).status, 200);
    await new Promise((res) => setTimeout(res, 50));
  }
  const polls = fake.count('query', task) - queries;
  // 5 s of hints: one poll at most every 2 s after the last, so 3 (a slow machine may see 2).
  assert.ok(polls >= 1 && polls <= 3, `${polls} status calls for 5 s of callbacks`);
  assert.equal((await jobRow(r, id)).state, 'running', 'MiniMax itself said Processing');
  fake.plan = () => ({ durationMs: 1000 });
});

test('when MiniMax cannot reach the callback URL (2013 "fail to check callback url"), the job is sent again without one, and polling takes over', async () => {
  const a = await liveAccount(r);
  fake.breakChallenges = 1;
  const id = await submit(r, a.key, { prompt: 'unreachable callback #nocb' });
  const running = await waitRow(r, id, (row) => row.state === 'running');
  const attempts = fake.creates.filter((c) => String(c.body.prompt).includes('#nocb'));
  assert.equal(attempts.length, 2);
  assert.ok(attempts[0]!.body.callback_url && !attempts[0]!.taskId, 'the first create failed its challenge');
  assert.equal(attempts[1]!.body.callback_url, undefined);
  assert.equal(attempts[1]!.taskId, running.upstream_task_id);
  assert.equal(fake.challenges.at(-1)?.ok, false);
});

test('a callback with a wrong token is refused before its body is read: a stranger cannot make us buffer 32 MiB', async () => {
  const u = new URL(r.url);
  const started = Date.now();
  // Headers announce 30 MB; only a few bytes follow. The answer must not wait for the rest.
  const head = await new Promise<string>((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname);
    let out = '';
    s.on('data', (c: Buffer) => {
      out += c.toString('latin1');
      if (out.includes('\r\n\r\n')) {
        s.destroy();
        resolve(out.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      resolve('no answer within 5 s');
    });
    s.write(`POST /callbacks/minimax/${'x'.repeat(32)} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: 30000000\r\n\r\n{"task_id":`);
  });
  assert.equal(head, 'HTTP/1.1 404 Not Found');
  assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
});

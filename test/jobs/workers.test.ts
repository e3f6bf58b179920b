/**
 * The worker under waiting work: what a job waiting behind a ceiling or busy render slots costs,
 * how render slots are shared between tenants, and how fast a cancel reaches a render.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createApiKey } from '../../src/billing/index.js';
import type { Worker } from '../../src/jobs/index.js';
import { transition } from '../../src/jobs/repo.js';
import { api, startReelay, waitForJob, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
let worker: Worker;

before(async () => {
  // A 1 s idle timer: the query counts below then measure the loop, not the fallback timer.
  r = await startReelay({ workerIdlePollMs: 1000, leaseSeconds: 30, sandboxConcurrency: 2 });
  worker = r.reelay.worker!;
  await r.reelay.db.query(
    `INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('solo', 'Solo', 0, 1, 10000) ON CONFLICT (id) DO NOTHING`,
  );
});
after(async () => {
  await r.stop();
});

async function account(name: string, plan: string): Promise<string> {
  const id = await createAccount(r.reelay.db, { name, planId: plan, testCredits: 5000, liveCredits: 0, actor: 'test' });
  return (await createApiKey(r.reelay.db, id, 'test')).key;
}

async function submit(key: string, prompt: string): Promise<string> {
  const res = await api(r.url, key, 'POST', '/v2/videos/generate', { prompt, model: 'hailuo-2.3', hailuoParams: { resolution: '768p', duration: 6 } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return String(res.body.jobId);
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function cancelAll(key: string, ids: string[]): Promise<void> {
  for (const id of ids) await api(r.url, key, 'POST', `/v2/jobs/${id}/cancel`);
  await until('the worker let go of every canceled job', () => ids.every((id) => !worker.busy.includes(id)));
}

/** Database statements sent while `ms` pass. */
async function queriesDuring(ms: number): Promise<number> {
  const db = r.reelay.db;
  const original = db.query.bind(db);
  let n = 0;
  (db as { query: typeof db.query }).query = (sql, params) => {
    n++;
    return original(sql, params);
  };
  try {
    await new Promise((res) => setTimeout(res, ms));
  } finally {
    (db as { query: typeof db.query }).query = original;
  }
  return n;
}

test('jobs waiting behind a plan ceiling or busy render slots cost no queries (was one claim every 5 ms: 57 % of a core)', async (t) => {
  const key = await account('ceiling', 'solo');
  const running = await submit(key, 'a long take [[sandbox:delay=120]]');
  const waiting: string[] = [];
  for (let i = 0; i < 4; i++) waiting.push(await submit(key, `waits its turn ${i}`));
  await until('the first job renders', () => worker.busy.includes(running));
  // Behind the ceiling: the worker has a free render slot, but nothing it may take.
  const behindCeiling = await queriesDuring(2000);
  assert.ok(behindCeiling < 50, `${behindCeiling} statements in 2 s with 4 jobs behind a ceiling of 1`);
  for (const id of waiting) assert.equal((await api(r.url, key, 'GET', `/v2/jobs/${id}`)).body.status, 'QUEUED');
  await cancelAll(key, [running, ...waiting]);

  // Every render slot busy (one account, so nothing is handed back) and two more renders due.
  const big = await account('slots', 'enterprise');
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await submit(big, `a long take ${i} [[sandbox:delay=120]]`));
  await until('both render slots are busy', () => worker.busy.length === 2);
  const slotsFull = await queriesDuring(2000);
  t.diagnostic(`statements in 2 s: ${behindCeiling} behind a ceiling, ${slotsFull} with the render slots full`);
  assert.ok(slotsFull < 50, `${slotsFull} statements in 2 s with both render slots busy and 2 renders due`);
  await cancelAll(big, ids);
});

test("one account's long renders cannot hold every render slot: another account's job starts at once", async () => {
  const hog = await account('hog', 'enterprise');
  const other = await account('other', 'enterprise');
  const long: string[] = [];
  for (let i = 0; i < 3; i++) long.push(await submit(hog, `slow ${i} [[sandbox:delay=600]]`));
  await until('the hog holds both render slots', () => worker.busy.filter((id) => long.includes(id)).length === 2);
  const t0 = Date.now();
  const theirs = await submit(other, 'a quick one');
  // Generous bound: the point is "not after the hog's 600 s renders", not a latency figure.
  await until("the other account's job renders", () => worker.busy.includes(theirs), 15_000);
  const startedAfterMs = Date.now() - t0;
  // The hog's newest render is handed back (its slot frees once the abort settles); it keeps one.
  await until('the hog keeps one slot', () => worker.busy.filter((id) => long.includes(id)).length === 1, 5000);
  const done = await waitForJob(r.url, other, theirs, { timeoutMs: 120_000 });
  assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
  // The render handed back is rendered again later; nothing of it was charged or lost.
  for (const id of long) assert.equal((await api(r.url, hog, 'GET', `/v2/jobs/${id}`)).body.status !== 'FAILED', true);
  await cancelAll(hog, long);
  const me = await api(r.url, hog, 'GET', '/v2/me');
  const credits = (me.body.credits as Record<string, { held: number; spent: number }>).test!;
  assert.deepEqual({ held: credits.held, spent: credits.spent }, { held: 0, spent: 0 });
  assert.ok(startedAfterMs < 15_000);
});

test('an end stamped before the start (clocks read before a row lock was waited out) is stored as the start: WaveSpeed never shows a negative executionTime', async () => {
  // CI once saw executionTime -4: the cancel read its clock, then waited for the worker's start to commit.
  const key = await account('early-clock', 'enterprise');
  const id = await submit(key, 'patience [[sandbox:delay=30]]');
  await until('the job renders', async () => (await api(r.url, key, 'GET', `/v2/jobs/${id}`)).body.status === 'PROCESSING');
  const { rows } = await r.reelay.db.query<{ started_at: Date }>('SELECT started_at FROM jobs WHERE id = $1', [id]);
  const startedAt = rows[0]!.started_at;
  const ended = await transition(r.reelay.db, id, ['running', 'submitting', 'queued'], 'canceled', { completed_at: new Date(startedAt.getTime() - 4), error_code: 'canceled' });
  assert.equal(ended?.completed_at?.getTime(), startedAt.getTime());
  const ws = await api(r.url, key, 'GET', `/api/v3/predictions/${id}/result`);
  assert.equal(ws.status, 200, JSON.stringify(ws.body));
  assert.equal((ws.body.data as Record<string, unknown>).executionTime, 0);
  await until('the worker let go of the job', () => !worker.busy.includes(id), 10_000);
});

test('cancel stops a render within about a second (was: at the next heartbeat, up to leaseSeconds / 3) and charges nothing', async () => {
  const key = await account('canceler', 'enterprise');
  const id = await submit(key, 'patience [[sandbox:delay=30]]');
  await until('the job renders', async () => worker.busy.includes(id) && (await api(r.url, key, 'GET', `/v2/jobs/${id}`)).body.status === 'PROCESSING');
  const t0 = Date.now();
  const res = await api(r.url, key, 'POST', `/v2/jobs/${id}/cancel`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await until('the worker stopped the render', () => !worker.busy.includes(id), 10_000);
  const stoppedAfterMs = Date.now() - t0;
  // 500 ms checks; 3 s leaves room for a loaded machine, and is far below the 10 s heartbeat.
  assert.ok(stoppedAfterMs < 3000, `render stopped ${stoppedAfterMs} ms after the cancel`);
  const job = await api(r.url, key, 'GET', `/v2/jobs/${id}`);
  assert.equal(job.body.status, 'CANCELLED');
  const me = await api(r.url, key, 'GET', '/v2/me');
  const credits = (me.body.credits as Record<string, { available: number; held: number; spent: number }>).test!;
  assert.deepEqual(credits, { available: 5000, held: 0, spent: 0 });
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgres, type Db } from '../../src/db/index.js';
import { ProviderBudget } from '../../src/providers/index.js';
import { usingPostgres, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { liveAccount, startLive, MM_KEY } from './minimax-helpers.js';

const WINDOW_MS = 1000;
// Sized for PGlite, where one poll costs ~100 ms of database time (claim, budget, reschedule).
const STATUS_PER_WINDOW = 8;
const MAX_CONCURRENT = 2;

let fake: FakeMinimax;
let r: TestReelay;
before(async () => {
  // 30 ms per answer: two call slots could make ~20 calls/s here, so the rate (8/s) is what binds.
  fake = await startFakeMinimax({ apiKey: MM_KEY, latencyMs: 30 });
  r = await startLive(fake, {
    minimaxBudgetWindowMs: WINDOW_MS,
    minimaxStatusCallsPerWindow: STATUS_PER_WINDOW,
    minimaxMaxConcurrentCalls: MAX_CONCURRENT,
    // A polled job is not due again during the test, so every poll must be a different job.
    minimaxPollMinIntervalMs: 600_000,
    workerConcurrency: 64,
  });
});
after(async () => {
  await r.stop();
  await fake.stop();
});

test('1,000 running jobs due at once: the poll budget (calls per sliding window, calls in flight) is never exceeded, nothing fails, refused polls are spread out instead of retried together', async (t) => {
  const a = await liveAccount(r);
  const tasks = Array.from({ length: 1000 }, (_, i) => fake.addTask({ durationMs: 600_000 }, `bulk ${i}`));
  const input = { model: 'hailuo-2.3', prompt: 'bulk', image: null, durationSeconds: 6, resolution: '768p', promptOptimizer: true, fastPretreatment: false, original: {} };
  await r.reelay.db.query(
    `INSERT INTO jobs (id, account_id, mode, dialect, model, input, state, price, provider, upstream_task_id, deadline_at, next_run_at, started_at)
     SELECT gen_random_uuid(), $1, 'live', 'apiframe', 'hailuo-2.3', $2::jsonb, 'running', 0, 'minimax', t, now() + interval '1 hour', now(), now()
       FROM unnest($3::text[]) AS t`,
    [a.id, JSON.stringify(input), tasks],
  );
  // Three windows' worth of polls: a budget that starved the backlog (appointments pushed out of
  // reach) would stop after the first window. The time limit is generous for a loaded PGlite.
  const deadline = Date.now() + 40_000;
  while (fake.count('query') < 3 * STATUS_PER_WINDOW && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  const polls = fake.calls.filter((c) => c.endpoint === 'query');
  assert.ok(polls.length >= 3 * STATUS_PER_WINDOW, `only ${polls.length} polls in 40 s`);
  t.diagnostic(`${polls.length} polls; max ${fake.maxInWindow(WINDOW_MS, ['query'])} in any ${WINDOW_MS} ms (budget ${STATUS_PER_WINDOW}); max ${fake.maxConcurrent} in flight (budget ${MAX_CONCURRENT})`);
  assert.ok(fake.maxInWindow(WINDOW_MS, ['query', 'retrieve', 'create']) <= STATUS_PER_WINDOW, `max in a ${WINDOW_MS} ms window: ${fake.maxInWindow(WINDOW_MS, ['query'])}`);
  assert.ok(fake.maxConcurrent <= MAX_CONCURRENT, `max concurrent: ${fake.maxConcurrent}`);
  assert.equal(new Set(polls.map((p) => p.taskId)).size, polls.length, 'each poll went to a different job: nobody is polled twice while others wait');

  const { rows } = await r.reelay.db.query<{ state: string; n: number; attempts: number; soon: number; latest: Date }>(
    `SELECT state, count(*)::int AS n, max(attempts)::int AS attempts,
            count(*) FILTER (WHERE next_run_at < now() + interval '2 seconds')::int AS soon,
            max(next_run_at) FILTER (WHERE upstream_polls = 0) AS latest
       FROM jobs WHERE account_id = $1 GROUP BY state`,
    [a.id],
  );
  assert.deepEqual(rows.map((x) => [x.state, x.n, x.attempts]), [['running', 1000, 0]], 'deferred, never failed, no attempt spent');
  // The backlog was rescheduled one slot apart (1 s / 8 = 125 ms): ~1,000 × 125 ms ≈ 2 min of
  // spread, so about 16 jobs fall due in the next 2 s instead of all of them.
  t.diagnostic(`${rows[0]!.soon} jobs due within the next 2 s; the last unpolled job's appointment ${Math.round((rows[0]!.latest.getTime() - Date.now()) / 1000)} s away`);
  assert.ok(rows[0]!.soon <= 3 * STATUS_PER_WINDOW, `${rows[0]!.soon} jobs due within 2 s`);
  assert.ok(rows[0]!.latest.getTime() - Date.now() > 60_000, `latest appointment only ${rows[0]!.latest.getTime() - Date.now()} ms away`);
});

test('two processes share one budget through the database: rate and concurrency hold across both', async () => {
  const fake2 = await startFakeMinimax({ apiKey: MM_KEY, latencyMs: 100 });
  const task = fake2.addTask({ durationMs: 600_000 });
  // On PostgreSQL the second "process" has its own connection pool; PGlite is one connection by nature.
  const second: Db = usingPostgres ? await openPostgres(process.env.DATABASE_URL!, { schema: r.reelay.config.databaseSchema! }) : r.reelay.db;
  const limits = { windowMs: WINDOW_MS, perWindow: { status: 8 }, maxConcurrent: 2, callTtlMs: 10_000 };
  const budgets = [new ProviderBudget(r.reelay.db, 'shared-test', limits), new ProviderBudget(second, 'shared-test', limits)];
  const signal = new AbortController().signal;
  const call = async (b: ProviderBudget): Promise<void> => {
    for (;;) {
      const adm = await b.acquire('status', signal);
      if (!adm.ok) {
        await new Promise((res) => setTimeout(res, adm.retryInMs));
        continue;
      }
      try {
        const res = await fetch(`${fake2.url}/v1/query/video_generation?task_id=${task}`, { headers: { authorization: `Bearer ${MM_KEY}` } });
        await res.text();
      } finally {
        await adm.release();
      }
      return;
    }
  };
  try {
    await Promise.all(Array.from({ length: 32 }, (_, i) => call(budgets[i % 2]!)));
    assert.equal(fake2.count('query'), 32);
    assert.ok(fake2.maxInWindow(WINDOW_MS, ['query']) <= 8, `max in window: ${fake2.maxInWindow(WINDOW_MS, ['query'])}`);
    assert.ok(fake2.maxConcurrent <= 2, `max concurrent: ${fake2.maxConcurrent}`);
  } finally {
    if (second !== r.reelay.db) await second.close();
    await fake2.stop();
  }
});

/**
 * Shared set-up for the MiniMax tests: a Reelay pointed at the fake MiniMax with timings scaled
 * down (typical generation 1 s instead of 90-180 s, poll interval 0.2 s instead of 10 s), live
 * accounts made through the admin API, and direct reads of the job row and the ledger.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../src/config.js';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import type { FakeMinimax } from '../support/minimax-server.js';

export const MM_KEY = 'mm-test-key-0123456789';
export const ADMIN = 'admin-token-for-tests-0123456789';

/** Reelay with MiniMax configured at `fake`, scaled for tests; `overrides` win. */
export async function startLive(fake: FakeMinimax, overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<TestReelay> {
  return startReelay({
    adminToken: ADMIN,
    minimaxApiKey: MM_KEY,
    minimaxBaseUrl: fake.url,
    allowPrivateUrls: true,
    allowHttpUrls: true,
    modelTimings: { 'hailuo-2.3': { typicalSeconds: 1 }, 'hailuo-2.3-fast': { typicalSeconds: 1 } },
    minimaxPollMinIntervalMs: 200,
    minimaxPollMaxIntervalMs: 1000,
    minimaxTimeoutMs: 2000,
    minimaxSubmitsPerWindow: 1000,
    minimaxStatusCallsPerWindow: 1000,
    workerIdlePollMs: 100,
    ...overrides,
  });
}

/** A fresh account with `credits` live credits and a live key. */
export async function liveAccount(r: TestReelay, credits = 1000): Promise<{ id: string; key: string }> {
  const auth = { authorization: `Bearer ${ADMIN}` };
  const res = await api(r.url, null, 'POST', '/admin/accounts', { name: `live-${Math.random()}`, plan: 'enterprise', liveCredits: credits, withKey: 'live' }, auth);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const key = String(res.body.key);
  assert.match(key, /^rl_live_/);
  return { id: String((res.body.account as { id: string }).id), key };
}

export interface JobRowView {
  state: string;
  provider: string | null;
  upstream_task_id: string | null;
  upstream_polls: number;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  price: number;
  next_run_at: Date;
}

export async function jobRow(r: TestReelay, id: string): Promise<JobRowView> {
  const { rows } = await r.reelay.db.query<JobRowView>('SELECT * FROM jobs WHERE id = $1', [id]);
  assert.ok(rows[0], `job ${id} exists`);
  return rows[0];
}

/** The job's ledger movements, oldest first, as "kind:amount". */
export async function ledgerOf(r: TestReelay, jobId: string): Promise<string[]> {
  const { rows } = await r.reelay.db.query<{ kind: string; amount: number }>('SELECT kind, amount FROM ledger WHERE job_id = $1 ORDER BY id', [jobId]);
  return rows.map((x) => `${x.kind}:${Number(x.amount)}`);
}

/**
 * The account's live wallet: held and spent, plus what is available net of plan grants (the
 * sweeper may grant the enterprise plan's monthly credits at any moment during a test).
 */
export async function liveWallet(r: TestReelay, accountId: string): Promise<{ available: number; held: number; spent: number }> {
  const { rows } = await r.reelay.db.query<{ available: number; held: number; spent: number; granted: number }>(
    `SELECT w.available, w.held, w.spent,
            (SELECT COALESCE(sum(amount), 0) FROM ledger l WHERE l.account_id = w.account_id AND l.mode = 'live' AND l.kind = 'grant' AND l.reason LIKE 'monthly plan grant%') AS granted
       FROM wallets w WHERE w.account_id = $1 AND w.mode = 'live'`,
    [accountId],
  );
  const w = rows[0]!;
  return { available: Number(w.available) - Number(w.granted), held: Number(w.held), spent: Number(w.spent) };
}

/** POST /v2/videos/generate with a live key; asserts 202 and returns the job id. */
export async function submit(r: TestReelay, key: string, body: Record<string, unknown>): Promise<string> {
  const res = await api(r.url, key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '768p' }, ...body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return String(res.body.jobId);
}

/** Waits until the job row satisfies `ok` (state changes the API would show only later). */
export async function waitRow(r: TestReelay, id: string, ok: (row: JobRowView) => boolean, timeoutMs = 20_000): Promise<JobRowView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await jobRow(r, id);
    if (ok(row)) return row;
    if (Date.now() > deadline) throw new Error(`job ${id} never reached the expected state; last: ${JSON.stringify(row)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * The job as the API shows it, read until `ok` holds or 2 s pass. The API answers from its job
 * views, which hear of a change through LISTEN on PostgreSQL: a row seen changed in the database
 * reaches them within the promised 100 ms, not at once (2 s for a loaded machine).
 */
export async function apiJobWhen(r: TestReelay, key: string, id: string, ok: (job: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const job = (await api(r.url, key, 'GET', `/v2/jobs/${id}`)).body;
    if (ok(job) || Date.now() > deadline) return job;
    await new Promise((res) => setTimeout(res, 50));
  }
}

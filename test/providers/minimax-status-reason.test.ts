/**
 * Issue 12: a live job waiting on a failing upstream says why while it retries, instead of a
 * silent `QUEUED 0 %`; final failures name the host and what to check.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { apiJobWhen, liveAccount, startLive, submit, waitRow, MM_KEY } from './minimax-helpers.js';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function start(overrides: Parameters<typeof startLive>[1] = {}): Promise<{ fake: FakeMinimax; r: TestReelay }> {
  const fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 600 });
  cleanup.push(() => fake.stop());
  const r = await startLive(fake, overrides);
  cleanup.push(() => r.stop());
  return { fake, r };
}

test('a job waiting on an unreachable MiniMax shows why: "MiniMax unreachable (host: DNS lookup failed), retrying, attempt 1 of 8"; nothing was sent, so no create is recorded', async () => {
  // `.invalid` never resolves (RFC 2606).
  const { r } = await start({ minimaxBaseUrl: 'http://minimax.invalid' });
  const a = await liveAccount(r);
  const id = await submit(r, a.key, { prompt: 'nowhere to go #dns' });
  await waitRow(r, id, (row) => row.attempts >= 1);
  const shown = await apiJobWhen(r, a.key, id, (job) => job.statusReason != null);
  assert.equal(shown.status, 'QUEUED');
  assert.equal(shown.statusReason, 'MiniMax unreachable (minimax.invalid: DNS lookup failed), retrying, attempt 1 of 8');
  const { rows } = await r.reelay.db.query('SELECT * FROM upstream_submits WHERE job_id = $1', [id]);
  assert.equal(rows.length, 0, 'a DNS failure sent nothing: not an ambiguous create');
});

test('a bad key fails the job with a message that names the host and the setting to check', async () => {
  const { fake, r } = await start({ providerCooldownSeconds: 1 });
  const a = await liveAccount(r);
  fake.inject('create', { kind: 'code', code: 2049, msg: 'invalid api key' });
  const id = await submit(r, a.key, { prompt: 'wrong key #key' });
  const job = await waitForJob(r.url, a.key, id, { timeoutMs: 20_000 });
  assert.equal(job.errorCode, 'upstream_auth');
  assert.match(String(job.error), /^MiniMax rejected the API key \(127\.0\.0\.1:\d+: 2049 invalid api key\): check MINIMAX_API_KEY/);
  assert.equal(job.statusReason, null);
});

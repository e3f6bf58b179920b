import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, waitForJob, dropSchema, testSchemaName } from '../support/reelay.js';
import { spawnServe } from '../support/process.js';
import { startFakeMinimax } from '../support/minimax-server.js';
import { ADMIN, MM_KEY } from './minimax-helpers.js';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

test('a worker killed right after MiniMax accepted the task: the next process resumes by polling that task id, never creating a second one; charged once', async () => {
  const fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 6000 });
  cleanup.push(() => fake.stop());
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-mm-crash-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    REELAY_DATA_DIR: dataDir,
    REELAY_LEASE_SECONDS: '5',
    REELAY_WORKER_IDLE_POLL_MS: '100',
    REELAY_ADMIN_TOKEN: ADMIN,
    MINIMAX_API_KEY: MM_KEY,
    MINIMAX_BASE_URL: fake.url,
    REELAY_ALLOW_PRIVATE_URLS: 'true',
    REELAY_ALLOW_HTTP_URLS: 'true',
    // Typical 5 s → the first poll comes ~3 s after submit: the kill lands before it.
    REELAY_MODEL_TIMINGS: JSON.stringify({ 'hailuo-2.3': { typicalSeconds: 5 } }),
    REELAY_MINIMAX_POLL_MIN_INTERVAL_MS: '300',
  };
  if (process.env.DATABASE_URL) {
    const schema = testSchemaName();
    cleanup.push(() => dropSchema(schema));
    Object.assign(env, { DATABASE_URL: process.env.DATABASE_URL, REELAY_DATABASE_SCHEMA: schema });
  }
  const auth = { authorization: `Bearer ${ADMIN}` };

  const first = await spawnServe(env);
  const acct = await api(first.url, null, 'POST', '/admin/accounts', { name: 'crash', plan: 'enterprise', liveCredits: 500, withKey: 'live' }, auth);
  assert.equal(acct.status, 201, JSON.stringify(acct.body));
  const key = String(acct.body.key);
  const accountId = String((acct.body.account as { id: string }).id);
  const sub = await api(first.url, key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'a lighthouse in a gale #crash' });
  assert.equal(sub.status, 202, JSON.stringify(sub.body));
  const id = String(sub.body.jobId);
  // PROCESSING = `running` = the task id is stored. Kill at once, with no chance to clean up.
  for (let i = 0; i < 200; i++) {
    if ((await api(first.url, key, 'GET', `/v2/jobs/${id}`)).body.status === 'PROCESSING') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  const task = fake.creates.find((c) => String(c.body.prompt).includes('#crash'))?.taskId;
  assert.ok(task, 'MiniMax accepted the task before the kill');
  assert.equal(fake.count('query', task), 0, 'killed before its first poll');

  const second = await spawnServe(env);
  cleanup.push(async () => {
    second.child.kill('SIGTERM');
    await second.exited;
  });
  const job = await waitForJob(second.url, key, id, { timeoutMs: 60_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  assert.equal(fake.createsFor('#crash'), 1, 'exactly one upstream task for the job');
  assert.ok(fake.count('query', task) >= 1, 'resumed by polling the stored task id');
  const ledger = await api(second.url, null, 'GET', `/admin/accounts/${accountId}/ledger`, undefined, auth);
  const moves = (ledger.body.entries as Array<{ kind: string; jobId: string | null; amount: number }>)
    .filter((e) => e.jobId === id)
    .map((e) => e.kind)
    .sort();
  assert.deepEqual(moves, ['capture', 'hold']);
});

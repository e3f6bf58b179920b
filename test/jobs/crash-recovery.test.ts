import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, waitForJob, dropSchema, testSchemaName } from '../support/reelay.js';
import { spawnServe } from '../support/process.js';

const dirs: string[] = [];
const schemas: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  for (const s of schemas) await dropSchema(s);
});

async function setup(): Promise<Record<string, string>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-crash-'));
  dirs.push(dataDir);
  const env: Record<string, string> = { REELAY_DATA_DIR: dataDir, REELAY_LEASE_SECONDS: '5', REELAY_WORKER_IDLE_POLL_MS: '200' };
  if (process.env.DATABASE_URL) {
    const schema = testSchemaName();
    schemas.push(schema);
    Object.assign(env, { DATABASE_URL: process.env.DATABASE_URL, REELAY_DATABASE_SCHEMA: schema });
  }
  return env;
}

function keyFrom(output: string): string {
  const m = /(rl_test_[1-9A-HJ-NP-Za-km-z]{32})/.exec(output);
  assert.ok(m, `banner prints a test key:\n${output}`);
  return m[1]!;
}

test('first start prints a test key and a curl that works; a worker killed mid-job loses it and the restarted process finishes it, charged once', async () => {
  const env = await setup();
  const first = await spawnServe(env);
  const key = keyFrom(first.output());
  assert.match(first.output(), /curl -s -X POST http:\/\/localhost:\d+\/v2\/videos\/generate/);

  const sub = await api(first.url, key, 'POST', '/v2/videos/generate', { prompt: 'a lighthouse [[sandbox:delay=3]]', model: 'hailuo-2.3' });
  assert.equal(sub.status, 202);
  const id = String(sub.body.jobId);
  // Wait until a worker holds it, then kill the process without any chance to clean up.
  for (let i = 0; i < 100; i++) {
    if ((await api(first.url, key, 'GET', `/v2/jobs/${id}`)).body.status === 'PROCESSING') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');

  const second = await spawnServe(env);
  assert.doesNotMatch(second.output(), /rl_test_/, 'the key is printed on the first start only');
  const job = await waitForJob(second.url, key, id, { timeoutMs: 90_000 });
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const ledger = await api(second.url, key, 'GET', '/v2/me');
  const test = (ledger.body.credits as Record<string, { available: number; held: number; spent: number }>).test!;
  assert.deepEqual(test, { available: 5000 - 48, held: 0, spent: 48 });
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
  // One stored attempt, under its own prefix (the killed render stored nothing).
  const attempts = await readdir(join(env.REELAY_DATA_DIR!, 'files', 'jobs', id));
  assert.equal(attempts.filter((a) => a.startsWith('att_')).length, 1, attempts.join(','));
  await stat(join(env.REELAY_DATA_DIR!, 'files', 'jobs', id, attempts.find((a) => a.startsWith('att_'))!, 'video.mp4'));
});

test('SIGTERM is graceful: the process exits 0 at once and hands its job back, and the next start resumes it without waiting for the lease', async () => {
  const env = { ...(await setup()), REELAY_LEASE_SECONDS: '600' };
  const first = await spawnServe(env);
  const key = keyFrom(first.output());
  const sub = await api(first.url, key, 'POST', '/v2/videos/generate', { prompt: 'rain on glass [[sandbox:delay=8]]', model: 'hailuo-2.3' });
  const id = String(sub.body.jobId);
  for (let i = 0; i < 100; i++) {
    if ((await api(first.url, key, 'GET', `/v2/jobs/${id}`)).body.status === 'PROCESSING') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const t0 = Date.now();
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
  assert.ok(Date.now() - t0 < 15_000, 'graceful stop does not wait for the render');

  const second = await spawnServe(env);
  const job = await waitForJob(second.url, key, id, { timeoutMs: 90_000 });
  // With a 600 s lease, finishing at all proves the lease was released on shutdown.
  assert.equal(job.status, 'COMPLETED');
  second.child.kill('SIGTERM');
  await second.exited;
});

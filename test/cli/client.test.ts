import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Reelay, ReelayError, JobFailedError, type Job } from 'reelay/client';
import { startReelay, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
before(async () => {
  r = await startReelay();
});
after(async () => r.stop());

test("the TypeScript client (imported as 'reelay/client') runs a job to completion with progress callbacks", async () => {
  const client = new Reelay({ baseUrl: r.url, apiKey: r.key });
  const seen: Job['status'][] = [];
  const job = await client.run('hailuo-2.3', { prompt: 'a kite over dunes [Tilt up]', hailuoParams: { duration: 6 } }, { firstDelayMs: 200, onProgress: (j) => seen.push(j.status) });
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.result?.width, 1366);
  assert.equal(seen.at(-1), 'COMPLETED');
  assert.equal((await client.get(job.id)).id, job.id);
  assert.ok((await client.list({ limit: 5 })).jobs.some((j) => j.id === job.id));
});

test('the client surfaces API errors and failed jobs as typed errors', async () => {
  const client = new Reelay({ baseUrl: r.url, apiKey: r.key });
  await assert.rejects(client.submit('hailuo-2.3', { prompt: 'x', hailuoParams: { duration: 10, resolution: '1080p' } }), (err: unknown) => {
    assert.ok(err instanceof ReelayError);
    assert.equal(err.status, 400);
    assert.ok(err.details?.['hailuoParams.duration']);
    return true;
  });
  await assert.rejects(client.run('hailuo-2.3', { prompt: 'x [[sandbox:fail=content_policy]]' }, { firstDelayMs: 100 }), (err: unknown) => {
    assert.ok(err instanceof JobFailedError);
    assert.equal(err.job.errorCode, 'content_policy');
    return true;
  });
  const bad = new Reelay({ baseUrl: r.url, apiKey: 'rl_test_nope' });
  await assert.rejects(bad.me(), (err: unknown) => err instanceof ReelayError && err.status === 401);
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
before(async () => {
  r = await startReelay();
});
after(async () => r.stop());

test('GET /v2/jobs lists newest first with cursor pagination and a status filter', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const fail = i === 2 ? ' [[sandbox:fail=upstream_error]]' : '';
    const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: `clip ${i}${fail}`, model: 'hailuo-2.3' });
    assert.equal(sub.status, 202);
    ids.push(String(sub.body.jobId));
  }
  for (const id of ids) await waitForJob(r.url, r.key, id);

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: Record<string, unknown> } = await api(r.url, r.key, 'GET', `/v2/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200);
    const jobs = res.body.jobs as { id: string }[];
    assert.ok(jobs.length <= 2);
    seen.push(...jobs.map((j) => j.id));
    cursor = res.body.nextCursor as string | null;
    assert.equal(res.body.hasMore, cursor !== null);
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...ids].reverse());

  const failed = await api(r.url, r.key, 'GET', '/v2/jobs?status=FAILED');
  assert.deepEqual((failed.body.jobs as { id: string }[]).map((j) => j.id), [ids[2]]);
  const done = await api(r.url, r.key, 'GET', '/v2/jobs?status=COMPLETED&limit=100');
  assert.equal((done.body.jobs as unknown[]).length, 4);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs?status=NOPE')).status, 400);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs?limit=1000')).status, 400);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs?cursor=garbage')).status, 400);
});

test('GET /v2/models describes modes, parameters, combinations and prices', async () => {
  const res = await api(r.url, r.key, 'GET', '/v2/models');
  assert.equal(res.status, 200);
  const models = res.body.models as { id: string; modes: string[]; combinations: { resolution: string; durationSeconds: number; credits: number }[] }[];
  const std = models.find((m) => m.id === 'hailuo-2.3')!;
  const fast = models.find((m) => m.id === 'hailuo-2.3-fast')!;
  assert.deepEqual(std.modes, ['text-to-video', 'image-to-video']);
  assert.deepEqual(fast.modes, ['image-to-video']);
  assert.deepEqual(
    std.combinations.map((c) => `${c.resolution}/${c.durationSeconds}=${c.credits}`),
    ['768p/6=48', '768p/10=96', '1080p/6=84'],
  );
  assert.ok(fast.combinations.every((c, i) => c.credits < std.combinations[i]!.credits));
});

test('cancel: a queued job is cancelled and released at once; a finished one answers 409', async () => {
  const slow = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'slow [[sandbox:delay=30]]', model: 'hailuo-2.3' });
  const id = String(slow.body.jobId);
  const c = await api(r.url, r.key, 'POST', `/v2/jobs/${id}/cancel`);
  assert.equal(c.status, 200, JSON.stringify(c.body));
  assert.equal(c.body.status, 'CANCELLED');
  const { rows } = await r.reelay.db.query<{ kind: string }>('SELECT kind FROM ledger WHERE job_id = $1 ORDER BY id', [id]);
  assert.deepEqual(rows.map((x) => x.kind), ['hold', 'release']);
  const again = await api(r.url, r.key, 'POST', `/v2/jobs/${id}/cancel`);
  assert.equal(again.status, 409);
  assert.equal((await api(r.url, r.key, 'GET', `/v2/jobs/${id}`)).body.status, 'CANCELLED');
});

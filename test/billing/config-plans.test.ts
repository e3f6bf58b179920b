import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
before(async () => {
  r = await startReelay({
    adminToken: 'admin-token-for-tests-0123456789',
    plans: [
      { id: 'free', name: 'Free (ours)', monthlyCredits: 100, concurrency: 1, rateLimitPerMinute: 30 },
      { id: 'studio', name: 'Studio', monthlyCredits: 2500, concurrency: 4, rateLimitPerMinute: 240 },
    ],
    modelTimings: { 'hailuo-2.3': { deadlineSeconds: 600 } },
  });
});
after(async () => r.stop());

test('plans from the config file overwrite the shipped defaults and add new ones; the others stay', async () => {
  const res = await api(r.url, null, 'GET', '/admin/plans', undefined, { authorization: 'Bearer admin-token-for-tests-0123456789' });
  const plans = Object.fromEntries((res.body.plans as { id: string; monthlyCredits: number }[]).map((p) => [p.id, p]));
  assert.deepEqual(plans.free, { id: 'free', name: 'Free (ours)', monthlyCredits: 100, concurrency: 1, rateLimitPerMinute: 30 });
  assert.deepEqual(plans.studio, { id: 'studio', name: 'Studio', monthlyCredits: 2500, concurrency: 4, rateLimitPerMinute: 240 });
  assert.equal(plans.pro?.monthlyCredits, 10_000);
});

test("a model's deadline comes from the config when set", async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'deadline [[sandbox:fail=upstream_error]]', model: 'hailuo-2.3' });
  const { rows } = await r.reelay.db.query<{ s: number }>(`SELECT extract(epoch FROM deadline_at - created_at)::int AS s FROM jobs WHERE id = $1`, [sub.body.jobId]);
  assert.ok(Math.abs(rows[0]!.s - 600) <= 1, `deadline ${rows[0]!.s} s`);
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/log.js';
import { LocalBlobStore } from '../../src/storage/index.js';
import { startReelay, api, type TestReelay } from '../support/reelay.js';
import { checkInvariants } from '../support/invariants.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let r: TestReelay;

before(async () => {
  r = await startReelay({ adminToken: ADMIN, leaseSeconds: 5, sandboxConcurrency: 2 });
});
after(async () => r.stop());

test('hammer: concurrent submits, cancels, failures, timeouts and crashed workers never lose or double-count a credit', async () => {
  const acct = await api(r.url, null, 'POST', '/admin/accounts', { name: 'hammer', plan: 'pro', testCredits: 500, withKey: 'test' }, { authorization: `Bearer ${ADMIN}` });
  const key = String(acct.body.key);
  const accountId = String((acct.body.account as { id: string }).id);
  const prompts = [
    ...Array.from({ length: 14 }, (_, i) => `fails ${i} [[sandbox:fail=content_policy]]`),
    ...Array.from({ length: 8 }, (_, i) => `slow then fails ${i} [[sandbox:delay=1]] [[sandbox:fail=upstream_error]]`),
    ...Array.from({ length: 8 }, (_, i) => `to cancel ${i} [[sandbox:delay=30]]`),
    ...Array.from({ length: 3 }, (_, i) => `renders ${i}`),
  ];
  // 500 credits: the cancellable jobs (held until the test cancels them) and the renders alone
  // need 11 × 48 = 528, so some submits must be refused with 402 — and nothing may be overdrawn.
  // How many are accepted depends on how fast the failing jobs hand their credits back.
  const submit = (prompt: string) => api(r.url, key, 'POST', '/v2/videos/generate', { prompt, model: 'hailuo-2.3' }).then((res) => ({ prompt, res }));
  // The renders go first (so they are surely accepted), then everything else at once.
  const renders = [];
  for (const p of prompts.filter((x) => x.startsWith('renders'))) renders.push(await submit(p));
  const results = [...renders, ...(await Promise.all(prompts.filter((x) => !x.startsWith('renders')).map(submit)))];
  const accepted = results.filter((x) => x.res.status === 202);
  const refused = results.filter((x) => x.res.status === 402);
  assert.equal(accepted.length + refused.length, prompts.length, JSON.stringify(results.filter((x) => ![202, 402].includes(x.res.status)).map((x) => x.res.body)));
  assert.ok(refused.length > 0, 'some submits were refused for lack of credits');
  for (const x of refused) assert.equal(x.res.body.error, 'Insufficient credits');
  await checkInvariants(r.reelay.db);

  // Cancel the cancellable ones at staggered moments, twice each (the second must change nothing).
  const toCancel = accepted.filter((x) => x.prompt.startsWith('to cancel')).map((x) => String(x.res.body.jobId));
  const cancels = toCancel.map(async (id, i) => {
    await new Promise((res) => setTimeout(res, i * 150));
    await Promise.all([api(r.url, key, 'POST', `/v2/jobs/${id}/cancel`), api(r.url, key, 'POST', `/v2/jobs/${id}/cancel`)]);
  });

  // Crash a worker: whatever is running now loses its owner, as if its process had died.
  const crashes = (async () => {
    for (let i = 0; i < 6; i++) {
      await new Promise((res) => setTimeout(res, 400));
      await r.reelay.db.query(
        `UPDATE jobs SET lease_owner = 'wrk_dead', lease_until = now() - interval '1 second'
          WHERE account_id = $1 AND state = 'running' AND id IN (SELECT id FROM jobs WHERE account_id = $1 AND state = 'running' LIMIT 1)`,
        [accountId],
      );
      await checkInvariants(r.reelay.db);
    }
  })();

  // Time one job out through the sweeper, racing the workers.
  const renderId = String(accepted.find((x) => x.prompt.startsWith('renders'))!.res.body.jobId);
  await r.reelay.db.query(`UPDATE jobs SET deadline_at = now() - interval '1 second' WHERE id = $1`, [renderId]);
  await sweep({ db: r.reelay.db, blobs: new LocalBlobStore(`${r.dataDir}/files`), log: silentLogger, retentionHours: 0, events: { record: async () => {} } });

  await Promise.all([...cancels, crashes]);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { rows } = await r.reelay.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE account_id = $1 AND state IN ('queued','submitting','running','finalizing')`,
      [accountId],
    );
    if (rows[0]!.n === 0) break;
    assert.ok(Date.now() < deadline, `${rows[0]!.n} jobs still open`);
    await new Promise((res) => setTimeout(res, 200));
  }
  await checkInvariants(r.reelay.db);
  const { rows: states } = await r.reelay.db.query<{ state: string; error_code: string | null; n: number }>(
    `SELECT state, error_code, count(*)::int AS n FROM jobs WHERE account_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    [accountId],
  );
  const count = (state: string, code?: string) => states.filter((s) => s.state === state && (code === undefined || s.error_code === code)).reduce((n, s) => n + s.n, 0);
  assert.equal(count('failed', 'timeout'), 1, JSON.stringify(states));
  assert.equal(count('canceled') + count('completed') + count('failed'), accepted.length);
  assert.ok(count('completed') >= 1, 'real renders complete despite crashes');
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createReelay, type Reelay } from '../../src/server.js';
import { MemoryRateLimiter } from '../../src/billing/index.js';
import { startReelay, api, dropSchema, testSchemaName, usingPostgres, type TestReelay } from '../support/reelay.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let r: TestReelay;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
});
after(async () => r.stop());

const auth = { authorization: `Bearer ${ADMIN}` };

async function accountWithKeys(base: string, plan: string): Promise<{ id: string; keys: string[]; live: string }> {
  const res = await api(base, null, 'POST', '/admin/accounts', { name: `acct-${Math.random()}`, plan, testCredits: 10, withKey: 'test' }, auth);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const id = String((res.body.account as { id: string }).id);
  const second = await api(base, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'test', name: 'second' }, auth);
  const live = await api(base, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'live', name: 'live' }, auth);
  assert.equal(second.status, 201, JSON.stringify(second.body));
  return { id, keys: [String(res.body.key), String(second.body.key)], live: String(live.body.key) };
}

/** Waits, if needed, so that what follows runs well inside one calendar minute. */
async function startOfMinuteRoom(ms: number): Promise<void> {
  const into = Date.now() % 60_000;
  if (into > 60_000 - ms) await new Promise((res) => setTimeout(res, 60_500 - into));
}

test('MemoryRateLimiter: exact per bucket and calendar minute', async () => {
  const l = new MemoryRateLimiter();
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 10);
  const seen = [];
  for (let i = 0; i < 4; i++) seen.push(await l.take('a:test', 3, t0));
  assert.deepEqual(seen.map((d) => d.allowed), [true, true, true, false]);
  assert.deepEqual(seen.map((d) => d.remaining), [2, 1, 0, 0]);
  assert.equal(seen[3]!.resetSeconds, 50);
  assert.equal((await l.take('b:test', 3, t0)).allowed, true, 'another bucket has its own count');
  assert.equal((await l.take('a:test', 3, t0 + 50_000)).allowed, true, 'the next minute starts afresh');
});

test('minting a second key does not double the limit: it is per account and mode; the live key has its own', async () => {
  await r.reelay.db.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('rl4', 'RL4', 0, 1, 4) ON CONFLICT (id) DO NOTHING`);
  const a = await accountWithKeys(r.url, 'rl4');
  await startOfMinuteRoom(5_000);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await api(r.url, a.keys[i % 2]!, 'GET', '/v2/jobs')).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  assert.equal((await api(r.url, a.live, 'GET', '/v2/jobs')).status, 200, 'live traffic is counted apart from test traffic');
});

test(
  'three API processes on one PostgreSQL schema share the plan limit: a burst of 150 against a limit of 60 never admits more than 60',
  { skip: usingPostgres ? false : 'needs a PostgreSQL server shared by three processes: set DATABASE_URL (CI does)' },
  async () => {
    const schema = testSchemaName();
    const dirs = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'reelay-rl-'))));
    const procs: Reelay[] = [];
    try {
      for (const dataDir of dirs) {
        procs.push(
          await createReelay(
            loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', printBanner: false, adminToken: ADMIN, role: 'api', databaseUrl: process.env.DATABASE_URL, databaseSchema: schema }),
          ),
        );
      }
      const urls = await Promise.all(procs.map((p) => p.listen()));
      for (const p of procs) p.start();
      await procs[0]!.db.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('rl60', 'RL60', 0, 1, 60)`);
      const a = await accountWithKeys(urls[0]!, 'rl60');
      await startOfMinuteRoom(20_000);
      // 150 requests at once, round-robin over three processes and both keys.
      const statuses = await Promise.all(
        Array.from({ length: 150 }, (_, i) => api(urls[i % 3]!, a.keys[i % 2]!, 'GET', '/v2/me').then((res) => res.status)),
      );
      const ok = statuses.filter((s) => s === 200).length;
      assert.equal(statuses.filter((s) => s !== 200 && s !== 429).length, 0, String(statuses));
      // Never over; under by at most one unused block per process (ceil(remaining / 8) each).
      assert.ok(ok <= 60 && ok >= 54, `admitted ${ok} of 150 against a limit of 60 (tolerance: none over, one block per process under)`);
      // And then a trickle: each process is now at the limit, whichever it is.
      for (const u of urls) assert.equal((await api(u, a.keys[0]!, 'GET', '/v2/me')).status, 429);
      const { rows } = await procs[0]!.db.query<{ n: number }>('SELECT sum(count)::int AS n FROM rate_counts WHERE bucket = $1', [`${a.id}:test`]);
      assert.ok(rows[0]!.n >= ok && rows[0]!.n <= 60, `shared count ${rows[0]!.n}`);
    } finally {
      for (const p of procs) await p.stop();
      await dropSchema(schema);
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  },
);

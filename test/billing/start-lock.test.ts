import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, openPostgres, type Db } from '../../src/db/index.js';
import { createAccount, grantCredits, seedPlans } from '../../src/billing/index.js';
import { startJob } from '../../src/jobs/repo.js';
import { dropSchema, testSchemaName } from '../support/reelay.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** A migrated schema of its own on the PostgreSQL server, with the built-in plans; dropped after. */
async function freshSchema(): Promise<Db> {
  const schema = testSchemaName();
  const db: Db = await openPostgres(process.env.DATABASE_URL!, { schema });
  cleanup.push(() => dropSchema(schema), () => db.close());
  await migrate(db);
  await seedPlans(db);
  return db;
}

test(
  'regression (cancel vs start deadlock): while a start holds the account lock, a ledger insert for that account does not wait on it',
  { skip: process.env.DATABASE_URL ? false : 'row-lock conflicts exist only on a PostgreSQL server (PGlite has one connection)' },
  async () => {
    const db = await freshSchema();
    const account = await createAccount(db, { name: 'lock', planId: 'free', testCredits: 10, liveCredits: 0, actor: 'test' });

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // A worker starting a job: holds the account row lock until told to let go.
    const start = db.tx(async (q) => {
      // reelay_start locks the account row first, whether or not the job exists.
      assert.equal(await startJob(q, { id: '00000000-0000-4000-8000-000000000000', account_id: account, mode: 'test' }, 'a-worker', 'submitting', new Date(), 1000), null);
      locked();
      await held;
    });
    await isLocked;
    // A cancel's money movement for the same account (its ledger FK takes KEY SHARE on the account).
    const t0 = Date.now();
    await db.tx(async (q) => {
      await q.query(`SET LOCAL lock_timeout = '2s'`);
      assert.equal(await grantCredits(q, { accountId: account, mode: 'test', amount: 1, kind: 'grant', actor: 'test', reason: 'lock check' }), true);
    });
    assert.ok(Date.now() - t0 < 1500, 'the ledger insert did not wait for the start transaction');
    release();
    await start;
  },
);

test(
  'the ceiling is exact across connections: two starts racing for the last slot of a plan, one starts and the other is handed back',
  { skip: process.env.DATABASE_URL ? false : 'concurrent starts exist only on a PostgreSQL server (PGlite has one connection)' },
  async () => {
    const db = await freshSchema();
    await db.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('one', 'One', 0, 1, 1000)`);
    const account = await createAccount(db, { name: 'race', planId: 'one', testCredits: 0, liveCredits: 0, actor: 'test' });
    const ids = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
    for (const [i, id] of ids.entries()) {
      await db.query(`SELECT id FROM reelay_submit($1, $2, NULL, 'test', 'apiframe', 'hailuo-2.3', '{}'::jsonb, 0, 'minimax', 600, NULL, NULL, NULL, 'h', false)`, [id, account]);
      await db.query(`UPDATE jobs SET lease_owner = $2, lease_until = now() + interval '1 minute' WHERE id = $1`, [id, `worker-${i}`]);
    }
    // Both starts queue up behind a lock on the account, then run one after the other: the second
    // must count the first's start, committed while it waited.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const blocker = db.tx(async (q) => {
      await q.query('SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE', [account]);
      locked();
      await held;
    });
    await isLocked;
    const starts = ids.map((id, i) => startJob(db, { id, account_id: account, mode: 'test' }, `worker-${i}`, 'submitting', new Date(), 1000));
    await new Promise((r) => setTimeout(r, 200));
    release();
    await blocker;
    const results = await Promise.all(starts);
    assert.equal(results.filter((r) => r !== null).length, 1, 'exactly one start');
    const { rows } = await db.query<{ state: string; lease_owner: string | null }>('SELECT state, lease_owner FROM jobs ORDER BY id');
    assert.deepEqual(rows.map((r) => r.state).sort(), ['queued', 'submitting']);
    assert.equal(rows.find((r) => r.state === 'queued')?.lease_owner, null, 'the other is handed back to the queue');
  },
);

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, openPostgres, type Db } from '../../src/db/index.js';
import { createAccount, grantCredits, mayStart, seedPlans } from '../../src/billing/index.js';
import { dropSchema, testSchemaName } from '../support/reelay.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test(
  'regression (cancel vs start deadlock): while a start holds the account lock, a ledger insert for that account does not wait on it',
  { skip: process.env.DATABASE_URL ? false : 'row-lock conflicts exist only on a PostgreSQL server (PGlite has one connection)' },
  async () => {
    const schema = testSchemaName();
    const db: Db = await openPostgres(process.env.DATABASE_URL!, { schema });
    cleanup.push(() => dropSchema(schema), () => db.close());
    await migrate(db);
    await seedPlans(db);
    const account = await createAccount(db, { name: 'lock', planId: 'free', testCredits: 10, liveCredits: 0, actor: 'test' });

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // A worker starting a job: holds the account row lock until told to let go.
    const start = db.tx(async (q) => {
      assert.equal(await mayStart(q, account, '00000000-0000-4000-8000-000000000000'), true);
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

/**
 * A server connection that dies while a transaction holds it, between two of its statements
 * (`pg_terminate_backend`, a failover, an idle-in-transaction killer): the pg client emitted an
 * 'error' event that nobody listened to, and the whole process crashed with every job it drove.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgres } from '../../src/db/index.js';
import { dropSchema, testSchemaName, usingPostgres } from '../support/reelay.js';

test(
  'a backend terminated between two statements of a transaction fails that transaction, rolled back, without crashing the process; the pool carries on',
  { skip: usingPostgres ? false : 'PostgreSQL only (PGlite has no connection to lose): set DATABASE_URL' },
  async () => {
    const schema = testSchemaName();
    const db = await openPostgres(process.env.DATABASE_URL!, { schema, max: 2 });
    try {
      await db.query('CREATE TABLE t (n int)');
      // Our pool's connections are named after the schema, so this kills only this test's own.
      const app = `reelay:${schema}`;
      let appName = '';
      const outcome = await db
        .tx(async (q) => {
          await q.query('INSERT INTO t VALUES (1)');
          const mine = await q.query<{ pid: number; app: string }>('SELECT pg_backend_pid() AS pid, current_setting($1) AS app', ['application_name']);
          appName = mine.rows[0]!.app;
          // Terminated from another connection while this transaction waits between statements.
          const killer = await openPostgres(process.env.DATABASE_URL!, { max: 1 });
          try {
            await killer.query('SELECT pg_terminate_backend($1)', [mine.rows[0]!.pid]);
          } finally {
            await killer.close();
          }
          await new Promise((r) => setTimeout(r, 300)); // the FATAL arrives while no statement is active
          await q.query('INSERT INTO t VALUES (2)');
        })
        .then(
          () => 'committed',
          (err: Error) => `failed: ${err.message}`,
        );
      assert.equal(appName, app, 'pool connections carry the schema in application_name');
      assert.match(outcome, /^failed: /);
      // Nothing of it committed, and the pool hands out working connections again.
      for (let i = 0; i < 4; i++) assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n, 0);
      await db.tx(async (q) => q.query('INSERT INTO t VALUES (3)'));
      assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n, 1);
    } finally {
      await db.close();
      await dropSchema(schema);
    }
  },
);

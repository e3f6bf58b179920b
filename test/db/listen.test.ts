/**
 * A LISTEN connection that drops comes back: before, a terminated listener stayed dead and every
 * worker silently fell back to its idle timer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgres, type ListenState } from '../../src/db/index.js';
import { Wakeup } from '../../src/jobs/index.js';
import { dropSchema, testSchemaName, usingPostgres } from '../support/reelay.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

test(
  'a terminated LISTEN backend is reconnected with backoff, says so, and NOTIFY wakes workers again',
  { skip: usingPostgres ? false : 'PostgreSQL only (PGlite has no connection to lose): set DATABASE_URL' },
  async () => {
    const schema = testSchemaName();
    const logs: string[] = [];
    const log = { info: (_: object, m?: string) => logs.push(`info ${m}`), warn: (_: object, m?: string) => logs.push(`warn ${m}`), error() {}, debug() {} };
    const db = await openPostgres(process.env.DATABASE_URL!, { schema, log });
    const wakeup = new Wakeup(db);
    try {
      const states: ListenState[] = [];
      db.onListenState((s) => states.push(s));
      await wakeup.start();
      let wakes = 0;
      wakeup.on(() => wakes++);
      const payloads: string[] = [];
      await db.listen('reelay_test_channel', (p) => payloads.push(p));

      // Only this test's listener: its application_name carries the schema.
      const killed = await db.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`,
        [`reelay:listen:${schema}`],
      );
      assert.deepEqual(killed.rows.map((r) => r.ok), [true]);
      await until('the connection is back', () => states.includes('restored'));
      assert.deepEqual(states, ['lost', 'restored']);
      assert.ok(logs.includes('warn LISTEN connection lost; reconnecting (workers poll on their idle timers meanwhile)'), logs.join('\n'));
      assert.ok(logs.includes('info LISTEN connection restored'), logs.join('\n'));
      // The restore itself nudges (what was sent while down is looked for at once).
      assert.ok(wakes >= 1);

      const before = wakes;
      await db.query(`SELECT pg_notify('reelay_jobs', '')`);
      await until('a NOTIFY-driven wake-up arrives', () => wakes > before);
      await db.query(`SELECT pg_notify('reelay_test_channel', 'hello')`);
      await until('every channel was listened to again', () => payloads.includes('hello'));

      // And again: a second drop is handled like the first.
      await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`reelay:listen:${schema}`]);
      await until('the connection is back a second time', () => states.length === 4);
      const again = wakes;
      await db.query(`SELECT pg_notify('reelay_jobs', '')`);
      await until('a NOTIFY-driven wake-up arrives after the second drop', () => wakes > again);
    } finally {
      await wakeup.stop();
      await db.close();
      await dropSchema(schema);
    }
  },
);

/**
 * A first start killed while PGlite was creating its cluster (initdb) left a half-made directory,
 * and every later start aborted on it ("RuntimeError: Aborted()"): the instance could never start
 * again. Such a directory, marked as being created and never opened, is now moved aside and made
 * afresh; any other directory (one that opened before, or an install older than the marker) is
 * never touched.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../../src/db/index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** What a first start killed early in initdb leaves (seen after a SIGKILL): the version files and configs, no catalog. */
async function halfMade(dir: string): Promise<void> {
  await mkdir(join(dir, 'base', '1'), { recursive: true });
  await writeFile(join(dir, 'PG_VERSION'), '17\n');
  await writeFile(join(dir, 'base', '1', 'PG_VERSION'), '17\n');
  for (const f of ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf']) await writeFile(join(dir, f), '');
}

test('a data directory left half-made by a first start killed during initdb is moved aside and created afresh; one that opened before is left alone', async () => {
  const root = await mkdtemp(join(tmpdir(), 'reelay-init-'));
  dirs.push(root);
  const dir = join(root, 'pg');
  await halfMade(dir);
  // What the interrupted first start wrote before it began creating the cluster.
  await writeFile(`${dir}.creating`, 'then\n');
  const db = await openPglite(dir);
  await db.query('CREATE TABLE kept (n int)');
  await db.query('INSERT INTO kept VALUES (7)');
  await db.close();
  const names = await readdir(root);
  assert.ok(names.some((n) => n.startsWith('pg.unfinished-')), `the wreck is kept aside: ${names.join(',')}`);
  assert.ok(!names.includes('pg.creating'), 'the cluster is no longer marked as being created');

  // Opened once: a failure to open now is real trouble with real data, never "fixed" by moving it.
  await rm(join(dir, 'global'), { recursive: true, force: true });
  await assert.rejects(openPglite(dir));
  assert.equal((await readdir(root)).filter((n) => n.startsWith('pg.unfinished-')).length, 1, 'not moved aside again');
  assert.ok((await readdir(dir)).includes('base'), 'left in place');
});

test('a directory that fails to open without the creating mark (an install older than it) is never moved aside', async () => {
  const root = await mkdtemp(join(tmpdir(), 'reelay-init-'));
  dirs.push(root);
  const dir = join(root, 'pg');
  await halfMade(dir);
  await assert.rejects(openPglite(dir));
  assert.deepEqual((await readdir(root)).sort(), ['pg'], 'left in place, nothing moved or created beside it');
});

test('a fresh directory is created, and the creating mark is gone once it has opened', async () => {
  const root = await mkdtemp(join(tmpdir(), 'reelay-init-'));
  dirs.push(root);
  const db = await openPglite(join(root, 'pg'));
  await db.close();
  assert.deepEqual((await readdir(root)).filter((n) => n.startsWith('pg.')), []);
});

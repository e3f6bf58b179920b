/**
 * The admin CLI as an operator meets it: accounts by name, a server that holds the embedded
 * database, and a folder with no data at all.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReelay, type TestReelay } from '../support/reelay.js';
import { spawnServe } from '../support/process.js';
import { runCli } from './run-cli.js';

const ADMIN = 'admin-token-for-cli-admin-tests-0';
let r: TestReelay;
let tmp: string;
let remote: Record<string, string>;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
  tmp = await mkdtemp(join(tmpdir(), 'reelay-cli-admin-'));
  remote = { REELAY_URL: r.url, REELAY_ADMIN_TOKEN: ADMIN };
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

test('regression: `reelay keys list default` failed although the account is named "default"; accounts are found by name or id', async () => {
  const byName = await runCli(['keys', 'list', 'default', '--json'], remote);
  assert.equal(byName.code, 0, byName.stderr);
  const keys = JSON.parse(byName.stdout) as { prefix: string }[];
  assert.ok(keys.some((k) => r.key.startsWith(k.prefix)), 'the first key belongs to "default"');

  const created = await runCli(['accounts', 'create', 'acme', '--json'], remote);
  const acme = (JSON.parse(created.stdout) as { account: { id: string } }).account.id;
  const granted = await runCli(['credits', 'grant', 'acme', '300', '--reason', 'pilot'], remote);
  assert.equal(granted.code, 0, granted.stderr);
  const removed = await runCli(['credits', 'grant', 'acme', '-100', '--reason', 'correction'], remote);
  assert.equal(removed.code, 0, removed.stderr);
  const byId = await runCli(['credits', 'show', acme, '--json'], remote);
  assert.equal((JSON.parse(byId.stdout) as { live: { available: number } }).live.available, 200);
  const ledger = await runCli(['ledger', 'acme'], remote);
  assert.match(ledger.stdout, /correction/);
  const live = await runCli(['keys', 'create', 'acme', '--mode', 'live'], remote);
  assert.match(live.stdout, /key \(shown once\): rl_live_/);
  assert.equal((await runCli(['accounts', 'set-plan', 'acme', 'pro'], remote)).code, 0);
});

test('an ambiguous account name is refused with the ids to choose from; an unknown one is "not found" (3)', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) ids.push((JSON.parse((await runCli(['accounts', 'create', 'twin', '--json'], remote)).stdout) as { account: { id: string } }).account.id);
  const res = await runCli(['keys', 'list', 'twin'], remote);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /2 accounts are named "twin"; use an id instead/);
  for (const id of ids) assert.ok(res.stderr.includes(id), res.stderr);
  assert.equal((await runCli(['keys', 'list', ids[1]!], remote)).code, 0);
  const none = await runCli(['credits', 'show', 'nobody'], remote);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /No account with id or name "nobody"; see: reelay accounts list/);
});

test('regression: "database in use" printed a stack trace; it now says to use the running server\'s admin API (exit 5), which works', async () => {
  const dataDir = join(tmp, 'served');
  const token = 'admin-token-of-the-served-one-00';
  const serve = await spawnServe({ REELAY_DATA_DIR: dataDir, REELAY_ADMIN_TOKEN: token });
  try {
    const res = await runCli(['keys', 'list', 'default'], { REELAY_DATA_DIR: dataDir });
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /in use by a running Reelay \(process \d+\)/);
    assert.match(res.stderr, /REELAY_URL=\S+ REELAY_ADMIN_TOKEN=.* reelay keys list default/);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
    const advised = await runCli(['keys', 'list', 'default'], { REELAY_URL: serve.url, REELAY_ADMIN_TOKEN: token });
    assert.equal(advised.code, 0, advised.stderr);
    assert.match(advised.stdout, /rl_test_/);
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
});

test('regression: in a folder with no data the admin CLI created an empty ./data and exited 0; it now says where it looked (exit 3)', async () => {
  const empty = join(tmp, 'elsewhere');
  await mkdir(empty);
  const res = await runCli(['accounts', 'list'], {}, { cwd: empty });
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, new RegExp(`No Reelay database in ${join(empty, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(res.stderr, /REELAY_DATA_DIR=/);
  assert.match(res.stderr, /npm start/);
  assert.equal(existsSync(join(empty, 'data')), false, 'nothing was created');

  // `reelay migrate` is the way to make an empty database on purpose; then admin commands work there.
  assert.equal((await runCli(['migrate'], {}, { cwd: empty })).code, 0);
  const made = await runCli(['accounts', 'create', 'offline', '--json'], {}, { cwd: empty });
  assert.equal(made.code, 0, made.stderr);
  const listed = await runCli(['keys', 'list', 'offline'], {}, { cwd: empty });
  assert.equal(listed.code, 0, listed.stderr);
});

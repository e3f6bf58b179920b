/**
 * Every admin write is validated as strictly as its create: what `POST` refuses, `PATCH` and `PUT`
 * refuse too, with a 400 naming the field, and nothing is changed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startReelay, type TestReelay } from '../support/reelay.js';

const ADMIN = 'admin-token-for-admin-writes-0123';
const auth = { authorization: `Bearer ${ADMIN}` };
let r: TestReelay;
let account: string;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
  const created = await api(r.url, null, 'POST', '/admin/accounts', { name: 'acme' }, auth);
  assert.equal(created.status, 201);
  account = (created.body.account as { id: string }).id;
});
after(async () => r.stop());

test('a rename is held to the 200 characters of a new account’s name', async () => {
  const long = await api(r.url, null, 'PATCH', `/admin/accounts/${account}`, { name: 'a'.repeat(201) }, auth);
  assert.equal(long.status, 400, JSON.stringify(long.body).slice(0, 200));
  assert.ok((long.body.details as Record<string, unknown>).name);
  const ok = await api(r.url, null, 'PATCH', `/admin/accounts/${account}`, { name: 'a'.repeat(200) }, auth);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.name, 'a'.repeat(200));
});

test('an empty plan in a PATCH is refused, not silently ignored', async () => {
  const res = await api(r.url, null, 'PATCH', `/admin/accounts/${account}`, { plan: '', disabled: true }, auth);
  assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 200));
  assert.ok((res.body.details as Record<string, unknown>).plan);
  const after = await api(r.url, null, 'GET', `/admin/accounts/${account}`, undefined, auth);
  assert.equal(after.body.disabled, false, 'nothing of the refused PATCH was applied');
});

test('a plan’s id is a short word and its name at most 200 characters; neither is stored otherwise', async () => {
  const body = { name: 'Team', monthlyCredits: 0, concurrency: 1, rateLimitPerMinute: 60 };
  for (const id of ['a%20b%0Ac', 'p'.repeat(65), '%22%7D%0Aevil', '-x']) {
    const res = await api(r.url, null, 'PUT', `/admin/plans/${id}`, body, auth);
    assert.equal(res.status, 400, `${id}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    assert.ok((res.body.details as Record<string, unknown>).id, JSON.stringify(res.body));
  }
  const long = await api(r.url, null, 'PUT', '/admin/plans/team', { ...body, name: 'T'.repeat(201) }, auth);
  assert.equal(long.status, 400);
  assert.ok((long.body.details as Record<string, unknown>).name);
  const plans = (await api(r.url, null, 'GET', '/admin/plans', undefined, auth)).body.plans as { id: string }[];
  assert.deepEqual(plans.map((p) => p.id).sort(), ['enterprise', 'free', 'pro']);
  // Ids as the Studio suggests them, and as the tests and docs use them, still work.
  for (const id of ['team', 'keys-test', 'pro_2026', 'p'.repeat(64)]) {
    assert.equal((await api(r.url, null, 'PUT', `/admin/plans/${id}`, body, auth)).status, 200, id);
  }
});

test('an account’s ledger refuses a before that no page ends at, as /v2/ledger does, instead of an empty page', async () => {
  for (const before of ['', '0', '-1']) {
    const res = await api(r.url, null, 'GET', `/admin/accounts/${account}/ledger?before=${before}`, undefined, auth);
    assert.equal(res.status, 400, `before=${before}: ${JSON.stringify(res.body).slice(0, 200)}`);
    assert.ok((res.body.details as Record<string, unknown>).before);
  }
  const first = await api(r.url, null, 'GET', `/admin/accounts/${account}/ledger`, undefined, auth);
  assert.equal(first.status, 200);
  assert.ok((first.body.entries as unknown[]).length > 0);
});

test('a grant that would take a balance past 2^53 - 1 is refused: past it, the balance read back is not the one stored', async () => {
  const near = Number.MAX_SAFE_INTEGER - 10;
  await r.reelay.db.query(`UPDATE wallets SET available = $2 WHERE account_id = $1 AND mode = 'live'`, [account, near]);
  const ledgerRows = async (): Promise<number> => ((await api(r.url, null, 'GET', `/admin/accounts/${account}/ledger?limit=500`, undefined, auth)).body.entries as unknown[]).length;
  const rowsBefore = await ledgerRows();
  const res = await api(r.url, null, 'POST', `/admin/accounts/${account}/credits`, { mode: 'live', amount: 11, reason: 'one too many' }, auth);
  assert.equal(res.status, 409, JSON.stringify(res.body));
  assert.match(String(res.body.error), /at most 9007199254740991/);
  assert.equal(await ledgerRows(), rowsBefore, 'no ledger row for a refused grant');
  const ok = await api(r.url, null, 'POST', `/admin/accounts/${account}/credits`, { mode: 'live', amount: 10, reason: 'up to the limit' }, auth);
  assert.equal(ok.status, 200);
  assert.equal((ok.body.credits as Record<string, { available: number }>).live!.available, Number.MAX_SAFE_INTEGER);
  await r.reelay.db.query(`UPDATE wallets SET available = 0 WHERE account_id = $1 AND mode = 'live'`, [account]);
});

/**
 * `POST /v2/keys` minted without end: a leaked test key could mint thousands of keys (each one
 * outlives the revocation of the leaked key, and `GET /v2/keys` and the Studio list them all). A key
 * now mints up to 100 active keys of its mode per account; revoking one makes room, and the
 * operator is not bound by it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startReelay, type TestReelay } from '../support/reelay.js';

const ADMIN = 'admin-token-for-keys-cap-0123456';
const auth = { authorization: `Bearer ${ADMIN}` };
let r: TestReelay;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
});
after(async () => r.stop());

test('a key mints at most 100 active keys of its mode; a revoke makes room; the other mode and the operator are not counted against it', async () => {
  const created = await api(r.url, null, 'POST', '/admin/accounts', { name: 'many keys', plan: 'enterprise', withKey: 'test' }, auth);
  assert.equal(created.status, 201);
  const id = (created.body.account as { id: string }).id;
  const key = String(created.body.key);
  const minted: string[] = [];
  for (let i = 1; i < 100; i++) {
    const res = await api(r.url, key, 'POST', '/v2/keys', { name: `k${i}` });
    assert.equal(res.status, 201, `key ${i + 1}: ${JSON.stringify(res.body)}`);
    minted.push(String(res.body.id));
  }
  const over = await api(r.url, key, 'POST', '/v2/keys', { name: 'one too many' });
  assert.equal(over.status, 409, JSON.stringify(over.body));
  assert.equal(over.body.code, 'conflict');
  assert.match(String(over.body.error), /100 active test keys/);

  assert.equal((await api(r.url, key, 'DELETE', `/v2/keys/${minted[0]}`)).status, 200);
  assert.equal((await api(r.url, key, 'POST', '/v2/keys', { name: 'room again' })).status, 201);

  const live = await api(r.url, null, 'POST', `/admin/accounts/${id}/keys`, { mode: 'live' }, auth);
  assert.equal(live.status, 201, 'the operator mints past the cap');
  assert.equal((await api(r.url, String(live.body.key), 'POST', '/v2/keys', { name: 'live' })).status, 201, 'live keys are counted apart');
});

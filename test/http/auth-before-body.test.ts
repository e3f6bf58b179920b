/**
 * Authentication came after the body was parsed and checked: a caller without a key (or with a
 * revoked one) got `400 invalid_json` or `413` from our parser instead of the 401, learned which
 * fields a route validates, and made us read and parse bodies up to the size limit. The admin
 * routes did the same without the admin token.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startReelay, type TestReelay } from '../support/reelay.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let r: TestReelay;
before(async () => {
  r = await startReelay({ adminToken: ADMIN });
});
after(async () => r.stop());

const SUBMITS = ['/v2/videos/generate', '/api/v3/minimax/hailuo-2.3/t2v-standard', '/api/v1/videos/generations', '/v2/videos/quote', '/v2/keys'];

test('a submit without a valid key is a 401 in its dialect whatever the body: malformed, invalid or too large', async () => {
  const wrongKey = `rl_test_${'1'.repeat(32)}`;
  for (const path of SUBMITS) {
    for (const key of [null, wrongKey]) {
      for (const body of ['{not json', '{"prompt": 5}']) {
        const res = await api(r.url, key, 'POST', path, body);
        assert.equal(res.status, 401, `${path} ${key ? 'wrong key' : 'no key'} ${body.slice(0, 12)}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        const code = path.startsWith('/api/v3') ? res.body.code : path.startsWith('/api/v1') ? (res.body.error as { code: string }).code : res.body.code;
        assert.ok(code === 401 || code === 'unauthorized', `${path}: envelope ${JSON.stringify(res.body)}`);
      }
    }
  }
  // Over the body limit (one is enough: it is 40 MB on the wire).
  const big = await api(r.url, null, 'POST', '/v2/videos/generate', JSON.stringify({ prompt: 'x'.repeat(40 * 1024 * 1024) }));
  assert.equal(big.status, 401, JSON.stringify(big.body));
  // With the key, the body is looked at as before.
  assert.equal((await api(r.url, r.key, 'POST', '/v2/videos/generate', '{not json')).status, 400);
});

test('an admin route without the admin token is a 401 whatever the body', async () => {
  for (const [method, path] of [['POST', '/admin/accounts'], ['PATCH', '/admin/accounts/acct_x'], ['PUT', '/admin/plans/p'], ['POST', '/admin/accounts/acct_x/credits']] as const) {
    for (const headers of [{}, { authorization: `Bearer ${r.key}` }, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await api(r.url, null, method, path, '{not json', headers);
      assert.equal(res.status, 401, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
  assert.equal((await api(r.url, null, 'POST', '/admin/accounts', '{not json', { authorization: `Bearer ${ADMIN}` })).status, 400);
});

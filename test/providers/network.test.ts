/**
 * Whether a failed upstream call can have reached the upstream decides whether a create is
 * ambiguous. The errors are shaped as undici's `fetch` throws them (a TypeError with the cause).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkFailure } from '../../src/providers/network.js';

function fetchFailed(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
}

test('no connection (DNS, refused, connect timeout, TLS) is unsent; a reset after connecting may have reached the upstream', () => {
  for (const code of ['ENOTFOUND', 'ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED']) assert.equal(networkFailure(fetchFailed(code)).unsent, true, code);
  assert.match(networkFailure(fetchFailed('UND_ERR_CONNECT_TIMEOUT')).why, /connect timeout/);
  for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_HEADERS_TIMEOUT']) assert.equal(networkFailure(fetchFailed(code)).unsent, false, code);
});

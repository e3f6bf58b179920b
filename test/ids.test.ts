import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base58, newId } from '../src/ids.js';

test('ids from the pooled bytes are well formed and do not repeat; base58 with fresh bytes (keys) is unchanged', () => {
  const ids = Array.from({ length: 20_000 }, () => newId('request'));
  for (const id of ids.slice(0, 500)) assert.match(id, /^req_[1-9A-HJ-NP-Za-km-z]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
  const key = base58(32);
  assert.match(key, /^[1-9A-HJ-NP-Za-km-z]{32}$/);
});

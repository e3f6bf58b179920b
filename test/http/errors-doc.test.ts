/**
 * docs/errors.md and the code agree in both directions: every error code and every job failure
 * code is documented with its status, nothing documented is missing from the code, and every job
 * failure code has a mapping in each dialect. (The catalogue's header once cited a test that did
 * not exist.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/errors.js';
import { JOB_FAILURE_CODES } from '../../src/jobs/index.js';
import { APIFRAME_FAILURE_CODES } from '../../src/http/dialects/apiframe/render.js';
import { WAVESPEED_FAILURE_CODES } from '../../src/http/dialects/wavespeed/render.js';
import { APIINONE_FAILURE_CODES } from '../../src/http/dialects/apiinone/render.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the markdown table that follows `heading` (up to the next heading). */
function tableRows(heading: RegExp): string[][] {
  const start = doc.search(heading);
  assert.ok(start >= 0, `docs/errors.md has a section ${heading}`);
  const rest = doc.slice(start).split('\n').slice(1);
  const end = rest.findIndex((l) => l.startsWith('#'));
  return (end < 0 ? rest : rest.slice(0, end))
    .filter((l) => /^\|\s*`/.test(l))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, '')));
}

test('every error code is in docs/errors.md with its HTTP status and retry flag, and nothing else is', () => {
  const rows = tableRows(/^# Error codes/m);
  const documented = new Map(rows.map(([code, status, retry]) => [code!, { status: Number(status), retry: retry === 'yes' }]));
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    const d = documented.get(code);
    assert.ok(d, `${code} is documented`);
    assert.equal(d.status, spec.status, `${code}: documented status`);
    assert.equal(d.retry, spec.retryable, `${code}: documented retry flag`);
  }
  assert.deepEqual([...documented.keys()].filter((c) => !(c in ERROR_CODES)), [], 'documented codes that do not exist');
});

test('every job failure code is documented, and nothing else is', () => {
  const documented = tableRows(/^## Job failure codes/m).map(([code]) => code!);
  assert.deepEqual([...documented].sort(), [...JOB_FAILURE_CODES].sort());
});

test('every job failure code has a mapping in each dialect', () => {
  for (const code of JOB_FAILURE_CODES) {
    assert.equal(typeof APIFRAME_FAILURE_CODES[code], 'string', `apiframe maps ${code}`);
    assert.equal(typeof APIINONE_FAILURE_CODES[code], 'string', `apiinone maps ${code}`);
    assert.ok(Number.isInteger(WAVESPEED_FAILURE_CODES[code]) && WAVESPEED_FAILURE_CODES[code] > 0, `wavespeed maps ${code} to a task code`);
  }
  for (const table of [APIFRAME_FAILURE_CODES, APIINONE_FAILURE_CODES, WAVESPEED_FAILURE_CODES]) {
    assert.deepEqual(Object.keys(table).filter((k) => !JOB_FAILURE_CODES.includes(k as never)), [], 'no mapping for a code that does not exist');
  }
});

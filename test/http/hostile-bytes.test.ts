/**
 * Bytes, not only fields: headers over Node's 16 KB limit and JSON nested 200,000 deep get a 4xx in
 * the caller's envelope. (Huge headers once got Fastify's own `{"statusCode", "error"}` body; a
 * recursive text check would have overflowed the stack on deep JSON.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
before(async () => {
  r = await startReelay();
});
after(async () => r.stop());

test('headers over 16 KB: 431 with code headers_too_large, in each dialect\'s envelope', async () => {
  const cases = [
    ['/v2/jobs', (b: Record<string, unknown>) => b.code],
    ['/api/v3/predictions/x/result', (b: Record<string, unknown>) => (b.code === 431 ? 'headers_too_large' : b.code)],
    ['/api/v1/tasks/x', (b: Record<string, unknown>) => (b.error as { code: string }).code],
  ] as const;
  for (const [path, codeOf] of cases) {
    const res = await fetch(r.url + path, { headers: { 'x-api-key': r.key, 'x-padding': 'a'.repeat(20_000) } });
    assert.equal(res.status, 431, path);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(codeOf(body), 'headers_too_large', `${path}: ${JSON.stringify(body)}`);
  }
});

test('JSON nested 200,000 deep is a 400, not a stack overflow', async () => {
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  const v2 = await fetch(`${r.url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'x-api-key': r.key, 'content-type': 'application/json' },
    body: `{"model":"hailuo-2.3","prompt":"x","hailuoParams":${deep}}`,
  });
  assert.equal(v2.status, 400);
  const ws = await fetch(`${r.url}/api/v3/minimax/hailuo-2.3/t2v-standard`, {
    method: 'POST',
    headers: { authorization: `Bearer ${r.key}`, 'content-type': 'application/json' },
    body: `{"prompt":"x","extra":${deep}}`,
  });
  assert.equal(ws.status, 400);
  assert.equal(((await ws.json()) as { code: number }).code, 400);
});

test('a body that is not UTF-8, or JSON declared in another charset, is refused before anything is created or charged', async () => {
  const before = await r.reelay.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  const bytes = Buffer.concat([Buffer.from('{"model":"hailuo-2.3","prompt":"caf'), Buffer.from([0xe9, 0xff]), Buffer.from('"}')]);
  const bad = await fetch(`${r.url}/v2/videos/generate`, { method: 'POST', headers: { 'x-api-key': r.key, 'content-type': 'application/json' }, body: bytes });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, 'invalid_json');
  const ws = await fetch(`${r.url}/api/v3/minimax/hailuo-2.3/t2v-standard`, { method: 'POST', headers: { authorization: `Bearer ${r.key}`, 'content-type': 'application/json' }, body: bytes });
  assert.equal(ws.status, 400);
  assert.equal(((await ws.json()) as { code: number }).code, 400, 'WaveSpeed envelope');
  const latin1 = await fetch(`${r.url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'x-api-key': r.key, 'content-type': 'application/json; charset=iso-8859-1' },
    body: '{"model":"hailuo-2.3","prompt":"x"}',
  });
  assert.equal(latin1.status, 415);
  const after = await r.reelay.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  assert.equal(after.rows[0]!.n, before.rows[0]!.n, 'no job created');
  const ok = await fetch(`${r.url}/v2/videos/quote`, { method: 'POST', headers: { 'x-api-key': r.key, 'content-type': 'application/json; charset=UTF-8' }, body: '{"model":"hailuo-2.3","prompt":"café ✓"}' });
  assert.equal(ok.status, 200, 'UTF-8 declared is fine');
});

test('URLs Fastify cannot decode, and long path parameters, answer in the dialect\'s envelope', async () => {
  for (const [path, codeOf] of [
    ['/v2/jobs/%C0', (b: Record<string, unknown>) => b.code === 'validation_error' && typeof b.requestId === 'string'],
    ['/api/v3/predictions/%C0/result', (b: Record<string, unknown>) => b.code === 400],
    ['/api/v1/tasks/%ED%A0%80', (b: Record<string, unknown>) => (b.error as { code: string } | undefined)?.code === 'validation_error'],
  ] as const) {
    const res = await fetch(r.url + path, { headers: { 'x-api-key': r.key, authorization: `Bearer ${r.key}` } });
    assert.equal(res.status, 400, path);
    const body = (await res.json()) as Record<string, unknown>;
    assert.ok(codeOf(body), `${path}: ${JSON.stringify(body)}`);
  }
  const long = await fetch(`${r.url}/api/v1/tasks/${'a'.repeat(200)}`, { headers: { authorization: `Bearer ${r.key}` } });
  assert.equal(long.status, 404);
  assert.ok(((await long.json()) as { error: { code: string } }).error.code, 'API in One envelope');
});

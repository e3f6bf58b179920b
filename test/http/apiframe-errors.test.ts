import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccount, createApiKey } from '../../src/billing/index.js';
import { startReelay, api, statusWithin, waitForJob, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
let imageServer: Server;
let imageServerHits = 0;

before(async () => {
  r = await startReelay({ bodyLimitBytes: 64 * 1024 });
  imageServer = createServer((_req, res) => {
    imageServerHits++;
    res.end('not reached');
  });
  await new Promise<void>((ok) => imageServer.listen(0, '127.0.0.1', ok));
});
after(async () => {
  await r.stop();
  imageServer.close();
});

const good = { prompt: 'a castle', model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '768p' } };

async function jobCount(): Promise<number> {
  const { rows } = await r.reelay.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  return rows[0]!.n;
}

async function testCredits(): Promise<number> {
  const { rows } = await r.reelay.db.query<{ available: number }>(`SELECT available FROM wallets WHERE mode = 'test' ORDER BY account_id LIMIT 1`);
  return rows[0]!.available;
}

const cases: [string, unknown, number, string, string?][] = [
  ['invalid JSON', '{"prompt": "x", ', 400, 'invalid_json'],
  ['a JSON array', '[1,2]', 400, 'validation_error'],
  ['prompt of the wrong type', { ...good, prompt: 42 }, 400, 'validation_error', 'prompt'],
  ['duration as a string', { ...good, hailuoParams: { duration: '6' } }, 400, 'validation_error', 'hailuoParams.duration'],
  ['unknown model', { ...good, model: 'sora-9' }, 400, 'validation_error', 'model'],
  ['missing model', { prompt: 'x' }, 400, 'validation_error', 'model'],
  ['unknown top-level field', { ...good, seed: 4 }, 400, 'validation_error', 'seed'],
  ['unknown hailuoParams field', { ...good, hailuoParams: { fps: 60 } }, 400, 'validation_error', 'hailuoParams.fps'],
  ['duration 7', { ...good, hailuoParams: { duration: 7 } }, 400, 'validation_error', 'hailuoParams.duration'],
  ['1080p with 10 s', { ...good, hailuoParams: { duration: 10, resolution: '1080p' } }, 400, 'validation_error', 'hailuoParams.duration'],
  ['resolution 4k', { ...good, hailuoParams: { resolution: '4k' } }, 400, 'validation_error', 'hailuoParams.resolution'],
  ['prompt over 2000 characters', { ...good, prompt: 'x'.repeat(2001) }, 400, 'validation_error', 'prompt'],
  ['text-to-video without a prompt', { model: 'hailuo-2.3' }, 400, 'validation_error', 'prompt'],
  ['fast without an image', { prompt: 'x', model: 'hailuo-2.3-fast' }, 400, 'validation_error', 'hailuoParams.image'],
  ['bad webhook events', { ...good, webhookEvents: ['exploded'] }, 400, 'validation_error', 'webhookEvents.0'],
  ['image that is not a URL or data URI', { ...good, hailuoParams: { image: 'ftp://x/y.png' } }, 400, 'invalid_image', 'hailuoParams.image'],
  ['image data URI of another type', { ...good, hailuoParams: { image: 'data:text/plain;base64,aGVsbG8=' } }, 400, 'invalid_image', 'hailuoParams.image'],
  ['image data URI that is not an image', { ...good, hailuoParams: { image: 'data:image/png;base64,aGVsbG8gd29ybGQ=' } }, 400, 'invalid_image', 'hailuoParams.image'],
];

for (const [name, body, status, code, field] of cases) {
  test(`bad input: ${name} → ${status} ${code} in Apiframe's envelope, nothing created or charged`, async () => {
    const before = [await jobCount(), await testCredits()];
    const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', body);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.code, code);
    assert.equal(typeof res.body.error, 'string');
    assert.ok(String(res.body.error).length > 5);
    if (field) {
      const details = res.body.details as Record<string, string[]>;
      assert.ok(details && Array.isArray(details[field]), `details.${field} in ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual([await jobCount(), await testCredits()], before);
  });
}

test('an image URL on a private or loopback address is refused before any request reaches it', async () => {
  const port = (imageServer.address() as AddressInfo).port;
  for (const url of [`https://127.0.0.1:${port}/a.png`, `http://localhost:${port}/a.png`, 'https://169.254.169.254/latest/meta-data', 'https://[::1]/x.png', 'https://10.1.2.3/x.png']) {
    const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { ...good, hailuoParams: { image: url } });
    assert.equal(res.status, 400, url);
    assert.equal(res.body.code, 'url_not_allowed', `${url}: ${JSON.stringify(res.body)}`);
  }
  assert.equal(imageServerHits, 0);
});

test('an unreachable image URL is a 400, not a 500', async () => {
  const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { ...good, hailuoParams: { image: 'https://does-not-exist.invalid/a.png' } });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.ok(['invalid_image', 'url_not_allowed'].includes(String(res.body.code)));
});

test('a body over the limit is 413; wrong content type is 415', async () => {
  const big = await api(r.url, r.key, 'POST', '/v2/videos/generate', { ...good, prompt: 'x'.repeat(70 * 1024) });
  assert.equal(big.status, 413);
  assert.equal(big.body.code, 'payload_too_large');
  const form = await fetch(`${r.url}/v2/videos/generate`, { method: 'POST', headers: { 'x-api-key': r.key, 'content-type': 'text/plain' }, body: 'hello' });
  assert.equal(form.status, 415);
  assert.equal(((await form.json()) as Record<string, unknown>).code, 'unsupported_media_type');
});

test('missing, malformed, unknown and revoked keys answer 401', async () => {
  const none = await api(r.url, null, 'POST', '/v2/videos/generate', good);
  assert.equal(none.status, 401);
  assert.match(String(none.body.error), /X-API-Key/);
  assert.equal((await api(r.url, 'afk_nope', 'GET', '/v2/jobs')).status, 401);
  assert.equal((await api(r.url, `rl_test_${'1'.repeat(32)}`, 'GET', '/v2/jobs')).status, 401);
  const acct = (await r.reelay.db.query<{ id: string }>('SELECT id FROM accounts LIMIT 1')).rows[0]!.id;
  const k = await createApiKey(r.reelay.db, acct, 'test', 'to revoke');
  assert.equal((await api(r.url, k.key, 'GET', '/v2/jobs')).status, 200);
  // Written in SQL: the trigger's notification reaches the key cache asynchronously (within 100 ms
  // on a quiet machine; the bound here leaves room for a loaded CI runner).
  await r.reelay.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [k.id]);
  const revoked = await statusWithin(() => api(r.url, k.key, 'GET', '/v2/jobs'), 401, 2_000);
  assert.equal(revoked.status, 401, `still accepted ${revoked.ms} ms after the revoke`);
});

test("another account's job answers 404, exactly like a job that does not exist", async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', good);
  assert.equal(sub.status, 202);
  const other = await createAccount(r.reelay.db, { name: 'other', planId: 'free', testCredits: 100, liveCredits: 0, actor: 'test' });
  const otherKey = (await createApiKey(r.reelay.db, other, 'test')).key;
  const theirs = await api(r.url, otherKey, 'GET', `/v2/jobs/${String(sub.body.jobId)}`);
  const missing = await api(r.url, otherKey, 'GET', '/v2/jobs/00000000-0000-4000-8000-000000000000');
  assert.equal(theirs.status, 404);
  assert.equal(missing.status, 404);
  assert.equal(theirs.body.error, missing.body.error);
  assert.equal((await api(r.url, otherKey, 'POST', `/v2/jobs/${String(sub.body.jobId)}/cancel`)).status, 404);
  const list = await api(r.url, otherKey, 'GET', '/v2/jobs');
  assert.deepEqual(list.body.jobs, []);
  assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs/not-a-uuid')).status, 400);
  await waitForJob(r.url, r.key, String(sub.body.jobId));
});

test('unknown routes answer 404 in the envelope; /healthz and /readyz are public', async () => {
  const res = await api(r.url, r.key, 'GET', '/v2/nothing-here');
  assert.equal(res.status, 404);
  assert.equal(res.body.code, 'not_found');
  assert.deepEqual((await api(r.url, null, 'GET', '/healthz')).body, { ok: true });
  assert.equal((await api(r.url, null, 'GET', '/readyz')).status, 200);
});

test('a failing job (sandbox test trigger) is FAILED with its error and releases its credits', async () => {
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { ...good, prompt: 'a castle [[sandbox:fail=content_policy]]' });
  assert.equal(sub.status, 202);
  const job = await waitForJob(r.url, r.key, String(sub.body.jobId));
  assert.equal(job.status, 'FAILED');
  assert.equal(job.errorCode, 'content_policy');
  assert.match(String(job.error), /content policy/i);
  assert.equal(job.result, null);
  const { rows } = await r.reelay.db.query<{ kind: string }>('SELECT kind FROM ledger WHERE job_id = $1 ORDER BY id', [sub.body.jobId]);
  assert.deepEqual(rows.map((x) => x.kind), ['hold', 'release']);
});

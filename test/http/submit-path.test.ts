/**
 * One submit path for every dialect: the same Idempotency-Key rules, the same hostile-byte
 * refusals and the same rule table, each answered in the caller's own envelope. The dialects were
 * once three copies of one submit path and had drifted: a 3,000-character key was a 500 on
 * /api/v3 and /api/v1, `t2v-pro` replayed a `t2v-standard` job, NUL bytes were a 500 from jsonb.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import { join } from 'node:path';
import { makeImage } from '../support/images.js';

let r: TestReelay;
before(async () => {
  r = await startReelay({ allowPrivateUrls: true, allowHttpUrls: true });
});
after(async () => r.stop());

const WS = '/api/v3/minimax/hailuo-2.3';
const IMG = 'data:image/png;base64,not-needed-for-these-tests';

/** One submit per dialect, with a body builder so each test varies one thing. */
const DIALECTS = [
  { name: 'apiframe', path: '/v2/videos/generate', body: (prompt: string) => ({ model: 'hailuo-2.3', prompt }), auth: 'x-api-key' },
  { name: 'wavespeed', path: `${WS}/t2v-standard`, body: (prompt: string) => ({ prompt }), auth: 'bearer' },
  { name: 'apiinone', path: '/api/v1/videos/generations', body: (prompt: string) => ({ model: 'hailuo-2-3', prompt, image: IMG }), auth: 'bearer' },
] as const;

function send(d: (typeof DIALECTS)[number], body: unknown, headers: Record<string, string> = {}) {
  const auth: Record<string, string> = d.auth === 'bearer' ? { authorization: `Bearer ${r.key}` } : {};
  return api(r.url, d.auth === 'bearer' ? null : r.key, 'POST', d.path, body, { ...auth, ...headers });
}

/** The message of an error in any of the three envelopes. */
function messageOf(name: string, body: Record<string, unknown>): string {
  if (name === 'apiframe') return String(body.error);
  if (name === 'wavespeed') return String(body.message);
  return String((body.error as { message: string }).message);
}

test('an Idempotency-Key over 255 characters or with a control character is a 400 in every dialect, never a 500', async () => {
  for (const d of DIALECTS) {
    for (const key of ['k'.repeat(3000), 'tab\there', 'caf\u00e9']) {
      const res = await send(d, d.body('idempotency key shape'), { 'idempotency-key': key });
      assert.equal(res.status, 400, `${d.name} ${JSON.stringify(key.slice(0, 12))}: ${JSON.stringify(res.body)}`);
      assert.match(messageOf(d.name, res.body), /Idempotency-Key/);
    }
  }
});

test('WaveSpeed: t2v-pro with the Idempotency-Key of a t2v-standard job is a 409, not a replay of the 768p job', async () => {
  const headers = { authorization: `Bearer ${r.key}`, 'idempotency-key': 'ws-route-differs' };
  const first = await api(r.url, null, 'POST', `${WS}/t2v-standard`, { prompt: 'same body, other route' }, headers);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const again = await api(r.url, null, 'POST', `${WS}/t2v-standard`, { prompt: 'same body, other route' }, headers);
  assert.equal((again.body.data as { id: string }).id, (first.body.data as { id: string }).id, 'same route replays');
  const pro = await api(r.url, null, 'POST', `${WS}/t2v-pro`, { prompt: 'same body, other route' }, headers);
  assert.equal(pro.status, 409, JSON.stringify(pro.body));
  assert.equal(pro.body.code, 409, 'WaveSpeed envelope');
});

test('WaveSpeed: ?webhook= is part of the request an Idempotency-Key stands for', async () => {
  const headers = { authorization: `Bearer ${r.key}`, 'idempotency-key': 'ws-webhook-differs' };
  const a = await api(r.url, null, 'POST', `${WS}/t2v-standard?webhook=${encodeURIComponent('http://127.0.0.1:9/a')}`, { prompt: 'hook' }, headers);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const b = await api(r.url, null, 'POST', `${WS}/t2v-standard?webhook=${encodeURIComponent('http://127.0.0.1:9/b')}`, { prompt: 'hook' }, headers);
  assert.equal(b.status, 409, JSON.stringify(b.body));
});

test('an Idempotency-Key replays in every dialect, marked Idempotent-Replayed, and another request under it is a 409 in that dialect', async () => {
  for (const d of DIALECTS) {
    if (d.name === 'apiinone') continue; // its body needs a real image; covered by the shape test above
    const headers = { 'idempotency-key': `replay-${d.name}` };
    const one = await send(d, d.body('replay me'), headers);
    assert.ok(one.status < 300, JSON.stringify(one.body));
    const two = await send(d, d.body('replay me'), headers);
    assert.equal(two.status, one.status);
    assert.deepEqual([one.headers.get('idempotent-replayed'), two.headers.get('idempotent-replayed')], [null, 'true'], `${d.name} marks the replay`);
    const three = await send(d, d.body('another prompt'), headers);
    assert.equal(three.status, 409, `${d.name}: ${JSON.stringify(three.body)}`);
    assert.match(messageOf(d.name, three.body), /Idempotency-Key/);
  }
  // API in One needs a real image.
  const png = await makeImage(join(r.dataDir, 'replay.png'), 640, 480);
  const d = DIALECTS[2];
  const body = { ...d.body('replay me'), image: `data:image/png;base64,${png.toString('base64')}` };
  const one = await send(d, body, { 'idempotency-key': 'replay-apiinone' });
  const two = await send(d, body, { 'idempotency-key': 'replay-apiinone' });
  assert.ok(one.status < 300, JSON.stringify(one.body));
  assert.equal((two.body as { id: string }).id, (one.body as { id: string }).id);
  assert.deepEqual([one.headers.get('idempotent-replayed'), two.headers.get('idempotent-replayed')], [null, 'true'], 'apiinone marks the replay');
});

test('NUL bytes and lone surrogates in text are a 400 naming the field, in every dialect', async () => {
  for (const d of DIALECTS) {
    const nul = await send(d, d.body('a\u0000b'));
    assert.equal(nul.status, 400, `${d.name} NUL: ${JSON.stringify(nul.body)}`);
    assert.match(messageOf(d.name, nul.body), /prompt/);
    // Valid JSON whose string holds an unpaired surrogate (JSON.stringify would escape it the same way).
    const raw = JSON.stringify(d.body('SURROGATE')).replace('SURROGATE', 'x\\ud800y');
    const lone = await send(d, raw);
    assert.equal(lone.status, 400, `${d.name} lone surrogate: ${JSON.stringify(lone.body)}`);
  }
  const key = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'ok', ['we\u0000ird']: 1 });
  assert.equal(key.status, 400, 'an object key with NUL');
  const query = await api(r.url, null, 'POST', `${WS}/t2v-standard?webhook=http://a%00b`, { prompt: 'q' }, { authorization: `Bearer ${r.key}` });
  assert.equal(query.status, 400, 'NUL in the query string');
});

test('a malformed list cursor is a 400, not a 500', async () => {
  const uuid = '6c8e1c1e-8d3e-4a55-9f59-0d6c3f2d9a11';
  for (const raw of ['2026-01-01T00:00:00.000Z|not-a-uuid', `+275760-09-13T00:00:00.000Z|${uuid}`, `0001-01-01T00:00:00.000Z|${uuid}`, 'garbage', `2026-01-01T00:00:00.000Z|${uuid}|x`]) {
    const cursor = Buffer.from(raw).toString('base64url');
    const res = await api(r.url, r.key, 'GET', `/v2/jobs?cursor=${cursor}`);
    assert.equal(res.status, 400, `${raw}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, 'validation_error');
  }
  const good = await api(r.url, r.key, 'GET', `/v2/jobs?cursor=${Buffer.from(`2026-01-01T00:00:00.000Z|${uuid}`).toString('base64url')}`);
  assert.equal(good.status, 200);
});

test('one rule table, each dialect in its own words: WaveSpeed names the route, Apiframe the resolution', async () => {
  const ws = await api(r.url, null, 'POST', `${WS}/t2v-pro`, { prompt: 'ten seconds', duration: 10 }, { authorization: `Bearer ${r.key}` });
  assert.equal(ws.status, 400);
  assert.match(String(ws.body.message), /t2v-standard route/);
  assert.doesNotMatch(String(ws.body.message), /768p/);
  const af = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'x', hailuoParams: { duration: 10, resolution: '1080p' } });
  assert.equal(af.status, 400);
  assert.deepEqual(Object.keys(af.body.details as object), ['hailuoParams.duration']);
  assert.match(String(af.body.error), /768p/);
  const img = await api(r.url, null, 'POST', `${WS}/t2v-standard`, { prompt: 'x', image: 'https://example.com/a.png' }, { authorization: `Bearer ${r.key}` });
  assert.equal(img.status, 400);
  assert.match(String(img.body.message), /text-to-video/);
  const noImg = await api(r.url, null, 'POST', `${WS}/i2v-standard`, { prompt: 'x' }, { authorization: `Bearer ${r.key}` });
  assert.equal(noImg.status, 400);
  assert.match(String(noImg.body.message), /requires an image/);
});

test('regression: list pages skipped jobs created in the same millisecond (the cursor kept milliseconds, PostgreSQL keeps microseconds)', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: `same millisecond ${i} [[sandbox:fail=upstream_error]]` });
    ids.push(String(res.body.jobId));
  }
  const micros = ['.123456', '.123300', '.123100'];
  for (const [i, id] of ids.entries()) {
    await r.reelay.db.query(`UPDATE jobs SET created_at = $2::timestamptz WHERE id = $1`, [id, `2031-01-01T00:00:00${micros[i]}Z`]);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: Record<string, unknown> } = await api(r.url, r.key, 'GET', `/v2/jobs?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    seen.push(...(page.body.jobs as { id: string }[]).map((j) => j.id));
    cursor = page.body.nextCursor as string | null;
  } while (cursor && seen.length < 10);
  assert.deepEqual(seen.slice(0, 3), ids, 'the three, newest first, none skipped');
});

test('webhookUrl and webhook_url naming two different URLs is a 400, not a silent pick', async () => {
  const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'two hooks', webhookUrl: 'http://127.0.0.1:9/a', webhook_url: 'http://127.0.0.1:9/b' });
  assert.equal(res.status, 400);
  assert.deepEqual(Object.keys(res.body.details as object).sort(), ['webhookUrl', 'webhook_url']);
});

test('query parameters a route does not know are a 400, not silently ignored (?webhook[]= made a job with no webhook)', async () => {
  const ws = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard?webhook[]=http://127.0.0.1:9/a', { prompt: 'array hook' }, { authorization: `Bearer ${r.key}` });
  assert.equal(ws.status, 400, JSON.stringify(ws.body));
  const list = await api(r.url, r.key, 'GET', '/v2/jobs?status[]=FAILED');
  assert.equal(list.status, 400);
});

test('a retry with the Idempotency-Key replays the job even when the webhook host no longer resolves: not a 400 saying nothing was made', async () => {
  // The first submit resolves the webhook host; by the retry DNS is failing (EAI_AGAIN). The job
  // exists and is charged, so the retry must say so, as the lost first answer would have.
  const realLookup = dns.lookup;
  let failing = false;
  const fakeLookup = async (host: string, opts: object): Promise<unknown> => {
    if (host !== 'hooks.example.test') return (realLookup as (h: string, o: object) => Promise<unknown>)(host, opts);
    if (failing) throw Object.assign(new Error('getaddrinfo EAI_AGAIN hooks.example.test'), { code: 'EAI_AGAIN' });
    return [{ address: '93.184.216.34', family: 4 }];
  };
  (dns as { lookup: unknown }).lookup = fakeLookup;
  syncBuiltinESMExports();
  try {
    const hook = 'https://hooks.example.test/reelay';
    const cases = [
      { d: DIALECTS[0], body: { ...DIALECTS[0].body('dns retry [[sandbox:delay=30]]'), webhookUrl: hook }, query: '' },
      { d: DIALECTS[1], body: DIALECTS[1].body('dns retry [[sandbox:delay=30]]'), query: `?webhook=${encodeURIComponent(hook)}` },
    ] as const;
    for (const { d, body, query } of cases) {
      failing = false;
      const headers = { 'idempotency-key': `dns-${d.name}` };
      const first = await send({ ...d, path: `${d.path}${query}` } as unknown as (typeof DIALECTS)[number], body, headers);
      assert.ok(first.status < 300, `${d.name}: ${JSON.stringify(first.body)}`);
      failing = true;
      const retry = await send({ ...d, path: `${d.path}${query}` } as unknown as (typeof DIALECTS)[number], body, headers);
      assert.equal(retry.status, first.status, `${d.name}: ${JSON.stringify(retry.body)}`);
      assert.deepEqual(retry.body.jobId ?? (retry.body.data as { id: string }).id, first.body.jobId ?? (first.body.data as { id: string }).id);
    }
  } finally {
    (dns as { lookup: unknown }).lookup = realLookup;
    syncBuiltinESMExports();
  }
});

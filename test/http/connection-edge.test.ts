/**
 * What Node's HTTP server answered by itself, over raw sockets: each is now a 4xx in the caller's
 * envelope. (A missing Host and an unknown `Expect` were empty bodies; a body that never finished
 * held the connection forever; a good request pipelined ahead of garbage lost its answer to the
 * garbage's 400 although its job was created and charged; a wrong method was a 404; a repeated
 * Idempotency-Key was joined into a third key; `__proto__` was "not valid JSON"; a missing Studio
 * asset was text/plain.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startReelay, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
let port: number;
before(async () => {
  // The shortest request time limit the config takes, so the 408 test is quick.
  r = await startReelay({ requestTimeoutMs: 1000 });
  port = Number(new URL(r.url).port);
});
after(async () => r.stop());

interface RawAnswer {
  /** Every status line received, in order. */
  statuses: number[];
  /** The text after the last header block. */
  lastBody: string;
  text: string;
  ms: number;
}

/** Writes `bytes` on a fresh connection and reads until the server closes it (or `timeoutMs`). */
function rawRequest(bytes: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      const lastBody = text.slice(text.lastIndexOf('\r\n\r\n') + 4);
      resolve({ statuses, lastBody, text, ms: Date.now() - t0 });
    });
    socket.write(bytes);
  });
}

const json = (s: string): Record<string, unknown> => JSON.parse(s) as Record<string, unknown>;

test('an HTTP/1.1 request without Host is a 400 in the dialect\'s envelope, not an empty body', async () => {
  const v2 = await rawRequest(`GET /v2/jobs HTTP/1.1\r\nX-API-Key: ${r.key}\r\nConnection: close\r\n\r\n`);
  assert.deepEqual(v2.statuses, [400]);
  assert.equal(json(v2.lastBody).code, 'validation_error');
  assert.ok(json(v2.lastBody).requestId);
  const ws = await rawRequest(`GET /api/v3/predictions/x/result HTTP/1.1\r\nAuthorization: Bearer ${r.key}\r\nConnection: close\r\n\r\n`);
  assert.equal(json(ws.lastBody).code, 400, 'WaveSpeed envelope');
  const one = await rawRequest(`GET /api/v1/tasks/x HTTP/1.1\r\nAuthorization: Bearer ${r.key}\r\nConnection: close\r\n\r\n`);
  assert.equal((json(one.lastBody).error as { code: string }).code, 'validation_error', 'API in One envelope');
});

test('two Host lines, or a Host that is not a host, are a 400; HTTP/1.0 without Host still works and its file URLs name a host', async () => {
  for (const hosts of ['Host: a\r\nHost: b', 'Host: a b', 'Host: x/y']) {
    const res = await rawRequest(`GET /v2/me HTTP/1.1\r\n${hosts}\r\nX-API-Key: ${r.key}\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(res.statuses, [400], hosts);
    assert.equal(json(res.lastBody).code, 'validation_error');
  }
  const ok = await rawRequest(`GET /v2/me HTTP/1.1\r\nHost: [::1]:8080\r\nX-API-Key: ${r.key}\r\nConnection: close\r\n\r\n`);
  assert.deepEqual(ok.statuses, [200]);

  const sub = await fetch(`${r.url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'x-api-key': r.key, 'content-type': 'application/json', prefer: 'wait=60' },
    body: JSON.stringify({ model: 'hailuo-2.3', prompt: 'an http/1.0 client fetches this' }),
  });
  const { id } = (await sub.json()) as { id: string };
  const old = await rawRequest(`GET /v2/jobs/${id} HTTP/1.0\r\nX-API-Key: ${r.key}\r\n\r\n`);
  assert.ok(old.text.startsWith('HTTP/1.1 200'), old.text.slice(0, 200));
  const videoUrl = (json(old.lastBody).result as { videoUrl: string }).videoUrl;
  assert.equal(new URL(videoUrl).origin, r.url, `a usable file URL, not http:///files/…: ${videoUrl}`);
});

test('a body that never finishes arriving is a 408 in the envelope after the request time limit, and the server goes on serving', async () => {
  const head = `POST /v2/videos/generate HTTP/1.1\r\nHost: x\r\nX-API-Key: ${r.key}\r\nContent-Type: application/json\r\n`;
  const chunked = await rawRequest(`${head}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`);
  assert.deepEqual(chunked.statuses, [408]);
  assert.equal(json(chunked.lastBody).code, 'request_timeout');
  assert.ok(chunked.ms < 5000, `${chunked.ms} ms`);
  const short = await rawRequest(`${head}Content-Length: 100\r\n\r\n{"model":`);
  assert.deepEqual(short.statuses, [408]);
  const ws = await rawRequest(`POST /api/v3/minimax/hailuo-2.3/t2v-standard HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${r.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
  assert.equal(json(ws.lastBody).code, 408, 'WaveSpeed envelope');
  const headers = await rawRequest(`GET /v2/me HTTP/1.1\r\nHost: x\r\nX-Slow: a`);
  assert.deepEqual(headers.statuses, [408], 'headers that never end');
  assert.equal((await fetch(`${r.url}/healthz`)).status, 200);
});

test('a good submit pipelined ahead of bytes Node cannot parse gets its own answer first, then the 400', async () => {
  // A render that outlasts the 1 s `Prefer: wait`, so the answer is held while the garbage arrives
  // (a plain render once finished within the second on a quiet machine, and answered 200).
  const body = JSON.stringify({ model: 'hailuo-2.3', prompt: 'pipelined ahead of garbage [[sandbox:delay=20]]' });
  const res = await rawRequest(
    `POST /v2/videos/generate HTTP/1.1\r\nHost: x\r\nX-API-Key: ${r.key}\r\nContent-Type: application/json\r\nPrefer: wait=1\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}GARBAGE / HTTP/1.1\r\n\r\n`,
  );
  assert.deepEqual(res.statuses, [202, 400], res.text.slice(0, 300));
  const jobId = /"jobId":"([0-9a-f-]{36})"/.exec(res.text)?.[1];
  assert.ok(jobId, 'the 202 names the job that was created and charged');
  assert.equal(json(res.lastBody).code, 'validation_error');
  await fetch(`${r.url}/v2/jobs/${jobId}/cancel`, { method: 'POST', headers: { 'x-api-key': r.key } });
  // Two reads then garbage: both answers, in order, then the 400.
  const reads = await rawRequest(`GET /v2/plan HTTP/1.1\r\nHost: x\r\nX-API-Key: ${r.key}\r\n\r\nGET /v2/me HTTP/1.1\r\nHost: x\r\nX-API-Key: ${r.key}\r\n\r\n\u0001\u0002`);
  assert.deepEqual(reads.statuses, [200, 200, 400]);
  // The request that itself breaks (a bad chunk) is still answered at once.
  const broken = await rawRequest(`POST /v2/videos/quote HTTP/1.1\r\nHost: x\r\nX-API-Key: ${r.key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`);
  assert.deepEqual(broken.statuses, [400]);
  assert.ok(broken.ms < 2000, `${broken.ms} ms`);
  // …in the envelope its URL names (the bytes Node refused are the chunk, not the request line).
  const wsBroken = await rawRequest(`POST /api/v3/minimax/hailuo-2.3/t2v-standard HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${r.key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`);
  assert.equal(json(wsBroken.lastBody).code, 400, 'WaveSpeed envelope');
});

test('an Expect other than 100-continue is a 417 in the envelope', async () => {
  const res = await rawRequest(`POST /api/v1/videos/generations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${r.key}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: teapot\r\n\r\n{}`);
  assert.deepEqual(res.statuses, [417]);
  assert.equal((json(res.lastBody).error as { code: string }).code, 'expectation_failed');
});

test('a route called with a method it does not take is a 405 with Allow, in each envelope; OPTIONS lists the methods', async () => {
  const cases = [
    ['PUT', '/v2/videos/generate', 'POST', (b: Record<string, unknown>) => b.code],
    ['DELETE', '/api/v3/predictions/00000000-0000-4000-8000-000000000000', 'GET, HEAD', (b: Record<string, unknown>) => (b.code === 405 ? 'method_not_allowed' : b.code)],
    ['GET', '/api/v1/videos/generations', 'POST', (b: Record<string, unknown>) => (b.error as { code: string }).code],
    ['POST', '/files/jobs/x/video.mp4', 'GET, HEAD', (b: Record<string, unknown>) => b.code],
  ] as const;
  for (const [method, path, allow, codeOf] of cases) {
    const res = await fetch(r.url + path, { method, headers: { 'x-api-key': r.key, authorization: `Bearer ${r.key}` } });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get('allow'), allow);
    assert.equal(codeOf((await res.json()) as Record<string, unknown>), 'method_not_allowed');
  }
  const options = await fetch(`${r.url}/v2/jobs`, { method: 'OPTIONS' });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS');
  assert.equal((await fetch(`${r.url}/v2/nothing-here`, { method: 'PUT' })).status, 404, 'no such path is still a 404');
});

test('Idempotency-Key or X-API-Key sent twice is a 400 and nothing is created', async () => {
  const count = async () => (await r.reelay.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0]!.n;
  const before = await count();
  const body = '{"model":"hailuo-2.3","prompt":"twice"}';
  const idem = await rawRequest(
    `POST /v2/videos/generate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: ${r.key}\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  assert.deepEqual(idem.statuses, [400]);
  assert.deepEqual(Object.keys(json(idem.lastBody).details as object), ['Idempotency-Key']);
  const keys = await rawRequest(`GET /api/v3/webhook/secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${r.key}\r\nAuthorization: Bearer rl_test_other\r\n\r\n`);
  assert.deepEqual(keys.statuses, [400]);
  assert.equal(json(keys.lastBody).code, 400, 'WaveSpeed envelope');
  assert.equal(await count(), before);
});

test('a "__proto__" key is a 400 that says so, not "not valid JSON"', async () => {
  const res = await fetch(`${r.url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'x-api-key': r.key, 'content-type': 'application/json' },
    body: '{"model":"hailuo-2.3","prompt":"x","hailuoParams":{"__proto__":{"duration":10}}}',
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { code: string; error: string };
  assert.equal(body.code, 'validation_error');
  assert.match(body.error, /__proto__/);
  const broken = await fetch(`${r.url}/v2/videos/generate`, { method: 'POST', headers: { 'x-api-key': r.key, 'content-type': 'application/json' }, body: '{"__proto__":' });
  assert.equal(((await broken.json()) as { code: string }).code, 'invalid_json', 'JSON that does not parse is still invalid_json');
});

test('a missing Studio asset is a 404 in the envelope, not text/plain', async () => {
  const res = await fetch(`${r.url}/studio/assets/missing-file.js`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(((await res.json()) as { code: string }).code, 'not_found');
});

test('an empty body with Content-Type: application/json (or any type) is no body: body-less routes answer, submits say a body is needed', async () => {
  const json = { 'x-api-key': r.key, 'content-type': 'application/json' };
  const sub = await fetch(`${r.url}/v2/videos/generate`, { method: 'POST', headers: json, body: JSON.stringify({ model: 'hailuo-2.3', prompt: 'canceled at once [[sandbox:delay=30]]' }) });
  const { jobId } = (await sub.json()) as { jobId: string };
  const cancel = await fetch(`${r.url}/v2/jobs/${jobId}/cancel`, { method: 'POST', headers: json });
  assert.equal(cancel.status, 200, 'cancel with a JSON content type and no body (it was 400 "body is empty")');
  const made = await fetch(`${r.url}/v2/keys`, { method: 'POST', headers: json, body: '' });
  assert.equal(made.status, 201);
  const { id } = (await made.json()) as { id: string };
  assert.equal((await fetch(`${r.url}/v2/keys/${id}`, { method: 'DELETE', headers: json })).status, 200);
  const rotate = await fetch(`${r.url}/v2/webhooks/secret/rotate`, { method: 'POST', headers: { 'x-api-key': r.key, 'content-type': 'text/plain' }, body: '' });
  assert.equal(rotate.status, 200, 'it was 415');
  const empty = await fetch(`${r.url}/api/v3/minimax/hailuo-2.3/t2v-standard`, { method: 'POST', headers: { authorization: `Bearer ${r.key}`, 'content-type': 'application/json' }, body: '' });
  assert.equal(empty.status, 400);
  assert.deepEqual(Object.keys(((await empty.json()) as { details: object }).details), ['(body)']);
});

test('regression: a request made in process with app.inject (the bench, an embedder\'s tests) is served; it has no headersDistinct and every one answered 500', async () => {
  const me = await r.reelay.app.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': r.key } });
  assert.equal(me.statusCode, 200, me.body);
  const submit = await r.reelay.app.inject({ method: 'POST', url: '/v2/videos/generate', headers: { 'x-api-key': r.key }, payload: { prompt: 'in process [[sandbox:fail=content_policy]]', model: 'hailuo-2.3' } });
  assert.equal(submit.statusCode, 202, submit.body);
});

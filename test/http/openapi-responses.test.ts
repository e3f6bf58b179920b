/**
 * Real answers of the three dialects (and the /v2 webhook routes) match the schemas `/openapi.json`
 * documents for their path, method and status: happy paths, every job status a dialect can show,
 * and errors in each dialect's envelope. A field sent but not documented, a documented field
 * missing or mistyped, or a status the document does not list fails here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startReelay, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';
import { OpenApiChecker, type Answer, type OpenApiDoc } from '../support/openapi-check.js';

const ADMIN = 'admin-token-for-openapi-responses-0123';
let r: TestReelay;
let check: OpenApiChecker;
let tmp: string;
let image: string;
let hooks: Server;
let hookUrl: string;

before(async () => {
  r = await startReelay({ adminToken: ADMIN, allowPrivateUrls: true, allowHttpUrls: true, syncWaitSeconds: 60 });
  const doc = (await (await fetch(`${r.url}/openapi.json`)).json()) as OpenApiDoc;
  check = new OpenApiChecker(doc, r.url);
  tmp = await mkdtemp(join(tmpdir(), 'reelay-oas-'));
  image = `data:image/jpeg;base64,${(await makeImage(join(tmp, 'frame.jpg'), 1280, 720)).toString('base64')}`;
  hooks = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await r?.stop();
  await new Promise((ok) => hooks?.close(ok));
  await rm(tmp, { recursive: true, force: true });
});

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'completed', 'failed', 'canceled']);

/** Polls a read route, checking every answer, until the status word at `statusOf` is final. */
async function untilFinal(template: string, url: string, statusOf: (a: Answer) => unknown): Promise<Answer> {
  for (let i = 0; i < 480; i++) {
    const a = await check.call('GET', template, url, { key: r.key, expect: 200 });
    if (FINAL.has(String(statusOf(a)))) return a;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(`${url} did not finish`);
}

const cancel = (id: string) => check.call('POST', '/v2/jobs/{id}/cancel', `/v2/jobs/${id}/cancel`, { key: r.key, expect: 200 });

test('Apiframe v2: generate, poll to COMPLETED and FAILED, cancel, list, quote, models, me; errors in its envelope', async () => {
  const gen = (body: unknown, expect: number, o: { key?: string | null; headers?: Record<string, string> } = {}) =>
    check.call('POST', '/v2/videos/generate', '/v2/videos/generate', { key: o.key === undefined ? r.key : o.key, body, expect, ...(o.headers ? { headers: o.headers } : {}) });

  const ok = await gen({ model: 'hailuo-2.3', prompt: 'a lighthouse at dusk [Zoom in]', hailuoParams: { duration: 6, resolution: '768p' }, webhookUrl: hookUrl }, 202);
  const done = await untilFinal('/v2/jobs/{id}', `/v2/jobs/${String(ok.body.jobId)}`, (a) => a.body.status);
  assert.equal(done.body.status, 'COMPLETED');
  assert.ok(done.body.result, 'a completed job has a result');

  const bad = await gen({ model: 'hailuo-2.3', prompt: 'x [[sandbox:fail=content_policy]]' }, 202);
  const failed = await untilFinal('/v2/jobs/{id}', `/v2/jobs/${String(bad.body.jobId)}`, (a) => a.body.status);
  assert.equal(failed.body.status, 'FAILED');

  const slow = await gen({ model: 'hailuo-2.3-fast', prompt: 'slow [[sandbox:delay=30]]', hailuoParams: { image } }, 202);
  await check.call('GET', '/v2/jobs/{id}', `/v2/jobs/${String(slow.body.jobId)}`, { key: r.key, expect: 200 });
  assert.equal((await cancel(String(slow.body.jobId))).body.status, 'CANCELLED');
  const again = await check.call('POST', '/v2/jobs/{id}/cancel', `/v2/jobs/${String(slow.body.jobId)}/cancel`, { key: r.key, expect: 409 });
  assert.equal(again.body.status, 'CANCELLED');

  await check.call('GET', '/v2/jobs', '/v2/jobs?limit=2', { key: r.key, expect: 200 });
  await check.call('GET', '/v2/jobs', '/v2/jobs?status=DONE', { key: r.key, expect: 400 });
  await check.call('POST', '/v2/videos/quote', '/v2/videos/quote', { key: r.key, body: { model: 'hailuo-2.3', prompt: 'x', hailuoParams: { duration: 6, resolution: '1080p' } }, expect: 200 });
  await check.call('POST', '/v2/videos/quote', '/v2/videos/quote', { key: r.key, body: { model: 'hailuo-2.3', prompt: 'x', hailuoParams: { duration: 10, resolution: '1080p' } }, expect: 400 });
  await check.call('GET', '/v2/models', '/v2/models', { key: r.key, expect: 200 });
  await check.call('GET', '/v2/me', '/v2/me', { key: r.key, expect: 200 });

  // Errors: validation, bad JSON, not JSON, no key, idempotency conflict, no credits, bad id, unknown id.
  const invalid = await gen({ model: 'hailuo-2.3', prompt: 'x', hailuoParams: { duration: 10, resolution: '1080p' } }, 400);
  assert.equal(invalid.body.code, 'validation_error');
  await check.call('POST', '/v2/videos/generate', '/v2/videos/generate', { key: r.key, rawBody: '{"model":', headers: { 'content-type': 'application/json' }, expect: 400 });
  await check.call('POST', '/v2/videos/generate', '/v2/videos/generate', { key: r.key, rawBody: 'hello', headers: { 'content-type': 'text/plain' }, expect: 415 });
  await gen({ model: 'hailuo-2.3', prompt: 'x' }, 401, { key: null });
  await gen({ model: 'hailuo-2.3', prompt: 'once [[sandbox:delay=30]]' }, 202, { headers: { 'idempotency-key': 'oas-1' } }).then((a) => cancel(String(a.body.jobId)));
  await gen({ model: 'hailuo-2.3', prompt: 'twice' }, 409, { headers: { 'idempotency-key': 'oas-1' } });
  const poor = await check.call('POST', '/admin/accounts', '/admin/accounts', { headers: { authorization: `Bearer ${ADMIN}` }, body: { name: 'poor', testCredits: 0, withKey: 'test' }, expect: 201 });
  const noCredits = await gen({ model: 'hailuo-2.3', prompt: 'x' }, 402, { key: String(poor.body.key) });
  assert.equal(noCredits.body.creditsAvailable, 0);
  await check.call('GET', '/v2/jobs/{id}', '/v2/jobs/not-a-uuid', { key: r.key, expect: 400 });
  await check.call('GET', '/v2/jobs/{id}', `/v2/jobs/${randomUUID()}`, { key: r.key, expect: 404 });
  await check.call('POST', '/v2/jobs/{id}/cancel', `/v2/jobs/${randomUUID()}/cancel`, { key: r.key, expect: 404 });

  // Webhooks of the completed job: the log, a redelivery, the secret and its rotation.
  const id = String(ok.body.jobId);
  for (let i = 0; i < 120; i++) {
    const log = await check.call('GET', '/v2/jobs/{id}/webhooks', `/v2/jobs/${id}/webhooks`, { key: r.key, expect: 200 });
    if (log.body.webhookStatus === 'delivered') break;
    await new Promise((res) => setTimeout(res, 250));
  }
  await check.call('POST', '/v2/jobs/{id}/webhooks/redeliver', `/v2/jobs/${id}/webhooks/redeliver`, { key: r.key, expect: 202 });
  await check.call('POST', '/v2/jobs/{id}/webhooks/redeliver', `/v2/jobs/${String(bad.body.jobId)}/webhooks/redeliver`, { key: r.key, expect: 409 });
  await check.call('GET', '/v2/jobs/{id}/webhooks', `/v2/jobs/${randomUUID()}/webhooks`, { key: r.key, expect: 404 });
  await check.call('GET', '/v2/webhooks/secret', '/v2/webhooks/secret', { key: r.key, expect: 200 });
  await check.call('POST', '/v2/webhooks/secret/rotate', '/v2/webhooks/secret/rotate', { key: r.key, expect: 200 });
});

test('WaveSpeed v3: every endpoint, sync mode, completed/failed predictions, the secret; errors in its envelope', async () => {
  const ws = '/api/v3/minimax/hailuo-2.3';
  const submit = (slug: string, body: unknown, expect: number, key: string | null = r.key) => check.call('POST', `${ws}/${slug}`, `${ws}/${slug}`, { key, body, expect });

  const t2v = await submit('t2v-standard', { prompt: 'a paper boat [Truck left]', duration: 6 }, 200);
  const id = String((t2v.body.data as { id: string }).id);
  const done = await untilFinal('/api/v3/predictions/{id}/result', `/api/v3/predictions/${id}/result`, (a) => (a.body.data as { status: string }).status);
  assert.equal((done.body.data as { status: string }).status, 'completed');
  await check.call('GET', '/api/v3/predictions/{id}', `/api/v3/predictions/${id}`, { key: r.key, expect: 200 });

  const sync = await submit('t2v-pro', { prompt: 'a quick one', enable_sync_mode: true }, 200);
  assert.ok(FINAL.has((sync.body.data as { status: string }).status), 'sync mode answers with the final prediction');

  // The other endpoints, held by a delay and cancelled through /v2 (a canceled job reads "failed" here).
  for (const slug of ['i2v-standard', 'i2v-pro', 'fast', 'fast-pro']) {
    const a = await submit(slug, { prompt: 'slow [[sandbox:delay=30]] [Push in]', image }, 200);
    const pid = String((a.body.data as { id: string }).id);
    await cancel(pid);
    const read = await check.call('GET', '/api/v3/predictions/{id}/result', `/api/v3/predictions/${pid}/result`, { key: r.key, expect: 200 });
    assert.equal((read.body.data as { status: string }).status, 'failed');
  }

  const bad = await submit('t2v-standard', { prompt: 'x [[sandbox:fail=upstream_error]]' }, 200);
  const failed = await untilFinal('/api/v3/predictions/{id}/result', `/api/v3/predictions/${String((bad.body.data as { id: string }).id)}/result`, (a) => (a.body.data as { status: string }).status);
  assert.equal((failed.body.data as { status: string }).status, 'failed');

  await check.call('GET', '/api/v3/webhook/secret', '/api/v3/webhook/secret', { key: r.key, expect: 200 });

  const wrongMode = await submit('t2v-standard', { prompt: 'x', image }, 400);
  assert.equal(wrongMode.body.code, 400);
  await submit('fast', { prompt: 'x' }, 400);
  await submit('t2v-standard', { prompt: 'x', duration: 10, unknown: 1 }, 400);
  await submit('t2v-standard', { prompt: 'x' }, 401, null);
  await check.call('GET', '/api/v3/predictions/{id}/result', `/api/v3/predictions/${randomUUID()}/result`, { key: r.key, expect: 404 });
  await check.call('GET', '/api/v3/predictions/{id}', '/api/v3/predictions/nope', { key: r.key, expect: 404 });
});

test('API in One: a task to completed, a canceled one, failures; errors in its envelope', async () => {
  const gen = (body: unknown, expect: number, key: string | null = r.key) => check.call('POST', '/api/v1/videos/generations', '/api/v1/videos/generations', { key, body, expect });
  const task = await gen({ model: 'hailuo-2-3', prompt: 'a golden retriever in sunflowers', image, duration: '6', resolution: '768P' }, 200);
  const done = await untilFinal('/api/v1/tasks/{task_id}', `/api/v1/tasks/${String(task.body.task_id)}`, (a) => a.body.status);
  assert.equal(done.body.status, 'completed');

  const slow = await gen({ model: 'hailuo/2-3-image-to-video-pro', prompt: 'slow [[sandbox:delay=30]]', image, duration: '6', resolution: '1080P' }, 200);
  await cancel(String(slow.body.task_id));
  const canceled = await check.call('GET', '/api/v1/tasks/{task_id}', `/api/v1/tasks/${String(slow.body.task_id)}`, { key: r.key, expect: 200 });
  assert.equal(canceled.body.status, 'canceled');

  const bad = await gen({ model: 'hailuo-2-3', prompt: 'x [[sandbox:fail=content_policy]]', image }, 200);
  const failed = await untilFinal('/api/v1/tasks/{task_id}', `/api/v1/tasks/${String(bad.body.task_id)}`, (a) => a.body.status);
  assert.equal(failed.body.status, 'failed');

  const missing = await gen({ model: 'hailuo-2-3', prompt: 'x' }, 400);
  assert.equal((missing.body.error as { code: string }).code, 'validation_error');
  await gen({ model: 'sora', prompt: 'x', image }, 400);
  await gen({ model: 'hailuo-2-3', prompt: 'x', image }, 401, null);
  await check.call('GET', '/api/v1/tasks/{task_id}', `/api/v1/tasks/${randomUUID()}`, { key: r.key, expect: 404 });
});

test('every operation of the dialects and webhooks was exercised with a documented success', () => {
  assert.deepEqual(check.untested(['Apiframe v2', 'WaveSpeed v3', 'API in One', 'Webhooks']), []);
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { registeredRoutes } from '../../src/http/index.js';
import { startReelay, api, type TestReelay } from '../support/reelay.js';

let r: TestReelay;
before(async () => {
  r = await startReelay();
});
after(async () => r.stop());

/** Asset routes that are not API: the viewer's script and the Studio's static files. */
const NOT_API = [/^\/docs\/scalar\.js$/, /^\/studio(\/|$)/];

test('every registered route is described in /openapi.json, and nothing else is', async () => {
  const res = await api(r.url, null, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, '3.1.0');
  const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
  const actual = new Set(
    registeredRoutes(r.reelay.app)
      .filter((x) => !NOT_API.some((re) => re.test(x.url)))
      .map((x) => `${x.method} ${x.url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\*$/, '{path}')}`),
  );
  assert.deepEqual([...actual].filter((x) => !documented.has(x)).sort(), [], 'routes missing from the document');
  assert.deepEqual([...documented].filter((x) => !actual.has(x)).sort(), [], 'documented routes that do not exist');
});

test('request schemas come from the validating zod schemas, with examples', async () => {
  const doc = (await api(r.url, null, 'GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: Record<string, unknown>; example?: unknown } } } }>>;
  };
  const gen = doc.paths['/v2/videos/generate']!.post!.requestBody!.content['application/json'];
  const props = gen.schema.properties as Record<string, { properties?: Record<string, unknown> }>;
  assert.ok(props.hailuoParams?.properties?.prompt_optimizer, 'hailuoParams.prompt_optimizer documented');
  assert.equal(gen.schema.additionalProperties, false, 'strictness carried over');
  assert.ok(gen.example);
  const ws = doc.paths['/api/v3/minimax/hailuo-2.3/t2v-standard']!.post!.requestBody!.content['application/json'];
  assert.ok((ws.schema.properties as Record<string, unknown>).enable_prompt_expansion);
  assert.ok(doc.paths['/api/v1/videos/generations']!.post!.requestBody);
});

test('every response is typed: a JSON schema, or the media types of a file, HTML or text', async () => {
  const doc = (await api(r.url, null, 'GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  };
  const untyped: string[] = [];
  let total = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, res] of Object.entries(op.responses)) {
        total++;
        // 204 (No Content, by definition) is the answer without a body.
        if (status === '204') continue;
        const media = Object.values(res.content ?? {});
        if (media.length === 0 || media.some((m) => !m.schema)) untyped.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
  assert.ok(total > 150, `${total} responses`);
  assert.deepEqual(untyped, []);
});

test('model, duration, resolution and status words are enums from the catalog and the dialects', async () => {
  const doc = (await api(r.url, null, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, { properties: Record<string, { enum?: unknown[] }> }> } };
  const s = doc.components.schemas;
  assert.deepEqual(s.ApiframeJob!.properties.status!.enum, ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED']);
  assert.deepEqual(s.ApiframeJob!.properties.model!.enum, ['hailuo-2.3', 'hailuo-2.3-fast']);
  assert.deepEqual(s.ApiInOneTask!.properties.status!.enum, ['pending', 'processing', 'completed', 'failed', 'canceled']);
  const prediction = (s.WavespeedPredictionResponse!.properties.data as unknown as { properties: Record<string, { enum?: unknown[] }> }).properties;
  assert.deepEqual(prediction.status!.enum, ['created', 'processing', 'completed', 'failed']);
  assert.equal(prediction.model!.enum!.length, 6);
  const quote = doc.paths['/v2/videos/quote']!.post!.responses as Record<string, { content: { 'application/json': { schema: { properties: Record<string, { enum?: unknown[] }> } } } }>;
  const q = quote['200']!.content['application/json'].schema.properties;
  assert.deepEqual([q.resolution!.enum, q.duration!.enum], [['768p', '1080p'], [6, 10]]);
  const body = (doc.paths['/v2/videos/generate']!.post!.requestBody as { content: { 'application/json': { schema: { properties: Record<string, { enum?: unknown[]; properties?: Record<string, { enum?: unknown[] }> }> } } } }).content['application/json'].schema.properties;
  assert.deepEqual(body.model!.enum, ['hailuo-2.3', 'hailuo-2.3-fast']);
  assert.deepEqual(body.hailuoParams!.properties!.duration!.enum, [6, 10]);
  assert.deepEqual(body.hailuoParams!.properties!.resolution!.enum, ['768p', '1080p']);
});

test('/docs renders with the bundled viewer, no CDN', async () => {
  const html = await fetch(`${r.url}/docs`);
  assert.equal(html.status, 200);
  const text = await html.text();
  assert.match(text, /data-url="\/openapi.json"/);
  assert.doesNotMatch(text, /https?:\/\/(cdn|unpkg|jsdelivr)/);
  const js = await fetch(`${r.url}/docs/scalar.js`);
  assert.equal(js.status, 200);
  assert.ok((await js.arrayBuffer()).byteLength > 100_000);
});

test('/docs and its script cannot be framed or sniffed, and send no Referer: the Test Request client holds the key typed into it', async () => {
  for (const path of ['/docs', '/docs/scalar.js']) {
    const res = await fetch(r.url + path);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
  }
  assert.equal((await fetch(r.url + '/openapi.json')).headers.get('x-content-type-options'), 'nosniff');
});

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

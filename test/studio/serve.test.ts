/** How Reelay serves the built Studio: paths, headers, the SPA fallback, traversal, a missing build. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { registerStudio, safeJoin, studioCsp } from '../../src/studio/index.js';
import { startReelay, type TestReelay } from '../support/reelay.js';
import { ensureStudioBuilt } from './support.js';

let r: TestReelay;
before(async () => {
  await ensureStudioBuilt();
  r = await startReelay();
});
after(async () => r.stop());

test('/studio redirects to /studio/, which is the app with a strict CSP and no third-party origin', async () => {
  const redirect = await fetch(`${r.url}/studio`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), '/studio/');
  const res = await fetch(`${r.url}/studio/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self'(;|$)/);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  const html = await res.text();
  assert.match(html, /<div id="root">/);
  assert.doesNotMatch(html, /https?:\/\//, 'no absolute URL: nothing is loaded from elsewhere');
  const assets = [...html.matchAll(/(?:src|href)="(\/studio\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), assets.join(', '));
  for (const a of assets) {
    const asset = await fetch(r.url + a);
    assert.equal(asset.status, 200, a);
    if (a.includes('/assets/')) assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const body = await asset.text();
    assert.doesNotMatch(body, /https?:\/\/(fonts\.googleapis|cdn\.|unpkg|jsdelivr)/, `${a} loads nothing from a CDN`);
  }
});

test('app routes fall back to index.html; a missing asset is a 404; traversal never leaves the build', async () => {
  const page = await fetch(`${r.url}/studio/jobs/0b4a3c4e-2f7e-4f51-9c1e-1d2a3b4c5d6e`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="root">/);
  assert.equal((await fetch(`${r.url}/studio/assets/nope.js`)).status, 404);
  for (const p of ['/studio/..%2f..%2f..%2fpackage.json', '/studio/%2e%2e/%2e%2e/%2e%2e/package.json', '/studio/..%5c..%5cpackage.json']) {
    const res = await fetch(r.url + p);
    const text = await res.text();
    assert.doesNotMatch(text, /"name": "reelay"/, `${p} must not serve package.json`);
  }
  assert.equal(safeJoin('/srv/studio', '../secret'), null);
  assert.equal(safeJoin('/srv/studio', 'assets/../../secret'), null);
  assert.equal(safeJoin('/srv/studio', 'a/\0b'), null);
  assert.equal(safeJoin('/srv/studio', 'assets/app.js'), '/srv/studio/assets/app.js');
});

test('the Studio needs no API key to load, while the API behind it still does', async () => {
  assert.equal((await fetch(`${r.url}/studio/`)).status, 200);
  assert.equal((await fetch(`${r.url}/v2/me`)).status, 401);
});

test('a missing build answers 503 with how to build it; PUBLIC_URL joins the media sources', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-studio-empty-'));
  const app = Fastify();
  registerStudio(app, { config: { publicUrl: undefined }, studioDir: dir });
  try {
    const res = await app.inject({ method: 'GET', url: '/studio/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:studio/);
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(dir, 'assets', 'a.css'), 'body{}');
    assert.equal((await app.inject({ method: 'GET', url: '/studio/' })).statusCode, 200, 'a build made after start is served');
    const css = await app.inject({ method: 'GET', url: '/studio/assets/a.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
  assert.match(studioCsp('https://cdn.reelay.example/base'), /media-src 'self' data: blob: https:\/\/cdn\.reelay\.example;/);
  assert.doesNotMatch(studioCsp(undefined), /https:/);
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { APIFRAME_DOCS } from '../dialects/apiframe/docs.js';
import { WAVESPEED_DOCS } from '../dialects/wavespeed/docs.js';
import { APIINONE_DOCS } from '../dialects/apiinone/docs.js';
import { ACCOUNT_DOCS, ADMIN_DOCS, SERVICE_DOCS } from './core-docs.js';
import { buildOpenApi } from './build.js';
import type { RouteDoc } from './types.js';

export type { RouteDoc } from './types.js';
export { buildOpenApi } from './build.js';

export const CORE_ROUTE_DOCS: readonly RouteDoc[] = [...APIFRAME_DOCS, ...WAVESPEED_DOCS, ...APIINONE_DOCS, ...ACCOUNT_DOCS, ...ADMIN_DOCS, ...SERVICE_DOCS];

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Scalar set up as an offline, self-hosted reference: no fonts from its CDN, no telemetry, no
 * "Ask AI" agent (it queries Scalar's registry through proxy.scalar.com on load), no developer
 * toolbar ("Configure", "Share", "Deploy" point at Scalar's hosted products), no request proxy
 * (the built-in client talks to this server directly, same origin), and no "Open API Client" button
 * (it hands the document to client.scalar.com). Each operation's "Test Request" client stays.
 * A browser test (test/http/docs-offline.test.ts) fails on any request to another host.
 */
const SCALAR_CONFIG = {
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  hideClientButton: true,
  documentDownloadType: 'json',
} as const;

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reelay API reference</title><link rel="icon" href="data:,"></head>
<body>
<script id="api-reference" data-url="/openapi.json" data-configuration='${JSON.stringify(SCALAR_CONFIG)}'></script>
<script src="/docs/scalar.js"></script>
</body></html>`;

/**
 * A key typed into the viewer's Test Request client lives in this page: another site must not frame
 * it (clickjacking), a browser must not sniff our files into another type, and links out must not
 * carry our URL. The Studio sends the same; its full policy is not applied here, since Scalar
 * styles itself inline.
 */
function docsHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', "frame-ancestors 'none'; object-src 'none'; base-uri 'none'")
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

/**
 * Serves `/openapi.json` (built once from every route's doc) and `/docs` (Scalar's standalone
 * viewer, shipped inside its npm package, so nothing is fetched from a CDN).
 */
export function registerOpenApi(app: FastifyInstance, extraDocs: readonly RouteDoc[] = []): void {
  // Built on first request, not at start: most processes (workers, a busy API) never serve it.
  let doc: ReturnType<typeof buildOpenApi> | undefined;
  const scalarPath = createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js');
  let scalar: Buffer | undefined; // 3.5 MB, read on first use and kept
  const config = { public: true };
  app.get('/openapi.json', { config }, async (_req, reply) => {
    docsHeaders(reply);
    return (doc ??= buildOpenApi([...CORE_ROUTE_DOCS, ...extraDocs], { version: VERSION }));
  });
  app.get('/docs', { config }, async (_req, reply) => docsHeaders(reply).type('text/html; charset=utf-8').send(DOCS_HTML));
  app.get('/docs/scalar.js', { config }, async (_req, reply) => {
    scalar ??= readFileSync(scalarPath);
    return docsHeaders(reply).type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(scalar);
  });
}

/**
 * Serves the Studio, the web UI under `/studio`: the static files that `scripts/build-studio.mjs`
 * (Vite) writes to `src/studio/dist`. The app itself lives in `src/studio/app` and talks only to
 * the public API (`/v2`, `/admin`) with the key the user typed; this module knows nothing about it
 * beyond where its files are.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

export interface StudioDeps {
  config: Pick<Config, 'publicUrl'>;
  /** The built files; default `src/studio/dist` beside this module. */
  studioDir?: string;
}

/**
 * Where `scripts/build-studio.mjs` writes the build: named from the package root, so that the
 * compiled server (dist/studio/index.js, at the same depth) serves the same files.
 */
export const DEFAULT_STUDIO_DIR = fileURLToPath(new URL('../../src/studio/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Reelay Studio is not built</title>
<body><h1>Reelay Studio is not built yet</h1><p>Run <code>npm run build:studio</code> (or start Reelay with
<code>npm start</code>, which builds it when needed) and reload this page.</p></body>`;

/**
 * The Content-Security-Policy of the Studio's pages: everything from our own origin, media also
 * from PUBLIC_URL's origin (file links use it), and no third party at all — the key lives in this
 * page's sessionStorage, so no foreign script may ever run beside it.
 */
export function studioCsp(publicUrl: string | undefined): string {
  const media = ["'self'", 'data:', 'blob:'];
  if (publicUrl) media.push(new URL(publicUrl).origin);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${media.join(' ')}`,
    `media-src ${media.join(' ')}`,
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** Resolves a request path (already percent-decoded by the router) inside `root`, or null when it would escape it. */
export function safeJoin(root: string, rel: string): string | null {
  if (rel.includes('\0')) return null;
  const base = resolve(root);
  const full = resolve(base, '.' + sep + rel);
  return full === base || full.startsWith(base + sep) ? full : null;
}

async function fileOrNull(path: string): Promise<Buffer | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? await readFile(path) : null;
  } catch {
    return null;
  }
}

function securityHeaders(reply: FastifyReply, csp: string): void {
  reply.header('content-security-policy', csp);
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
}

/**
 * Registers `GET /studio` and `GET /studio/*`: built assets by path (hashed ones cached for a
 * year), and `index.html` for every other path so the app's own router can show
 * `/studio/jobs/<id>` on a reload. Public routes: signing in happens inside the page.
 *
 * @example
 * registerStudio(app, { config });            // serves src/studio/dist
 * registerStudio(app, { config, studioDir }); // serves another build (tests)
 */
export function registerStudio(app: FastifyInstance, deps: StudioDeps): void {
  const dir = deps.studioDir ?? DEFAULT_STUDIO_DIR;
  const csp = studioCsp(deps.config.publicUrl);
  const config = { public: true, dialect: 'apiframe' };

  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    securityHeaders(reply, csp);
    reply.header('cache-control', 'no-cache');
    const html = await fileOrNull(join(dir, 'index.html'));
    if (!html) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.type('text/html; charset=utf-8').send(html);
  };

  app.get('/studio', { config }, async (_req, reply) => reply.redirect('/studio/', 302));

  app.get<{ Params: { '*': string } }>('/studio/*', { config }, async (req, reply) => {
    const rel = req.params['*'];
    if (rel === '' || rel === 'index.html') return sendIndex(reply);
    const path = safeJoin(dir, rel);
    const ext = extname(rel).toLowerCase();
    const body = path ? await fileOrNull(path) : null;
    if (body) {
      securityHeaders(reply, csp);
      // Vite names built assets by content hash, so they never change under the same name.
      reply.header('cache-control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.type(TYPES[ext] ?? 'application/octet-stream').send(body);
    }
    // A path with an extension is a missing file; anything else is a page of the app.
    if (ext) throw new AppError('not_found', `No file /studio/${rel}`);
    return sendIndex(reply);
  });
}

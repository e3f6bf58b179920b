import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { AppError, isAppError } from '../errors.js';
import { newId } from '../ids.js';
import { authenticate } from './auth.js';
import { refuseRepeatedHeaders, refuseUnstorableText } from './hygiene.js';
import { abortWaits } from './prefer.js';
import type { AppDeps } from './context.js';
import { fromFastifyError, fromOutage, rendererFor } from './envelope.js';
import { answerClientError, dialectOfUrl, httpServerOptions, instrumentServer, headersDistinct, refuseBadHost } from './connection.js';
import { registerFileRoutes } from './files.js';
import { registerApiframe } from './dialects/apiframe/index.js';
import { registerWavespeed } from './dialects/wavespeed/index.js';
import { registerApiInOne } from './dialects/apiinone/index.js';
import { APIFRAME_WEBHOOK_DOCS, registerApiframeWebhooks } from './dialects/apiframe/webhook.js';
import { checkAdmin, registerAdmin } from './admin.js';
import { registerAccountKeys } from './keys-routes.js';
import { LEDGER_DOCS, registerAccountLedger } from './ledger-routes.js';
import { registerStudio } from '../studio/index.js';
import { AdminService } from '../billing/index.js';
import { registerOpenApi } from './openapi/index.js';
import { createMetrics } from '../metrics/index.js';
import { registerProviderCallbacks } from './provider-callbacks.js';
import { OneLineRequestLog } from './request-log.js';
import { JOB_EVENTS_DOCS, registerJobEvents } from './job-events.js';

const ROUTES = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/** Every route the app registered (for the test that keeps /openapi.json complete). */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  return ROUTES.get(app) ?? [];
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** For a concrete path, the methods some route takes it with (HEAD wherever GET is). */
function allowedMethods(routes: readonly { method: string; url: string }[]): (path: string) => string[] {
  const compiled = routes.map((r) => ({
    method: r.method,
    re: new RegExp(
      '^' +
        r.url
          .split('/')
          .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/') +
        '$',
    ),
  }));
  return (path) => {
    const methods = new Set(compiled.filter((c) => c.re.test(path)).map((c) => c.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  };
}

/**
 * Builds the HTTP app without listening, so tests can `inject()` or `listen({ port: 0 })`.
 *
 * @example
 * const app = await buildApp(deps, { logger: false });
 * await app.listen({ port: 8080 });
 */
export async function buildApp(deps: AppDeps, opts: { logger?: FastifyBaseLogger } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    logController: new OneLineRequestLog(),
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: () => newId('request'),
    requestIdHeader: false,
    clientErrorHandler: answerClientError,
    // A request that stops arriving is a 408 after this long (Fastify's default waits forever).
    requestTimeout: deps.config.requestTimeoutMs,
    http: httpServerOptions(deps.config.requestTimeoutMs),
    // Path parameters longer than Fastify's default 100 characters were a 414 in Fastify's words.
    routerOptions: { maxParamLength: 1000 },
    // A URL Fastify cannot decode (`/v2/jobs/%C0`) is the caller's mistake, in the caller's envelope.
    frameworkErrors: (err, req, reply) => {
      const appErr = err.statusCode !== undefined && err.statusCode >= 500 ? new AppError('internal', `Internal error; quote request id ${req.id} when reporting it`) : new AppError('validation_error', `Malformed request: ${err.message.slice(0, 200)}`);
      void (reply as FastifyReply).code(appErr.status).send(rendererFor(dialectOfUrl(req.url))(appErr, req.id));
    },
  });

  const routes: { method: string; url: string }[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });

  // Fastify parses text/plain by default; every body we accept is JSON, anything else is a 415.
  app.removeContentTypeParser('text/plain');
  // JSON is UTF-8 (RFC 8259): bytes that are not, or another declared charset, are refused before
  // anything is created or charged (Fastify's parser turned them into U+FFFD and took the job).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(new AppError('unsupported_media_type', `Send JSON as UTF-8 (Content-Type: application/json), not ${charset}`), undefined);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new AppError('invalid_json', 'The request body is not valid UTF-8'), undefined);
      return;
    }
    void parseJson(req, text, (err, body) => {
      // Fastify's parser refuses `__proto__` (and `constructor.prototype`) keys with the same
      // "not valid JSON" as a syntax error; when the text is JSON, say what was refused instead.
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && isJson(text)) {
        done(new AppError('validation_error', 'The request body has a "__proto__" key, or a "constructor" key holding "prototype"; rename or remove it', {
          fields: { '(body)': ['"__proto__" and "constructor.prototype" keys are refused'] },
        }), undefined);
        return;
      }
      done(err, body);
    });
  });

  instrumentServer(app.server);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    refuseBadHost(req.raw);
    // An empty body is no body, whatever Content-Type came with it: clients that always send
    // `Content-Type: application/json` got a 400 on body-less POST and DELETE (cancel, rotate,
    // revoke), and a 415 with any other type. Routes that need a body still say so.
    const length = req.headers['content-length'];
    if ((length === '0' || length === undefined) && req.headers['transfer-encoding'] === undefined) delete req.headers['content-type'];
  });
  // Held submits (`Prefer: wait`, WaveSpeed's sync mode) answer at once when the server closes.
  app.addHook('preClose', async () => abortWaits(app));

  // Who is calling comes first, before the body is read: a caller without a valid key learns
  // nothing from our parser or validation (a malformed body once answered 400 instead of 401) and
  // cannot make us buffer and parse megabytes of JSON. A header that must be single (two keys, two
  // Idempotency-Keys) is refused before either is looked at.
  app.addHook('onRequest', async (req, reply) => {
    refuseRepeatedHeaders(headersDistinct(req.raw));
    const cfg = req.routeOptions.config;
    if (cfg.public || !req.routeOptions.url) return;
    await authenticate(deps.principals, req);
    // The plan's rate limit, per account and mode (more keys do not make more requests), counted in
    // memory and shared across API processes in batches (src/billing/ratelimit.ts). Headers follow
    // the IETF RateLimit draft (RateLimit-Limit / -Remaining / -Reset, in seconds).
    const p = req.principal!;
    const d = await deps.limiter.take(`${p.accountId}:${p.mode}`, p.rateLimitPerMinute);
    reply.header('ratelimit-limit', String(d.limit));
    reply.header('ratelimit-remaining', String(d.remaining));
    reply.header('ratelimit-reset', String(d.resetSeconds));
    if (!d.allowed) {
      throw new AppError('rate_limited', `Rate limit of ${d.limit} requests per minute exceeded; retry in ${d.resetSeconds} s`, {
        retryAfterSeconds: d.resetSeconds,
      });
    }
  });

  app.addHook('preHandler', async (req) => refuseUnstorableText(req));

  app.setErrorHandler((err, req, reply) => {
    const dialect = req.routeOptions.config?.dialect ?? dialectOfUrl(req.url);
    let appErr: AppError;
    if (isAppError(err)) appErr = err;
    else {
      const mapped = fromFastifyError(err as { code?: string; statusCode?: number; message: string });
      const outage = mapped ? null : fromOutage(err, req.method);
      if (mapped) appErr = mapped;
      else if (outage) {
        req.log.error({ err }, 'request failed on our infrastructure');
        appErr = outage;
      } else {
        // The message stays in our log; the caller gets the request id to quote.
        req.log.error({ err }, 'unhandled error');
        appErr = new AppError('internal', `Internal error; quote request id ${req.id} when reporting it`);
      }
    }
    if (appErr.retryAfterSeconds !== undefined) reply.header('retry-after', String(appErr.retryAfterSeconds));
    void reply.code(appErr.status).send(rendererFor(dialect)(appErr, req.id));
  });

  // A path that exists under other methods is a 405 with `Allow` (RFC 9110 §15.5.6), not a 404;
  // OPTIONS on it answers the same list. Compiled once, after every route is registered.
  let methodsAt: ((path: string) => string[]) | null = null;
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = (methodsAt ??= allowedMethods(routes))(path);
    if (allowed.length && req.method === 'OPTIONS') {
      void reply.code(204).header('allow', [...allowed, 'OPTIONS'].join(', ')).send();
      return;
    }
    const err = allowed.length
      ? new AppError('method_not_allowed', `${path} does not take ${req.method}; it takes ${allowed.join(', ')}`)
      : new AppError('not_found', `No route ${req.method} ${path}`);
    if (allowed.length) void reply.header('allow', allowed.join(', '));
    void reply.code(err.status).send(rendererFor(dialectOfUrl(req.url))(err, req.id));
  });

  app.get('/healthz', { config: { public: true } }, async () => ({ ok: true }));
  app.get('/readyz', { config: { public: true } }, async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ ok: false, reason: 'not ready' });
    await deps.db.query('SELECT 1');
    return { ok: true, database: deps.db.kind };
  });

  registerFileRoutes(app, deps);
  // Before the Apiframe routes: it attaches `?wait=N` to their GET /v2/jobs/:id as it is registered.
  registerJobEvents(app, deps);
  registerApiframe(app, deps);
  registerWavespeed(app, deps);
  registerApiInOne(app, deps);
  registerApiframeWebhooks(app, deps);
  const admin = new AdminService(deps.db, deps.config.usdPerCredit);
  registerAccountKeys(app, deps, admin);
  registerAccountLedger(app, deps, admin);
  registerAdmin(app, deps, admin);
  registerOpenApi(app, [...LEDGER_DOCS, ...APIFRAME_WEBHOOK_DOCS, ...JOB_EVENTS_DOCS]);
  registerStudio(app, deps);
  const metrics = createMetrics(deps.db);
  if (deps.config.metricsPort === undefined) {
    metrics.register(app, { guard: (req) => checkAdmin(deps, req, 'Metrics need the admin token (Authorization: Bearer <REELAY_ADMIN_TOKEN>), or set METRICS_PORT to serve them on a private port') });
  } else {
    metrics.register(app, {});
    const { metricsPort, metricsHost } = deps.config;
    let server: Awaited<ReturnType<typeof metrics.listen>> | null = null;
    app.addHook('onListen', async () => {
      server = await metrics.listen(metricsPort, metricsHost);
    });
    app.addHook('onClose', async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    });
  }
  // Only when callbacks are in use: the route is not part of the public API (and not in /openapi.json).
  if (deps.providerCallbacks) registerProviderCallbacks(app, deps.providerCallbacks, deps.verifyProviderCallback);
  return app;
}

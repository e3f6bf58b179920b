/**
 * Making polling unnecessary: `GET /v2/jobs/{id}?wait=N` (long-poll) and
 * `GET /v2/jobs/{id}/events` (Server-Sent Events), both answered from the per-process job views
 * (`jobs/views.ts`): a waiter costs no database work while it waits, and one change reaches every
 * waiter of that job with one read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.js';
import { isUuid } from '../ids.js';
import { FINAL_STATES, type JobView } from '../jobs/index.js';
import type { Principal } from '../billing/index.js';
import { baseUrl, principalOf, type AppDeps } from './context.js';
import { keyWatch } from './auth.js';
import { renderApiframeJob } from './dialects/apiframe/index.js';
import { apiframeErrorSchema } from './dialects/apiframe/docs.js';
import type { RouteDoc } from './openapi/index.js';

/** `/openapi.json` entries for the SSE route (given to `registerOpenApi` by `buildApp`). */
export const JOB_EVENTS_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    path: '/v2/jobs/:id/events',
    tag: 'Jobs',
    summary: "A job's events as Server-Sent Events",
    description:
      'Instead of polling: `event: state` (first, and on every change other than progress alone), `event: progress`, and `event: done` with the final job, after which the stream ends. Every `data` is the whole Job, every `id` the job\'s version. Reconnect with `Last-Event-ID` to resume: the current state is sent at once when it is newer; a finished job already seen answers 204. Another account\'s job, or the other mode\'s, answers 404. A stream ends when its key is revoked or its account disabled (the reconnect gets the 401).',
    security: 'apiKey',
    headers: { 'Last-Event-ID': 'The last `id` received, to resume after a reconnect' },
    errors: apiframeErrorSchema,
    responses: {
      200: { description: 'The stream: `event:`, `id:` and `data:` lines, the data being the Apiframe job', mediaTypes: ['text/event-stream'] },
      204: { description: 'The job is final and the client has seen it', schema: null },
      404: { description: 'Not found' },
    },
  },
];

/** Longest long-poll, in seconds. */
export const MAX_WAIT_SECONDS = 60;
/** An SSE comment this often keeps proxies from closing an idle stream. */
const SSE_PING_MS = 15_000;

const config = { dialect: 'apiframe' };

/** `?wait=N` → milliseconds, or null when absent; 400 when it is not a number of seconds 0..60. */
function waitMs(query: unknown): number | null {
  const raw = (query as Record<string, unknown> | undefined)?.wait;
  if (raw === undefined) return null;
  const n = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= MAX_WAIT_SECONDS)) {
    throw new AppError('validation_error', `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`, {
      fields: { wait: [`Must be 0 to ${MAX_WAIT_SECONDS} seconds`] },
    });
  }
  return Math.round(n * 1000);
}

/** Another account's job, or the other mode's (a test key and a live job), is not found. */
function owned(view: JobView | null, p: Principal): view is JobView {
  return view !== null && view.job.accountId === p.accountId && view.job.mode === p.mode;
}

/** Aborts when the client goes away or the server shuts down. */
function lifetime(reply: FastifyReply, shutdown: AbortSignal): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => ac.abort());
  const onShutdown = (): void => ac.abort();
  shutdown.addEventListener('abort', onShutdown, { once: true });
  ac.signal.addEventListener('abort', () => shutdown.removeEventListener('abort', onShutdown), { once: true });
  return ac.signal;
}

function sseEvent(id: number, event: string, json: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${json}\n\n`;
}

/** How long one rendering of a view is reused (its signed file URLs stay valid far longer). */
const RENDER_REUSE_MS = 60_000;
const rendered = new WeakMap<JobView, Map<string, { json: string; at: number }>>();

/**
 * The Apiframe JSON of a view, rendered once per view and base URL: one change woken 10,000
 * waiters are answered with one rendering (and one set of signed URLs), not 10,000.
 */
function renderOnce(deps: AppDeps, req: FastifyRequest, view: JobView): string {
  const base = baseUrl(deps.config, req);
  let byBase = rendered.get(view);
  if (!byBase) {
    byBase = new Map();
    rendered.set(view, byBase);
  }
  const hit = byBase.get(base);
  if (hit && Date.now() - hit.at < RENDER_REUSE_MS) return hit.json;
  const json = JSON.stringify(renderApiframeJob(deps, req, view.job));
  byBase.set(base, { json, at: Date.now() });
  return json;
}

/**
 * Registers the SSE route and the long-poll hook. Call BEFORE the Apiframe routes: `?wait=N` is a
 * pre-handler attached to `GET /v2/jobs/:id` as that route is registered. It waits only for a job
 * of the caller's account and mode that is not final, and then answers with the Apiframe render of
 * the view the wait ended with; in every other case the route itself answers.
 *
 * @example
 * registerJobEvents(app, deps); registerApiframe(app, deps);
 */
export function registerJobEvents(app: FastifyInstance, deps: AppDeps): void {
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());

  const waitForChange = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const ms = waitMs(req.query);
    if (ms === null || ms === 0) return;
    const id = (req.params as { id?: string }).id ?? '';
    const view = await deps.views.get(id);
    // Not found, not the caller's, or already final: nothing to wait for; the route answers now.
    if (!owned(view, principalOf(req)) || FINAL_STATES.includes(view.job.state)) return;
    const watch = keyWatch(deps.principals, req, lifetime(reply, shutdown.signal));
    const signal = watch.signal;
    const latest = await deps.views.waitForChange(id, view.version, ms, signal).finally(() => watch.dispose());
    // The key was revoked (or its account disabled) during the wait: the answer is what any
    // request with that key now gets, not the job.
    if (watch.revoked) throw new AppError('unauthorized', 'Invalid or revoked API key');
    // Answered from the view the wait ended with: 10,000 waiters woken by one change must not each
    // read the job again. (Gone, or the client left: the route answers, or nobody listens.)
    if (latest && !signal.aborted) return reply.type('application/json; charset=utf-8').send(renderOnce(deps, req, latest));
  };

  app.addHook('onRoute', (route) => {
    if (route.url !== '/v2/jobs/:id' || ![route.method].flat().includes('GET')) return;
    route.preHandler = [...[route.preHandler ?? []].flat(), waitForChange as preHandlerAsyncHookHandler];
  });

  app.get<{ Params: { id: string } }>('/v2/jobs/:id/events', { config }, async (req, reply) => {
    const p = principalOf(req);
    if (!isUuid(req.params.id)) throw new AppError('validation_error', 'Job id must be a UUID', { fields: { id: ['Must be a UUID'] } });
    const id = req.params.id.toLowerCase();
    const first = await deps.views.get(id);
    if (!owned(first, p)) throw new AppError('not_found', 'Job not found');
    const lastEventId = Number(req.headers['last-event-id'] ?? -1);
    const since = Number.isFinite(lastEventId) ? lastEventId : -1;
    const final = (v: JobView): boolean => FINAL_STATES.includes(v.job.state);
    // A finished job the client has already seen in full: 204 tells EventSource to stop reconnecting.
    if (final(first) && since >= first.version) return reply.code(204).send();
    // The stream ends when its key is revoked or its account disabled; EventSource's reconnect then
    // meets the 401 and stops.
    streamJob(deps, req, reply, first, since, keyWatch(deps.principals, req, lifetime(reply, shutdown.signal)).signal);
    return reply;
  });
}

/**
 * Writes the job's events until it is final or the client leaves. Every event carries the whole
 * Apiframe `Job` as its data and the job's version as its id; on reconnect with `Last-Event-ID` the
 * stream resumes from the current state when it is newer (events are states, so the newest state
 * is the replay of everything missed).
 * - `state`: the first event, and any change other than progress alone
 * - `progress`: only the progress changed
 * - `done`: the job is final; the stream ends
 */
function streamJob(deps: AppDeps, req: FastifyRequest, reply: FastifyReply, first: JobView, since: number, signal: AbortSignal): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let last: JobView | null = null;
  let unsubscribe = (): void => {};
  const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
  ping.unref();
  const end = (): void => {
    clearInterval(ping);
    unsubscribe();
    if (!res.writableEnded) res.end();
  };
  const send = (v: JobView): void => {
    if (v.version <= since || (last && v.version <= last.version)) {
      // Already seen (or a Last-Event-ID from the future): nothing to send, but a final job still
      // ends the stream — it once stayed open for ever on a resume id above the job's version.
      if (FINAL_STATES.includes(v.job.state)) end();
      return;
    }
    const data = renderOnce(deps, req, v);
    let type = 'state';
    if (FINAL_STATES.includes(v.job.state)) type = 'done';
    else if (last && last.job.state === v.job.state && last.job.progress !== v.job.progress) type = 'progress';
    res.write(sseEvent(v.version, type, data));
    last = v;
    if (type === 'done') end();
  };
  signal.addEventListener('abort', end, { once: true });
  if (signal.aborted) return end();
  unsubscribe = deps.views.subscribe(first.job.id, (v) => (v ? send(v) : end()));
  send(first);
  if (since >= first.version) last = first;
  // A change that landed between the first read and the subscription (usually answered from memory).
  void deps.views.get(first.job.id).then((v) => v && send(v), end);
}

/**
 * The connection edge: what Node's HTTP server answers by itself, before Fastify routes anything
 * (a request line or header it cannot parse, headers over 16 KB, a request that never finishes
 * arriving, a missing Host, an `Expect` it cannot meet). Node writes those as an empty body or
 * Fastify's own `{"statusCode", "error", "message"}`; here each one is a JSON answer in the
 * envelope of the dialect the request line names.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { rendererFor } from './envelope.js';

/** Dialect of a URL, for requests that matched no route (or none yet), so errors speak the caller's envelope. */
export function dialectOfUrl(url: string): string {
  if (url.startsWith('/api/v3/')) return 'wavespeed';
  if (url.startsWith('/api/v1/')) return 'apiinone';
  return 'apiframe';
}

function rawAnswer(err: AppError, url: string): string {
  const body = JSON.stringify(rendererFor(dialectOfUrl(url))(err, newId('request')));
  return (
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

function appErrorOf(err: ConnectionError): AppError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('headers_too_large', 'The request headers are over 16 KB; send less in headers (data belongs in the body)');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('request_timeout', 'The request did not arrive in full in time (headers, then the whole body); send it again');
    default:
      return new AppError('validation_error', 'Malformed HTTP request');
  }
}

/**
 * Requests still being answered on each connection, in the order they arrived. A client that
 * pipelines a good request and then bytes Node cannot parse must still get the good request's
 * answer first: the submit may already have created and charged a job (answering the parse error
 * at once wrote a 400 where the 202 belonged, and closed the connection on it).
 */
const inFlight = new WeakMap<Socket, Map<IncomingMessage, ServerResponse>>();

function track(req: IncomingMessage, res: ServerResponse): void {
  let open = inFlight.get(req.socket);
  if (!open) inFlight.set(req.socket, (open = new Map()));
  open.set(req, res);
  res.once('close', () => open.delete(req));
}

/**
 * What is owed on a connection when Node gives up on it: the answers of the requests ahead that
 * arrived in full, and the URL of the first one that did not (the one that broke, whose handler
 * waits on a body that will never come; any after it were queued behind it).
 */
function owed(socket: Socket): { answers: ServerResponse[]; brokenUrl: string | undefined } {
  const answers: ServerResponse[] = [];
  for (const [req, res] of inFlight.get(socket) ?? []) {
    if (!req.complete) return { answers, brokenUrl: req.url };
    if (!res.writableFinished) answers.push(res);
  }
  return { answers, brokenUrl: undefined };
}

/**
 * Fastify's `clientErrorHandler`: answers in the envelope (408 for a request that never finishes,
 * 431 for headers over 16 KB, 400 otherwise), after the answers still owed on the connection.
 */
export function answerClientError(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(err);
    return;
  }
  const { answers: pending, brokenUrl } = owed(socket);
  // A request whose headers arrived names its dialect; otherwise the request line in the bytes
  // Node refused (typed as Buffer's JSON form, but Node hands over the Buffer itself).
  const raw: unknown = err.rawPacket;
  const head = Buffer.isBuffer(raw) ? raw.toString('latin1', 0, 2048) : '';
  const url = brokenUrl ?? /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? '/';
  const answer = rawAnswer(appErrorOf(err), url);
  if (!pending.length) {
    socket.end(answer);
    return;
  }
  void Promise.all(pending.map((res) => new Promise((resolve) => (res.destroyed ? resolve(null) : res.once('close', resolve))))).then(() => {
    if (socket.writable) socket.end(answer);
    else socket.destroy();
  });
}

/**
 * Settings for Node's HTTP server: no built-in Host check (ours answers in the envelope, see
 * `refuseBadHost`), and timeouts checked every second rather than every 30 s, so a request
 * that stops arriving gets its 408 close to `requestTimeoutMs`.
 */
export function httpServerOptions(requestTimeoutMs: number): { requireHostHeader: false; connectionsCheckingInterval: number; headersTimeout: number } {
  return { requireHostHeader: false, connectionsCheckingInterval: 1000, headersTimeout: Math.min(60_000, requestTimeoutMs) };
}

/**
 * Hooks on the raw server: records requests in flight per connection (for `answerClientError`),
 * and answers an `Expect` other than `100-continue` with a 417 in the envelope (Node's own is
 * an empty body).
 */
export function instrumentServer(server: Server): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    track(req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const err = new AppError('expectation_failed', 'Only "Expect: 100-continue" is supported; send the request without this Expect header');
    const body = JSON.stringify(rendererFor(dialectOfUrl(req.url ?? '/'))(err, newId('request')));
    res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
}

/**
 * Every value of every header as received. Node's parser fills `headersDistinct`; a request made
 * by `app.inject` (light-my-request: the bench, embedders' tests) has none, and reading it threw,
 * so every injected request answered 500. Its headers are already one value each.
 */
export function headersDistinct(req: IncomingMessage): Readonly<Record<string, string[] | undefined>> {
  const distinct = (req as { headersDistinct?: Record<string, string[] | undefined> }).headersDistinct;
  if (distinct) return distinct;
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value : [value];
  return out;
}

/** `uri-host [":" port]` (RFC 3986): a bracketed IPv6 literal or a reg-name, then digits. */
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d{0,5})?$/;

/**
 * RFC 9112 §3.2: a 400 for an HTTP/1.1 request without Host, and for any request with two Host
 * lines or a Host that is not a host (it becomes the base of the file URLs we hand back). Node's
 * own refusal of a missing Host was an empty 400; it keeps the first of two without a word.
 */
export function refuseBadHost(req: IncomingMessage): void {
  const hosts = headersDistinct(req).host ?? [];
  let problem: string | null = null;
  if (hosts.length === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) problem = 'An HTTP/1.1 request must carry a Host header';
  else if (hosts.length > 1) problem = 'The Host header came more than once; send it once';
  else if (hosts.length === 1 && !HOST_RE.test(hosts[0]!)) problem = 'The Host header is not a host name or address with an optional port';
  if (problem) throw new AppError('validation_error', problem, { fields: { Host: [problem] } });
}

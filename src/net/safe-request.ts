/**
 * Outbound HTTP(S) to user-supplied URLs that cannot be pointed at our own network.
 *
 * Every hop is vetted from scratch (scheme, credentials, port, DNS, every resolved address) and
 * the socket then connects to the vetted address through a pinned `lookup`, so a resolver that
 * answers differently the second time (DNS rebinding) cannot swap the destination. The Host
 * header and TLS server name stay the original host name, so virtual hosting and certificate
 * checks behave as for any client.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { AppError } from '../errors.js';
import { classifyAddress, describeAddressClass, isMetadataHostname } from './ip-policy.js';

/** What a caller lets a URL reach. */
export interface UrlPolicy {
  /** Allow private, loopback, link-local … destinations (self-hosted setups on a LAN). Cloud metadata stays refused. */
  allowPrivateNetworks: boolean;
  /** Allow plain `http:` as well as `https:`. */
  allowHttp: boolean;
  /** When set, only these ports (default ports included: 443/80 must be listed to be allowed). */
  allowedPorts?: number[];
  /**
   * Replaces the private-network rule when given (tests allow 127.0.0.1 but not 127.0.0.2 with it).
   * Cloud metadata addresses are refused before this is asked.
   */
  isAllowedAddress?: (ip: string, host: string) => boolean;
}

/** The policy for untrusted input: https only, public addresses only. */
export const DEFAULT_URL_POLICY: Readonly<UrlPolicy> = Object.freeze({ allowPrivateNetworks: false, allowHttp: false });

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has; defaults to `dns.lookup(host, { all: true })`. */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export type FetchFailureKind = 'dns' | 'connect' | 'timeout' | 'tls' | 'protocol' | 'too_large';

/**
 * The destination could not be fetched (as opposed to being refused by policy, which is an
 * `AppError('url_not_allowed')`). `kind` lets callers decide: an image input reports it, a webhook
 * delivery retries.
 *
 * @example
 * try { await safeRequest(opts); } catch (err) {
 *   if (err instanceof FetchFailure && err.kind === 'timeout') scheduleRetry();
 * }
 */
export class FetchFailure extends Error {
  readonly kind: FetchFailureKind;

  constructor(kind: FetchFailureKind, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FetchFailure';
    this.kind = kind;
  }
}

export interface SafeRequestOptions {
  url: string;
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Budget for the whole exchange: every DNS lookup, connection, redirect hop and the body. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** 0 = a 3xx is returned as the response, not followed. */
  maxRedirects: number;
  policy: UrlPolicy;
  signal?: AbortSignal;
  /** Throw `FetchFailure('too_large')` instead of returning a truncated body. */
  failOnTooLarge?: boolean;
  /** Replaces DNS; tests use it to map names to addresses without a resolver. */
  lookup?: HostResolver;
}

export interface SafeResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The URL that produced this response, after redirects. */
  url: string;
  /** True when the body was cut at `maxResponseBytes`. */
  truncated: boolean;
  /** Every redirect target followed, in order (absolute URLs). */
  redirects: string[];
}

/** A URL that passed the policy, with the addresses it may be reached at. */
export interface VettedTarget {
  url: URL;
  hostname: string;
  port: number;
  addresses: readonly ResolvedAddress[];
}

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin, as browsers do, so credentials are not handed to a third party. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
/** Dropped when a redirect turns the request into a bodiless GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'transfer-encoding'];

export const systemResolver: HostResolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export function refuse(message: string): AppError {
  return new AppError('url_not_allowed', message);
}

/** Settles with `p`, or rejects as soon as `signal` aborts (DNS lookups cannot be cancelled themselves). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function addressAllowed(ip: string, host: string, policy: UrlPolicy): { ok: true } | { ok: false; why: string } {
  const cls = classifyAddress(ip);
  if (cls === 'metadata' || cls === 'invalid') return { ok: false, why: describeAddressClass(cls) };
  const ok = policy.isAllowedAddress ? policy.isAllowedAddress(ip, host) : policy.allowPrivateNetworks || cls === 'public';
  return ok ? { ok: true } : { ok: false, why: describeAddressClass(cls) };
}

/** Scheme, credentials, port, then every address the host resolves to. Throws `url_not_allowed` or `FetchFailure('dns')`. */
export async function vet(url: URL, policy: UrlPolicy, resolve: HostResolver, signal: AbortSignal): Promise<VettedTarget> {
  const secure = url.protocol === 'https:';
  if (!secure && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw refuse(`URL scheme "${url.protocol.replace(/:$/, '')}" is not allowed; use ${policy.allowHttp ? 'http or https' : 'https'}`);
  }
  if (url.username !== '' || url.password !== '') throw refuse('URL must not contain a user name or password');
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  if (policy.allowedPorts && !policy.allowedPorts.includes(port)) throw refuse(`URL port ${port} is not allowed`);

  // WHATWG parsing has already turned 0177.0.0.1, 2130706433 and 0x7f.1 into 127.0.0.1.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isMetadataHostname(hostname)) throw refuse(`URL host "${hostname}" is a cloud metadata service`);
  const literal = isIP(hostname);

  let addresses: readonly ResolvedAddress[];
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await raceAbort(resolve(hostname), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw new FetchFailure('dns', `could not resolve host "${hostname}" (${code})`, { cause: err });
    }
    if (addresses.length === 0) throw new FetchFailure('dns', `host "${hostname}" has no addresses`);
  }

  // One bad answer refuses the host: an attacker who controls DNS picks which answer we would use.
  for (const { address } of addresses) {
    const verdict = addressAllowed(address, hostname, policy);
    if (!verdict.ok) {
      throw refuse(literal !== 0 ? `URL host ${hostname} is ${verdict.why}, which is not allowed` : `URL host "${hostname}" resolves to ${verdict.why}, which is not allowed`);
    }
  }
  return { url, hostname, port, addresses };
}

/** A `lookup` for `http.request` that answers only with the vetted addresses, never asking DNS again. */
function pinnedLookup(target: VettedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    const first = target.addresses[0];
    if (options.all) callback(null, target.addresses.map((a) => ({ address: a.address, family: a.family })));
    else if (first) callback(null, first.address, first.family);
    else callback(new Error('no vetted address'), '');
  };
}

type Phase = 'connect' | 'tls' | 'exchange';

function failureFor(err: unknown, phase: Phase, target: VettedTarget): FetchFailure {
  const e = err as NodeJS.ErrnoException;
  const detail = e.code ?? e.message;
  const where = `${target.hostname}:${target.port}`;
  if (phase === 'connect') return new FetchFailure('connect', `could not connect to ${where} (${detail})`, { cause: err });
  if (phase === 'tls') return new FetchFailure('tls', `TLS handshake with ${where} failed (${detail})`, { cause: err });
  if (e.code?.startsWith('HPE_')) return new FetchFailure('protocol', `${where} sent an invalid HTTP response (${detail})`, { cause: err });
  return new FetchFailure('protocol', `${where} closed the connection before answering (${detail})`, { cause: err });
}

export interface Outgoing {
  method: 'GET' | 'POST' | 'HEAD';
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

/** Sends one request to a vetted target; resolves when the response head arrives. */
export function exchange(target: VettedTarget, out: Outgoing, signal: AbortSignal): Promise<http.IncomingMessage> {
  const tls = target.url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    let phase: Phase = 'connect';
    const headers: Record<string, string> = { ...out.headers, host: target.url.host };
    if (out.body !== undefined) headers['content-length'] = String(Buffer.byteLength(out.body));
    const options: https.RequestOptions = {
      protocol: target.url.protocol,
      hostname: target.hostname,
      port: target.port,
      path: `${target.url.pathname}${target.url.search}`,
      method: out.method,
      headers,
      // A fresh socket per hop: nothing pooled from an earlier hop is reused, and destroying it
      // when the body cap is hit cannot affect another request.
      agent: false,
      lookup: pinnedLookup(target),
      signal,
    };
    // SNI must be a name, never an IP literal (Node warns and servers ignore it).
    if (tls && isIP(target.hostname) === 0) options.servername = target.hostname;
    const req = (tls ? https : http).request(options);
    req.on('socket', (socket) => {
      socket.once('connect', () => (phase = tls ? 'tls' : 'exchange'));
      socket.once('secureConnect', () => (phase = 'exchange'));
    });
    req.on('response', resolve);
    req.on('error', (err) => reject(signal.aborted ? (signal.reason as Error) : failureFor(err, phase, target)));
    req.end(out.body);
  });
}

/** Reads the body up to `max` bytes; past it, destroys the socket and truncates or throws. */
function readBody(res: http.IncomingMessage, max: number, failOnTooLarge: boolean, signal: AbortSignal): Promise<{ body: Buffer; truncated: boolean }> {
  const tooLarge = (): FetchFailure => new FetchFailure('too_large', `response is larger than ${max} bytes`);
  const declared = Number(res.headers['content-length']);
  if (failOnTooLarge && Number.isFinite(declared) && declared > max) {
    res.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      res.destroy();
      finish(() => reject(signal.reason as Error));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (size + chunk.length <= max) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      chunks.push(chunk.subarray(0, max - size));
      res.destroy();
      finish(() => (failOnTooLarge ? reject(tooLarge()) : resolve({ body: Buffer.concat(chunks, max), truncated: true })));
    });
    res.on('end', () => finish(() => resolve({ body: Buffer.concat(chunks, size), truncated: false })));
    res.on('error', () => undefined); // the 'close' below reports it once
    res.on('close', () => {
      if (!res.complete) finish(() => reject(new FetchFailure('protocol', 'connection closed before the response body was complete')));
    });
  });
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The request to send after a redirect, following the Fetch standard's method rules. */
export function redirected(out: Outgoing, status: number, from: URL, to: URL): Outgoing {
  const headers = { ...out.headers };
  if (from.origin !== to.origin) for (const h of ORIGIN_BOUND_HEADERS) delete headers[h];
  const toGet = (status === 303 && out.method !== 'HEAD') || ((status === 301 || status === 302) && out.method === 'POST');
  if (!toGet && status !== 303) return { ...out, headers };
  for (const h of BODY_HEADERS) delete headers[h];
  return { method: toGet ? 'GET' : out.method, headers, body: undefined };
}

/** Owns the overall time budget: one signal that aborts on timeout or on the caller's signal. */
class Budget {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onOuterAbort = (): void => this.controller.abort(this.outer?.reason);

  constructor(
    timeoutMs: number,
    private readonly outer: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(() => this.controller.abort(new FetchFailure('timeout', `no complete response within ${timeoutMs} ms`)), timeoutMs);
    if (outer?.aborted) this.onOuterAbort();
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** After an abort, whatever broke is reported as the reason: the timeout, or the caller's own. */
  explain(err: unknown): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : err;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

/**
 * Fetches a user-supplied URL safely: https only (unless `allowHttp`), never to private or
 * metadata addresses (unless the policy says so), redirects re-vetted hop by hop, one time budget,
 * body capped. Policy refusals throw `AppError('url_not_allowed')`; network trouble throws
 * `FetchFailure`; a caller abort rejects with the signal's reason.
 *
 * @example
 * const res = await safeRequest({
 *   url: 'https://example.com/frame.png',
 *   timeoutMs: 15_000,
 *   maxResponseBytes: 20 * 1024 * 1024,
 *   maxRedirects: 5,
 *   failOnTooLarge: true,
 *   policy: DEFAULT_URL_POLICY,
 * });
 * if (res.status === 200) use(res.body);
 */
export async function safeRequest(opts: SafeRequestOptions): Promise<SafeResponse> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch (err) {
    throw new AppError('validation_error', 'URL is not a valid absolute URL', { cause: err });
  }
  const budget = new Budget(opts.timeoutMs, opts.signal);
  const resolve = opts.lookup ?? systemResolver;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  let out: Outgoing = { method: opts.method ?? 'GET', headers, body: opts.body };
  const redirects: string[] = [];
  try {
    for (;;) {
      if (budget.signal.aborted) throw budget.signal.reason;
      const target = await vet(url, opts.policy, resolve, budget.signal);
      const res = await exchange(target, out, budget.signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (opts.maxRedirects > 0 && REDIRECT_STATUSES.has(status) && location !== undefined) {
        res.destroy(); // a redirect's own body is never wanted, and may be endless
        if (redirects.length >= opts.maxRedirects) throw refuse(`URL redirected more than ${opts.maxRedirects} times`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch (err) {
          throw new FetchFailure('protocol', `${target.hostname} redirected to an invalid URL`, { cause: err });
        }
        out = redirected(out, status, url, next);
        redirects.push(next.href);
        url = next;
        continue;
      }
      const read = out.method === 'HEAD' ? { body: Buffer.alloc(0), truncated: false } : await readBody(res, opts.maxResponseBytes, opts.failOnTooLarge ?? false, budget.signal);
      if (out.method === 'HEAD') res.resume();
      return { status, headers: flattenHeaders(res.headers), body: read.body, url: url.href, truncated: read.truncated, redirects };
    }
  } catch (err) {
    throw budget.explain(err);
  } finally {
    budget.dispose();
  }
}

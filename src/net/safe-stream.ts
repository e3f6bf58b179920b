/**
 * The streaming sibling of `safeRequest`, for bodies too big to buffer (an upstream's finished
 * video, tens of MB): the same vetting of every hop (scheme, port, every resolved address, DNS
 * pinned for the connection, redirects re-vetted), but the body is handed back as a stream with a
 * byte cap and an idle timeout instead of a Buffer. It reuses safe-request.ts's hop machinery
 * (exported for this file only; other folders import `src/net/index.ts`).
 */
import type http from 'node:http';
import { Transform, pipeline, type Readable } from 'node:stream';
import { AppError } from '../errors.js';
import {
  exchange,
  FetchFailure,
  REDIRECT_STATUSES,
  redirected,
  refuse,
  systemResolver,
  vet,
  type HostResolver,
  type Outgoing,
  type UrlPolicy,
} from './safe-request.js';

export interface SafeStreamOptions {
  url: string;
  headers?: Record<string, string>;
  policy: UrlPolicy;
  /** Budget for DNS, connecting, every redirect hop and the response head. */
  headersTimeoutMs: number;
  /** The body fails with `FetchFailure('timeout')` after this long without a byte. */
  idleTimeoutMs: number;
  /** The body fails with `FetchFailure('too_large')` past this many bytes. */
  maxBytes: number;
  maxRedirects: number;
  signal?: AbortSignal;
  lookup?: HostResolver;
}

export interface SafeStreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The URL that answered, after redirects. */
  url: string;
  /** The body; consume or `destroy()` it. Errors (cap, idle, abort, early close) surface on it. */
  body: Readable;
}

function flatten(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Counts bytes through, failing past `max`. */
function byteCap(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) return done(new FetchFailure('too_large', `response is larger than ${max} bytes`));
      done(null, chunk);
    },
  });
}

/**
 * Opens a GET to a URL we do not control and streams its body.
 *
 * @example
 * const res = await safeStream({ url, policy: DEFAULT_URL_POLICY, headersTimeoutMs: 30_000, idleTimeoutMs: 60_000, maxBytes: 1 << 30, maxRedirects: 3 });
 * if (res.status !== 200) { res.body.destroy(); throw … }
 * await pipeline(res.body, createWriteStream(file));
 */
export async function safeStream(opts: SafeStreamOptions): Promise<SafeStreamResponse> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch (err) {
    throw new AppError('validation_error', 'URL is not a valid absolute URL', { cause: err });
  }
  const head = new AbortController();
  const timer = setTimeout(() => head.abort(new FetchFailure('timeout', `no response head within ${opts.headersTimeoutMs} ms`)), opts.headersTimeoutMs);
  // The head timeout stops mattering once the head is in; the caller's signal keeps aborting the body.
  const signal = opts.signal ? AbortSignal.any([opts.signal, head.signal]) : head.signal;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  let out: Outgoing = { method: 'GET', headers, body: undefined };
  let hops = 0;
  try {
    for (;;) {
      const target = await vet(url, opts.policy, opts.lookup ?? systemResolver, signal);
      const res = await exchange(target, out, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location !== undefined) {
        res.destroy();
        if (++hops > opts.maxRedirects) throw refuse(`URL redirected more than ${opts.maxRedirects} times`);
        const next = new URL(location, url);
        out = redirected(out, status, url, next);
        url = next;
        continue;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        res.destroy();
        throw new FetchFailure('too_large', `response is larger than ${opts.maxBytes} bytes`);
      }
      res.setTimeout(opts.idleTimeoutMs, () => res.destroy(new FetchFailure('timeout', `no data for ${opts.idleTimeoutMs} ms`)));
      const body = byteCap(opts.maxBytes);
      pipeline(res, body, () => {
        /* errors reach the consumer through `body` */
      });
      return { status, headers: flatten(res.headers), url: url.href, body };
    }
  } catch (err) {
    throw head.signal.aborted ? (head.signal.reason as Error) : err;
  } finally {
    clearTimeout(timer);
  }
}

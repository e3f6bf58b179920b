/**
 * Following one job through `GET /v2/jobs/{id}/events` (Server-Sent Events) with `fetch`, for
 * Node and the browser alike. `EventSource` cannot send the `X-API-Key` header, so the stream is
 * read and parsed here (the format is small: https://html.spec.whatwg.org/#event-stream-interpretation).
 * No dependency on Node or the DOM beyond `fetch`, `TextDecoder` and `AbortSignal`: the Studio
 * bundles this file as it is.
 */
import type { Job } from './index.js';

/** One dispatched event: `id` is the job's version, `data` the whole job as JSON. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An incremental event-stream parser: feed it decoded text as it arrives, get whole events back.
 *
 * @example
 * const p = new SseParser();
 * p.push('id: 3\nevent: state\ndata: {"id":"…"}\n\n'); // → [{ id: '3', event: 'state', data: '{"id":"…"}' }]
 */
export class SseParser {
  private buf = '';
  private id: string | null = null;
  private event = '';
  private data: string[] = [];

  push(text: string): SseMessage[] {
    this.buf += text;
    const out: SseMessage[] = [];
    // A lone trailing '\r' may be the first half of '\r\n': keep it for the next chunk.
    for (let m = /\r\n|\r(?!$)|\n/.exec(this.buf); m; m = /\r\n|\r(?!$)|\n/.exec(this.buf)) {
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === '') {
        if (this.data.length > 0) out.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id' && !value.includes('\0')) this.id = value;
    }
    return out;
  }
}

/** The stream could not be used (404 from an older Reelay, a proxy that buffers, a dropped link): poll instead. */
export class StreamUnavailableError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'StreamUnavailableError';
  }
}

export interface FollowJobOptions {
  /** Absolute URL (Node) or same-origin path (browser) of `/v2/jobs/{id}/events`. */
  url: string;
  headers: Record<string, string>;
  /** Every `state`, `progress` and `done` event's job, in order. */
  onJob?: (job: Job, event: string) => void;
  /** Called once the first stream is open (the Studio shows "live"). */
  onOpen?: () => void;
  signal?: AbortSignal;
  /** Reconnects (with `Last-Event-ID`) after the stream drops mid-job, before giving up; default 3. */
  reconnects?: number;
}

/**
 * Reads the job's events until `done` and resolves with the final job. Throws
 * `StreamUnavailableError` when the stream cannot be opened (any answer but 200 text/event-stream)
 * or keeps dropping — the caller then polls, which also reports 401/404 in its usual words — and
 * rethrows the signal's reason when aborted.
 *
 * @example
 * const job = await followJobEvents({ url: `${base}/v2/jobs/${id}/events`, headers: { 'x-api-key': key }, onJob: (j) => draw(j) });
 */
export async function followJobEvents(opts: FollowJobOptions): Promise<Job> {
  let lastId: string | null = null;
  let last: Job | null = null;
  let dropsLeft = opts.reconnects ?? 3;
  let opened = false;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(opts.url, {
        headers: { accept: 'text/event-stream', ...opts.headers, ...(lastId !== null ? { 'last-event-id': lastId } : {}) },
        cache: 'no-store',
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (!opened || dropsLeft-- <= 0) throw new StreamUnavailableError(`cannot open the event stream (${(err as Error).message})`);
      await pause(1000, opts.signal);
      continue;
    }
    // 204: the job was final and we had seen it (only possible on a reconnect, with Last-Event-ID).
    if (res.status === 204 && last) return last;
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !type.startsWith('text/event-stream') || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new StreamUnavailableError(`the event stream answered HTTP ${res.status}`, res.status);
    }
    if (!opened) opts.onOpen?.();
    opened = true;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        for (const msg of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          if (msg.event !== 'state' && msg.event !== 'progress' && msg.event !== 'done') continue;
          const job = JSON.parse(msg.data) as Job;
          lastId = msg.id;
          last = job;
          opts.onJob?.(job, msg.event);
          if (msg.event === 'done') {
            await reader.cancel().catch(() => undefined);
            return job;
          }
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (err instanceof SyntaxError) throw new StreamUnavailableError(`the event stream sent something other than a job (${err.message})`);
      // A dropped connection: reconnect below.
    }
    if (dropsLeft-- <= 0) throw new StreamUnavailableError('the event stream kept closing before the job finished');
    await pause(1000, opts.signal);
  }
}

/** The server's `retry: 2000` halved: a reconnect after a drop, not a tight loop. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    }, { once: true });
  });
}

/**
 * Telling our own infrastructure failing (the database unreachable or its connection killed, the
 * disk full or read-only, S3 down) from a bug or a provider's verdict. An outage is worth waiting
 * out: the HTTP layer answers 503 with Retry-After, a worker retries the job with backoff instead
 * of failing it at once.
 */

export type OutageKind = 'database' | 'storage';

/** An outage found by our own code where no errno says it (ffmpeg's stderr, for one). */
export class OurOutage extends Error {
  override readonly name = 'OurOutage';
  constructor(
    readonly kind: OutageKind,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
  }
}

/** errno codes of a local disk that cannot take a write now: full, over quota, read-only, failing. */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'ENOTDIR', 'EMFILE', 'ENFILE']);
/** Socket-level codes of a database server we cannot reach or lost mid-query. */
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
/** What a tool's output says when the disk refused its write. */
export const DISK_FULL_TEXT = /No space left on device|Read-only file system|Disk quota exceeded/i;

/**
 * Which part of our infrastructure `err` says is failing, or null for anything else.
 *
 * @example
 * outageOf(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write' })) // 'storage'
 */
export function outageOf(err: unknown): OutageKind | null {
  if (err instanceof OurOutage) return err.kind;
  const e = err as { code?: unknown; message?: unknown; syscall?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  if (!e || typeof e !== 'object') return null;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const sys = typeof e.syscall === 'string';
  // PostgreSQL: connection exceptions (08…), admin shutdown / crash / cannot connect now (57P0x), too many connections.
  if (/^08|^57P0[1-3]$|^53300$/.test(code) || /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/i.test(message)) {
    return 'database';
  }
  // S3 (its errors carry $metadata): a 5xx or a socket fault is storage, not the database.
  if (e.$metadata !== undefined) return (e.$metadata.httpStatusCode ?? 0) >= 500 || NET_CODES.has(code) ? 'storage' : null;
  if (NET_CODES.has(code) && sys) return 'database';
  if (DISK_CODES.has(code) && sys) return 'storage';
  return null;
}

import { AppError, type ErrorCode } from '../errors.js';
import { outageOf } from '../outage.js';
import { wavespeedError } from './dialects/wavespeed/index.js';
import { apiInOneError } from './dialects/apiinone/index.js';

/** How one dialect writes an error body. */
export type ErrorRenderer = (err: AppError, requestId: string) => unknown;

/** Apiframe's envelope: `{ error, details? }` plus 402's credit fields; we add `code` and `requestId`. */
export const apiframeError: ErrorRenderer = (err, requestId) => ({
  error: err.message,
  code: err.code,
  ...(err.fields ? { details: err.fields } : {}),
  ...(err.extra ?? {}),
  requestId,
});

const renderers: Readonly<Record<string, ErrorRenderer>> = {
  apiframe: apiframeError,
  wavespeed: wavespeedError,
  apiinone: apiInOneError,
};

export function rendererFor(dialect: string | undefined): ErrorRenderer {
  return renderers[dialect ?? 'apiframe'] ?? apiframeError;
}

/** Fastify's own errors (body parsing, limits) in our catalogue's words. */
export function fromFastifyError(err: { code?: string; statusCode?: number; message: string }): AppError | null {
  const map: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is too large'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Send the body as JSON with Content-Type: application/json'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'The request body is empty; send a JSON object'],
    FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'The request body is not valid JSON'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['validation_error', 'Content-Length does not match the body'],
  };
  const hit = err.code ? map[err.code] : undefined;
  if (hit) return new AppError(hit[0], hit[1]);
  if (err instanceof SyntaxError) return new AppError('invalid_json', 'The request body is not valid JSON');
  if (err.statusCode === 413) return new AppError('payload_too_large', 'The request body is too large');
  if (err.statusCode === 415) return new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  if (err.statusCode === 404) return new AppError('not_found', 'Not found');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new AppError('validation_error', err.message);
  return null;
}

/** Seconds a caller is told to wait after one of our own outages. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Our own infrastructure failing under a request (the database unreachable or its connection
 * killed, the disk full or read-only, S3 down): a 503 `unavailable` that says which part, with
 * Retry-After, rather than a bare 500. Money moves only in a committed transaction; a submit
 * retried with its Idempotency-Key is never made twice. Paths and errno text stay in the log.
 */
export function fromOutage(err: unknown, method = 'GET'): AppError | null {
  const kind = outageOf(err);
  if (!kind) return null;
  let message = kind === 'database' ? 'The database is unavailable on our side; retry shortly' : 'File storage is full or unavailable on our side; retry later';
  // A write whose COMMIT answer was lost may have happened: only an Idempotency-Key makes the
  // retry safe (a submit retried without one can make, and hold credits for, a second job).
  if (method === 'POST') message += ' with the same Idempotency-Key (the request may have been carried out)';
  return new AppError('unavailable', message, { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS, cause: err });
}

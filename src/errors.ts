/**
 * The one catalogue of errors Reelay can report. Every code has exactly one HTTP status here;
 * dialects translate code + message into their own envelope, never invent statuses of their own.
 * `docs/errors.md` is kept in step with this list by test/http/errors-doc.test.ts.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, retryable: false, summary: 'The request body is not valid JSON.' },
  validation_error: { status: 400, retryable: false, summary: 'The request is well-formed but a field is missing, of the wrong type or out of range.' },
  invalid_image: { status: 400, retryable: false, summary: 'The first-frame image could not be used: unreachable, not an image, too big, too small or a wrong aspect ratio.' },
  url_not_allowed: { status: 400, retryable: false, summary: 'A URL points at a private, loopback, link-local or metadata address (checked after DNS and on every redirect).' },
  unauthorized: { status: 401, retryable: false, summary: 'The API key is missing, unknown or revoked.' },
  insufficient_credits: { status: 402, retryable: false, summary: 'The account does not hold enough credits for this job; nothing was created.' },
  forbidden: { status: 403, retryable: false, summary: 'The credential is valid but may not do this.' },
  not_found: { status: 404, retryable: false, summary: 'No such resource for this account (another account\'s resources also answer 404).' },
  method_not_allowed: { status: 405, retryable: false, summary: 'The route exists but not with this method.' },
  request_timeout: { status: 408, retryable: true, summary: 'The request did not arrive in full within the server\'s time limit (`REELAY_REQUEST_TIMEOUT_MS`); send it again.' },
  conflict: { status: 409, retryable: false, summary: 'The request conflicts with the current state (e.g. an Idempotency-Key reused with another body, a job already finished).' },
  range_not_satisfiable: { status: 416, retryable: false, summary: 'The `Range` asked for bytes the file does not have; `Content-Range` gives its size.' },
  expectation_failed: { status: 417, retryable: false, summary: 'The `Expect` header asks for something other than `100-continue`.' },
  headers_too_large: { status: 431, retryable: false, summary: 'The request headers are over the server\'s limit (16 KB); send less in headers.' },
  payload_too_large: { status: 413, retryable: false, summary: 'The request body is over the size limit.' },
  unsupported_media_type: { status: 415, retryable: false, summary: 'The request body is not JSON.' },
  rate_limited: { status: 429, retryable: true, summary: 'Too many requests for this account and mode (the plan\'s limit, shared by its keys); retry after `Retry-After` seconds.' },
  internal: { status: 500, retryable: true, summary: 'An unexpected error; the message is logged with the request id, never returned.' },
  provider_unavailable: { status: 503, retryable: true, summary: 'No upstream can take this job now (not configured, or unhealthy).' },
  unavailable: { status: 503, retryable: true, summary: 'The service is starting or shutting down, or a part of it (the database, file storage) is failing on our side; retry after `Retry-After` seconds, a POST with the same `Idempotency-Key` (it may have been carried out).' },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Field path → messages, as Apiframe reports validation errors (`{"hailuoParams.duration": ["…"]}`). */
export type FieldErrors = Record<string, string[]>;

/**
 * An error meant for the caller. Thrown inside request handling; the HTTP layer renders it in the
 * dialect's envelope with `ERROR_CODES[code].status`.
 *
 * @example
 * throw new AppError('validation_error', 'Invalid request', { fields: { prompt: ['Required'] } });
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly fields: FieldErrors | undefined;
  /** Extra top-level properties some envelopes need (e.g. `creditsRequired`). */
  readonly extra: Record<string, unknown> | undefined;
  /** Seconds the caller should wait before retrying, when known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { fields?: FieldErrors; extra?: Record<string, unknown>; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.fields = opts.fields;
    this.extra = opts.extra;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Shorthand for a validation error on one field. */
export function fieldError(path: string, message: string, code: ErrorCode = 'validation_error'): AppError {
  return new AppError(code, message, { fields: { [path]: [message] } });
}

/**
 * Text that cannot be stored is refused at the edge, for every route of every dialect: PostgreSQL
 * text and jsonb hold no NUL character, and jsonb refuses an unpaired UTF-16 surrogate (`"\ud800"`
 * is valid JSON, and JSON.parse hands it over). Left alone, either reaches the database and comes
 * back as a 500; caught here, it is a 400 naming the field.
 */
import { AppError } from '../errors.js';

function badText(s: string): boolean {
  return s.includes('\u0000') || !s.isWellFormed();
}

/**
 * The path of the first string (value or object key) that PostgreSQL could not store, or null.
 * Iterative, not recursive: a body of 100,000 nested arrays is valid JSON and must not overflow
 * the stack (that would be a 500).
 *
 * @example
 * unstorableTextAt({ prompt: 'a\u0000b' }); // 'prompt'
 */
export function unstorableTextAt(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (badText(v)) return path || '(body)';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i]!;
        const here = path ? `${path}.${k}` : k;
        if (badText(k)) return here;
        stack.push([child, here]);
      }
    }
  }
  return null;
}

/** Throws a 400 when the body, query string or path parameters carry text we could not store. */
export function refuseUnstorableText(parts: { body?: unknown; query?: unknown; params?: unknown }): void {
  const at = unstorableTextAt(parts.body) ?? unstorableTextAt(parts.query) ?? unstorableTextAt(parts.params);
  if (at === null) return;
  const message = 'Text must not contain NUL characters or unpaired UTF-16 surrogates';
  throw new AppError('validation_error', `Invalid request: ${at}: ${message}`, { fields: { [at]: [message] } });
}

/**
 * Headers read as one value, with their names as documented. Node joins a repeated
 * `Idempotency-Key` into `a, b` (a valid key, so two retries that each sent both became a third
 * key) and keeps only the first `Authorization`; which of two was meant is the caller's to say.
 */
const SINGLE_HEADERS: Readonly<Record<string, string>> = {
  'idempotency-key': 'Idempotency-Key',
  'x-api-key': 'X-API-Key',
  authorization: 'Authorization',
  'last-event-id': 'Last-Event-ID',
};

/** Throws a 400 when a header read as one value came more than once. */
export function refuseRepeatedHeaders(headersDistinct: Readonly<Record<string, string[] | undefined>>): void {
  const name = Object.keys(SINGLE_HEADERS).find((h) => (headersDistinct[h]?.length ?? 0) > 1);
  if (name === undefined) return;
  const label = SINGLE_HEADERS[name]!;
  throw new AppError('validation_error', `Invalid request: the ${label} header came more than once; send it once`, { fields: { [label]: ['Send it once'] } });
}

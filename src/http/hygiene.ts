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
 *
 * @example
 * unstorableTextAt({ prompt: 'a\u0000b' }); // 'prompt'
 */
export function unstorableTextAt(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return badText(value) ? path || '(body)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = unstorableTextAt(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const here = path ? `${path}.${k}` : k;
      if (badText(k)) return here;
      const hit = unstorableTextAt(v, here);
      if (hit) return hit;
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

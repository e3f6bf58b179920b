import type { z } from 'zod';
import { AppError, type FieldErrors } from '../errors.js';
import type { CanonicalField, RuleViolation } from '../catalog/index.js';

/** At most this many fields are listed: 100,000 unknown keys must not make a 3 MB answer. */
const MAX_FIELDS = 50;

/**
 * Zod issues as `{ "json.path": ["message"] }`; unknown keys are reported at their own path. The
 * map has no prototype: a field named `toString` or `__proto__` is a field like any other (it was
 * a 500 when `out[path] ??= []` found Object.prototype's function there).
 */
export function zodFields(error: z.ZodError): FieldErrors {
  const out: FieldErrors = Object.create(null) as FieldErrors;
  let n = 0;
  const add = (path: string, msg: string) => {
    const key = path || '(body)';
    if (!Object.hasOwn(out, key)) {
      if (n >= MAX_FIELDS) return;
      n++;
      out[key] = [];
    }
    out[key]!.push(msg);
  };
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) add(base ? `${base}.${k}` : k, 'Unknown field');
    } else if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
      add(base, 'Required');
    } else {
      add(base, issue.message);
    }
  }
  return out;
}

/**
 * Parses `body` with `schema` or throws a 400 listing every problem.
 *
 * @example
 * const body = parseOr400(schema, req.body);
 */
export function parseOr400<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation_error', 'The request body must be a JSON object', { fields: { '(body)': ['Expected a JSON object'] } });
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    const fields = zodFields(r.error);
    const [first] = Object.entries(fields);
    throw new AppError('validation_error', first ? `Invalid request: ${first[0]}: ${first[1][0]}` : 'Invalid request', { fields });
  }
  return r.data;
}

/** Catalog rule violations as a 400, with field names in the dialect's own paths. */
export function violationsOr400(violations: RuleViolation[], paths: Record<CanonicalField, string>): void {
  if (!violations.length) return;
  const fields: FieldErrors = {};
  for (const v of violations) (fields[paths[v.field]] ??= []).push(v.message);
  throw new AppError('validation_error', `Invalid request: ${violations[0]!.message}`, { fields });
}

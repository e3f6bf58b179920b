/**
 * The one submit path. Every dialect parses its body into a `GenerateDraft` and calls this; model
 * lookup, the rule table, the webhook-URL check, the `Idempotency-Key` check, image vetting,
 * pricing and the hold happen here once, in that order, so the dialects cannot drift apart again
 * (they once did: a 3,000-character key was a 400 on /v2 and a 500 on /api/v3).
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import {
  checkRequest,
  priceOf,
  resolveRequest,
  wordViolations,
  type GenerateDraft,
  type GenerateRequest,
  type PriceBook,
  type RuleWording,
} from '../catalog/index.js';
import type { Principal } from '../billing/index.js';

export interface SubmitOptions {
  principal: Principal;
  /** Whose words the job's webhooks speak (the dialect that submitted it). */
  dialect: string;
  request: GenerateDraft;
  /** How rule violations read in the caller's dialect. */
  wording: RuleWording;
  /** The caller's body as sent, kept for `Job.input` (display only; never compared). */
  original: Record<string, unknown>;
  /** A named price list (e.g. 'apiinone'); the default list otherwise. */
  priceList?: string | undefined;
  /** `field` is where the URL sat in the caller's request, for the error's details. */
  webhook?: { url: string; field: string; events: string[] | null } | undefined;
  /** The raw `Idempotency-Key` header (validated here, so every dialect answers alike). */
  idempotencyKey?: unknown;
}

/** A validated submit: the canonical request, its price and what identifies it for idempotency. */
export interface PreparedSubmit {
  request: GenerateRequest;
  price: number;
  idempotencyKey: string | null;
  /** sha256 of the canonical request (not the body): `t2v-pro` and `t2v-standard` differ here. */
  requestHash: string;
}

const IDEMPOTENCY_KEY_RE = /^[\x20-\x7e]{1,255}$/;

/**
 * The `Idempotency-Key` header as a key, or a 400: 1 to 255 printable ASCII characters (the btree
 * index holds any of those; a control character or a 3,000-character key never reaches it).
 *
 * @example
 * idempotencyKeyOf('order-42'); // 'order-42'
 */
export function idempotencyKeyOf(header: unknown): string | null {
  if (header === undefined) return null;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_RE.test(header)) {
    const message = 'Idempotency-Key must be 1 to 255 printable ASCII characters, sent once';
    throw new AppError('validation_error', message, { fields: { 'Idempotency-Key': [message] } });
  }
  return header;
}

/** The request with its rules checked, or a 400 in the caller's field paths and words. */
export function validated(draft: GenerateDraft, wording: RuleWording): GenerateRequest {
  const request = resolveRequest(draft);
  const violations = checkRequest(request);
  if (violations.length) {
    const fields = wordViolations(request, violations, wording);
    const [first] = Object.values(fields);
    throw new AppError('validation_error', `Invalid request: ${first?.[0] ?? violations[0]!.message}`, { fields });
  }
  return request;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Validates everything that needs no I/O, in the order a caller would fix them: the header, then
 * the body's rules, then the price.
 *
 * @example
 * const p = prepareSubmit(opts, prices); // p.price === 48
 */
export function prepareSubmit(o: SubmitOptions, prices: PriceBook): PreparedSubmit {
  const idempotencyKey = idempotencyKeyOf(o.idempotencyKey);
  const request = validated(o.request, o.wording);
  const price = priceOf(prices, request.model, request.resolution, request.durationSeconds, o.priceList);
  // What the job will do, not how it was spelled: the dialect (its webhooks differ), the price
  // list, the canonical request and the webhook. Two routes that mean different jobs hash apart.
  const requestHash = createHash('sha256')
    .update(stableJson({ dialect: o.dialect, priceList: o.priceList ?? null, request, webhook: o.webhook ? { url: o.webhook.url, events: o.webhook.events } : null }))
    .digest('hex');
  return { request, price, idempotencyKey, requestHash };
}

/**
 * Response schemas shared by more than one route family, and the enums every dialect's schemas
 * use. Values come from their owners (the catalog, the error catalogue, the billing and webhook
 * types), never retyped: a model added to the catalog appears in `/openapi.json` by itself.
 *
 * Object schemas are strict (`additionalProperties: false` in the document) unless a vendor's own
 * spec declares the object open, so the response test (test/http/openapi-responses.test.ts) fails
 * on any field a route sends without documenting it.
 */
import { z } from 'zod';
import { DURATIONS, MODELS, RESOLUTIONS } from '../../catalog/index.js';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import type { KeyMode } from '../../billing/index.js';
import type { WebhookStatus } from '../../jobs/index.js';

/**
 * Every member of a string union, listed once and checked by the compiler both ways (a member
 * missing or one too many is a type error), for unions that exist only as types.
 *
 * @example
 * const modes = membersOf<KeyMode>({ live: true, test: true }); // ['live', 'test']
 */
export function membersOf<T extends string>(members: Record<T, true>): [T, ...T[]] {
  return Object.keys(members) as [T, ...T[]];
}

const NAMES = new WeakMap<z.ZodType, string>();

/**
 * Names a response schema: `/openapi.json` then lists it once under `components.schemas` and
 * refers to it from every response that uses it (the error envelopes alone answer ~200 statuses).
 *
 * @example
 * export const apiframeJobSchema = named('ApiframeJob', z.object({ … }));
 */
export function named<T extends z.ZodType>(name: string, schema: T): T {
  NAMES.set(schema, name);
  return schema;
}

/** The name given by `named`, if any. */
export function nameOf(schema: z.ZodType): string | undefined {
  return NAMES.get(schema);
}

/** The distinct values of a status map, in first-seen order (for `z.enum`). */
export function distinct<T extends string>(values: readonly T[]): [T, ...T[]] {
  const out = [...new Set(values)];
  if (out.length === 0) throw new Error('an enum needs at least one value');
  return out as [T, ...T[]];
}

/** Canonical model ids, from the catalog. */
export const modelId = z.enum(distinct(MODELS.map((m) => m.id))).describe('A model of the catalog (`GET /v2/models`).');
/** `768p` | `1080p`, from the catalog. */
export const resolution = z.enum(RESOLUTIONS);
/** Seconds of video, from the catalog. */
export const duration = z.literal(DURATIONS);
export const keyMode = z.enum(membersOf<KeyMode>({ live: true, test: true }));
export const webhookStatus = z.enum(membersOf<WebhookStatus>({ pending: true, delivered: true, failed: true }));
/** The closed list of `docs/errors.md`. */
export const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);
/** Field path → messages (`{"hailuoParams.duration": ["…"]}`). */
export const fieldErrors = z.record(z.string(), z.array(z.string()));
/** `Date.prototype.toISOString()`. */
export const timestamp = z.iso.datetime();
export const count = z.number().int().min(0);
/** The request body the caller sent, echoed back (any dialect's fields). */
export const echoedInput = z.record(z.string(), z.unknown()).describe('The request body as the caller sent it (data: URIs shortened).');

export const wallet = z.object({ available: count, held: count, spent: count });
/** Both modes for the operator; an API key sees its own mode's wallet only (`/v2/me`). */
export const credits = z.object({ live: wallet, test: wallet });
export const ownCredits = z.object({ live: wallet.optional(), test: wallet.optional() }).describe('The calling key\'s mode only: a test key sees no live wallet.');

export const accountView = named('Account', z.object({
  id: z.string(),
  name: z.string(),
  plan: z.string(),
  createdAt: timestamp,
  disabled: z.boolean(),
  credits,
}));

export const keyView = named('Key', z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, for recognising it.'),
  mode: keyMode,
  createdAt: timestamp,
  revokedAt: timestamp.nullable(),
}));

/** A key as created: the plaintext appears here and nowhere else, ever. */
export const createdKey = named('CreatedKey', keyView.extend({ key: z.string().describe('The plaintext key; shown once.') }));

export const ledgerEntry = z.object({
  id: z.number().int(),
  mode: keyMode,
  kind: z.string().describe('`grant`, `adjust`, `hold`, `capture` or `release`.'),
  from: z.string().describe('The book the credits left: `world` (a grant), `available` or `held`.'),
  to: z.string(),
  amount: z.number().int(),
  jobId: z.string().nullable(),
  actor: z.string(),
  reason: z.string(),
  createdAt: timestamp,
});

export const ledgerPage = named('LedgerPage', z.object({
  entries: z.array(ledgerEntry),
  nextBefore: z.number().int().nullable().describe('Pass as `before` for the next page; null on the last.'),
}));

export const planView = named('Plan', z.object({
  id: z.string(),
  name: z.string(),
  monthlyCredits: count,
  concurrency: z.number().int().min(1),
  rateLimitPerMinute: z.number().int().min(1),
}));

export const revoked = z.object({ revoked: z.literal(true) });

const marginFigures = {
  jobs: z.number().int().min(0),
  credits: z.number().int().min(0),
  revenueUsd: z.number(),
  costUsd: z.number(),
  marginUsd: z.number(),
  marginRatio: z.number().nullable(),
  uncosted: z.number().int().min(0),
};
export const marginReport = named(
  'MarginReport',
  z.object({
    since: timestamp,
    usdPerCredit: z.number(),
    rows: z.array(z.object({ day: z.string(), model: z.string(), provider: z.string(), ...marginFigures })),
    totals: z.object(marginFigures),
  }),
);

const upstreamSubmit = named(
  'UpstreamSubmit',
  z.object({
    id: z.number().int(),
    jobId: z.uuid(),
    provider: z.string(),
    outcome: z.enum(['pending', 'accepted', 'ambiguous']),
    taskId: z.string().nullable(),
    detail: z.string().nullable(),
    possibleDuplicateOf: z.number().int().nullable(),
    sentAt: timestamp,
    settledAt: timestamp.nullable(),
  }),
);
/** The operator's view of one job: the canonical job as stored, and every upstream create it sent. */
export const adminJobView = z.object({
  job: z.record(z.string(), z.unknown()).describe('The canonical job, as stored (either mode).'),
  upstreamSubmits: z.array(upstreamSubmit),
  possibleDuplicate: z.boolean(),
});
export const possibleDuplicates = z.object({
  duplicates: z.array(
    z.object({ jobId: z.uuid(), accountId: z.string(), mode: keyMode, jobState: z.string(), provider: z.string(), first: upstreamSubmit, second: upstreamSubmit }),
  ),
});

const providerStatsRow = z.object({
  provider: z.string(),
  model: z.string(),
  window: z.enum(['1h', '24h']),
  submits: count,
  accepted: count,
  succeeded: count,
  failed: count,
  successRate: z.number().nullable(),
  acceptMsP50: z.number().nullable(),
  acceptMsP95: z.number().nullable(),
  generationMsP50: z.number().nullable(),
  generationMsP95: z.number().nullable(),
  errors: z.record(z.string(), z.number().int()),
});
export const providersView = named(
  'Providers',
  z.object({
    providers: z.array(z.object({ name: z.string(), kind: z.enum(['inline', 'remote']), resting: z.object({ until: timestamp, reason: z.string() }).nullable() })),
    routes: z.record(z.string(), z.array(z.array(z.object({ name: z.string(), weight: z.number() })))).describe('Per model: tiers in order; within a tier, weights share the traffic.'),
    stats: z.array(providerStatsRow),
  }),
);

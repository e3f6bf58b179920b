import { z } from 'zod';
import { FINAL_STATES, LIVE_STATES } from '../../../jobs/index.js';
import type { RouteDoc } from '../../openapi/types.js';
import { named, count, distinct, duration, echoedInput, errorCode, fieldErrors, keyMode, modelId, resolution, timestamp, webhookStatus, ownCredits } from '../../openapi/schemas.js';
import { generateBody, listQuery } from './schema.js';
import { apiframeStatus } from './render.js';

const tag = 'Apiframe v2';

/** Apiframe's status words, read off the dialect's own state map. */
export const apiframeStatusSchema = z.enum(distinct([...LIVE_STATES, ...FINAL_STATES].map(apiframeStatus)));

/**
 * Apiframe's error envelope (`ErrorResponse`: `error`), with our `code` and `requestId`; 402 adds
 * the credit fields of Apiframe's `InsufficientCredits`, a 409 on cancel the job's status.
 */
export const apiframeErrorSchema = named('ApiframeError', z.object({
  error: z.string(),
  code: errorCode,
  details: fieldErrors.optional(),
  creditsRequired: count.optional(),
  creditsAvailable: count.optional(),
  status: apiframeStatusSchema.optional(),
  requestId: z.string(),
}));

/** `result` of a COMPLETED job: the signed URLs and what was probed from the file. */
export const apiframeResultSchema = z.object({
  videoUrl: z.url().describe('Signed, expiring; supports Range requests.'),
  posterUrl: z.url(),
  urlExpiresAt: timestamp,
  contentType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  fps: z.number(),
  durationSeconds: z.number().describe('Measured from the file.'),
  bytes: count,
  sha256: z.string(),
});

/** Apiframe's `Job`: every field its spec requires, then ours (`input`, `expired`, `mode`, …). */
export const apiframeJobSchema = named('ApiframeJob', z.object({
  id: z.uuid(),
  status: apiframeStatusSchema,
  model: modelId,
  progress: z.number().int().min(0).max(100),
  result: apiframeResultSchema.nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable().describe('Why the job failed (`content_policy`, `timeout`, `canceled`, …).'),
  statusReason: z.string().nullable().describe('Why a live job is waiting while it retries ("MiniMax unreachable (api.minimax.io: …), retrying, attempt 3 of 8"); null otherwise.'),
  engine: z.string().nullable().describe('What makes the video: `sandbox` (the local preview engine of test keys) or the upstream (`minimax`, `wavespeed`, `fal`, `replicate`).'),
  creditCost: count,
  webhookStatus: webhookStatus.nullable(),
  input: echoedInput,
  expired: z.boolean().describe('`true` once the files passed the retention period; `result` is then null.'),
  mode: keyMode,
  createdAt: timestamp,
  updatedAt: timestamp,
  completedAt: timestamp.nullable(),
}));

const catalogEntry = z.object({
  id: modelId,
  label: z.string(),
  description: z.string(),
  modality: z.literal('video'),
  provider: z.string(),
  modes: z.array(z.enum(['text-to-video', 'image-to-video'])),
  parameters: z.record(z.string(), z.unknown()).describe('Each request parameter with its type, enum, default and rules.'),
  combinations: z.array(z.object({ resolution, durationSeconds: duration, credits: count })),
  pricingMode: z.literal('flat'),
  costMin: count,
  costMax: count,
  typicalSeconds: count,
  liveProviders: z.array(z.string()).describe('Upstreams a live key\'s job may go to, in route order (`minimax`, `wavespeed`, `fal`, `replicate`); test keys always use the sandbox.'),
});

const meSchema = z.object({
  user: z.null(),
  team: z.object({ id: z.string(), name: z.string(), plan: z.string(), credits: count.describe('Available credits of the calling key\'s mode.'), customerId: z.null() }),
  account: z.object({ id: z.string(), name: z.string(), plan: z.string() }),
  credits: ownCredits,
  apiKey: z.object({ id: z.string(), name: z.string(), prefix: z.string(), mode: keyMode }),
});
const jobExample = {
  id: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55',
  status: 'COMPLETED',
  model: 'hailuo-2.3',
  progress: 100,
  result: {
    videoUrl: 'https://reelay.example.com/files/jobs/3f1c…/video.mp4?exp=1767225600&sig=…',
    posterUrl: 'https://reelay.example.com/files/jobs/3f1c…/poster.jpg?exp=1767225600&sig=…',
    urlExpiresAt: '2026-01-01T00:00:00.000Z',
    contentType: 'video/mp4',
    width: 1366,
    height: 768,
    fps: 24,
    durationSeconds: 10,
    bytes: 2419871,
    sha256: '9b2c…',
  },
  error: null,
  errorCode: null,
  creditCost: 96,
  webhookStatus: null,
  input: { prompt: 'cinematic aerial shot of a medieval castle at dawn', model: 'hailuo-2.3', hailuoParams: { duration: 10, resolution: '768p' } },
  expired: false,
  mode: 'test',
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:00:09.000Z',
  completedAt: '2026-11-21T10:00:09.000Z',
};
const err = (error: string, code: string, extra: Record<string, unknown> = {}) => ({ error, code, ...extra, requestId: 'req_5hT2…' });

export const APIFRAME_DOCS: RouteDoc[] = [
  {
    method: 'POST',
    path: '/v2/videos/generate',
    tag,
    errors: apiframeErrorSchema,
    summary: 'Generate a video',
    description:
      'Queues a Hailuo 2.3 job and returns at once. Rules: duration 6 or 10, resolution 768p or 1080p, 1080p only at 6 s; prompt ≤ 2000 characters, required without an image; `hailuo-2.3-fast` needs an image (https URL or data: URI; JPG/PNG/WebP, < 20 MB, short side ≥ 300 px, aspect 2:5 to 5:2). The price is held at submit and charged only on success.',
    security: 'apiKey',
    body: generateBody,
    bodyExample: { prompt: 'cinematic aerial shot of a medieval castle at dawn with mist rolling through the valleys', model: 'hailuo-2.3', hailuoParams: { duration: 10, resolution: '768p' } },
    headers: { 'Idempotency-Key': 'Up to 255 characters, kept 24 h: the same key and body return the original job; another body is a 409.' },
    responses: {
      200: { description: 'With `Prefer: wait=N` (N ≤ 60): the job, finished within N seconds (else the 202)', schema: apiframeJobSchema },
      202: { description: 'Accepted', schema: z.object({ jobId: z.uuid(), status: apiframeStatusSchema }), example: { jobId: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55', status: 'QUEUED' } },
      400: { description: 'Validation error', example: err('Invalid request: 1080p supports 6-second clips only; use 768p for 10 seconds', 'validation_error', { details: { 'hailuoParams.duration': ['1080p supports 6-second clips only; use 768p for 10 seconds'] } }) },
      401: { description: 'Missing or invalid key', example: err('Invalid or revoked API key', 'unauthorized') },
      402: { description: 'Insufficient credits', example: err('Insufficient credits', 'insufficient_credits', { creditsRequired: 96, creditsAvailable: 40 }) },
      409: { description: 'Idempotency-Key reused with another body', example: err('This Idempotency-Key was already used with a different request body', 'conflict') },
      413: { description: 'Body too large', example: err('The request body is too large', 'payload_too_large') },
      429: { description: 'Rate limited (see Retry-After)', example: err('Rate limit of 120 requests per minute exceeded; retry in 12 s', 'rate_limited') },
      503: { description: 'No provider for live keys', example: err('No live provider is configured for hailuo-2.3. Set MINIMAX_API_KEY …', 'provider_unavailable') },
    },
  },
  {
    method: 'POST',
    path: '/v2/videos/quote',
    tag,
    summary: 'Price a request without submitting it',
    security: 'apiKey',
    body: generateBody,
    bodyExample: { prompt: 'x', model: 'hailuo-2.3', hailuoParams: { duration: 6, resolution: '1080p' } },
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'Price in credits', schema: z.object({ model: modelId, resolution, duration, creditCost: count }), example: { model: 'hailuo-2.3', resolution: '1080p', duration: 6, creditCost: 84 } }, 400: { description: 'Validation error' } },
  },
  {
    method: 'GET',
    path: '/v2/jobs/:id',
    tag,
    summary: 'Get a job',
    description: 'Poll until `status` is COMPLETED, FAILED or CANCELLED. `result.videoUrl` is a signed URL that supports Range requests. Another account\'s job answers 404. `?wait=N` (seconds, at most 60) holds the answer until the job changes or N seconds pass (long-poll); `GET /v2/jobs/{id}/events` streams its changes instead.',
    security: 'apiKey',
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'The job', schema: apiframeJobSchema, example: jobExample }, 400: { description: 'id is not a UUID, or wait is not 0 to 60' }, 404: { description: 'Not found', example: err('Job not found', 'not_found') } },
  },
  {
    method: 'GET',
    path: '/v2/jobs',
    tag,
    summary: 'List jobs, newest first',
    security: 'apiKey',
    query: listQuery,
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'A page', schema: z.object({ jobs: z.array(apiframeJobSchema), nextCursor: z.string().nullable(), hasMore: z.boolean() }), example: { jobs: [jobExample], nextCursor: 'MjAyNi0xMS0yMVQxMDowMDowMC4wMDBafDNmMWM…', hasMore: true } }, 400: { description: 'Bad filter or cursor' } },
  },
  {
    method: 'POST',
    path: '/v2/jobs/:id/cancel',
    tag,
    summary: 'Cancel a job',
    description: 'A job that has not finished is cancelled and its held credits are released at once. A finished job answers 409.',
    security: 'apiKey',
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'The cancelled job', schema: apiframeJobSchema, example: { ...jobExample, status: 'CANCELLED', result: null, errorCode: 'canceled', error: 'Canceled by the caller' } }, 400: { description: 'id is not a UUID' }, 404: { description: 'Not found', example: err('Job not found', 'not_found') }, 409: { description: 'Already finished', example: err('Job is already COMPLETED; nothing to cancel', 'conflict', { status: 'COMPLETED' }) } },
  },
  {
    method: 'GET',
    path: '/v2/models',
    tag,
    summary: 'The model catalog',
    security: 'apiKey',
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'Models with modes, parameters, allowed combinations and prices', schema: z.object({ models: z.array(catalogEntry) }), example: { models: [{ id: 'hailuo-2.3', label: 'Hailuo 2.3', modes: ['text-to-video', 'image-to-video'], combinations: [{ resolution: '768p', durationSeconds: 6, credits: 48 }] }] } } },
  },
  {
    method: 'GET',
    path: '/v2/me',
    tag,
    summary: 'The calling account, its credits and key',
    security: 'apiKey',
    errors: apiframeErrorSchema,
    responses: { 200: { description: 'Account', schema: meSchema, example: { user: null, team: { id: 'acct_…', name: 'default', plan: 'free', credits: 4952, customerId: null }, account: { id: 'acct_…', name: 'default', plan: 'free' }, credits: { live: { available: 0, held: 0, spent: 0 }, test: { available: 4904, held: 48, spent: 48 } }, apiKey: { id: 'key_…', name: 'first key', prefix: 'rl_test_h3Kx', mode: 'test' } } } },
  },
];

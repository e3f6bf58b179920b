import { z } from 'zod';
import type { RouteDoc } from '../../openapi/types.js';
import { named, count, distinct, echoedInput, fieldErrors, membersOf, timestamp } from '../../openapi/schemas.js';
import { wavespeedBody } from './schema.js';
import { VARIANTS, WAVESPEED_PREFIX } from './variants.js';
import type { WavespeedStatus } from './render.js';

const tag = 'WaveSpeed v3';

/** WaveSpeed's four status words (a canceled job reads `failed`); the compiler keeps this in step with `WavespeedStatus`. */
export const wavespeedStatusSchema = z.enum(membersOf<WavespeedStatus>({ created: true, processing: true, completed: true, failed: true }));

/** WaveSpeed model ids: one per endpoint. */
export const wavespeedModelSchema = z.enum(distinct(VARIANTS.map((v) => `${WAVESPEED_PREFIX}/${v.slug}`)));

/** WaveSpeed's error envelope: HTTP status in `code`, `data: null`, their task-level `error_code` for input errors. */
export const wavespeedErrorSchema = named('WavespeedError', z.object({
  code: z.number().int().min(400).max(599),
  message: z.string(),
  data: z.null(),
  error_code: z.number().int().optional().describe('1400 missing field, 1401 invalid value, 1402 unusable image or URL.'),
  details: fieldErrors.optional(),
  creditsRequired: count.optional(),
  creditsAvailable: count.optional(),
  request_id: z.string(),
}));

/** The prediction object: the envelope's `data` and the webhook payload. */
export const wavespeedPredictionSchema = z.object({
  id: z.uuid(),
  model: wavespeedModelSchema,
  input: echoedInput,
  outputs: z.array(z.url()).describe('`[videoUrl]` once completed, else empty.'),
  urls: z.object({ get: z.url() }),
  has_nsfw_contents: z.array(z.boolean()),
  status: wavespeedStatusSchema,
  created_at: timestamp,
  error: z.string().describe('Empty unless failed (or, in sync mode, timed out).'),
  code: z.number().int().describe('0, or WaveSpeed\'s task error code (1200 content policy, 1403 upstream, 1405 timeout or canceled, 5003 provider, 5000 internal); 5004 when sync mode timed out.'),
  progress: z.number().int().min(0).max(100),
  executionTime: count.describe('Milliseconds from start to completion.'),
  timings: z.object({ inference: count }),
  engine: z.string().nullable().describe('Reelay: `sandbox` (test keys) or the upstream that makes the video.'),
  status_reason: z.string().nullable().describe('Reelay: why a live job is waiting while it retries; null otherwise.'),
});

const envelope = <T extends z.ZodType>(data: T) => z.object({ code: z.literal(200), message: z.literal('success'), data });
const predictionEnvelope = named('WavespeedPredictionResponse', envelope(wavespeedPredictionSchema));
const prediction = {
  id: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55',
  model: 'minimax/hailuo-2.3/t2v-standard',
  input: { prompt: 'a paper boat drifting on a pond [Truck left]', duration: 6 },
  outputs: [],
  urls: { get: 'https://reelay.example.com/api/v3/predictions/3f1c9a57-…/result' },
  has_nsfw_contents: [],
  status: 'created',
  created_at: '2026-11-21T10:00:00.000Z',
  error: '',
  code: 0,
  progress: 0,
  executionTime: 0,
  timings: { inference: 0 },
};

const WHAT: Record<string, string> = {
  't2v-standard': 'Text-to-video at 768p, 6 or 10 s.',
  't2v-pro': 'Text-to-video at 1080p, 6 s.',
  'i2v-standard': 'Image-to-video at 768p, 6 or 10 s.',
  'i2v-pro': 'Image-to-video at 1080p, 6 s.',
  fast: 'Hailuo 2.3 Fast image-to-video at 768p, 6 or 10 s.',
  'fast-pro': 'Hailuo 2.3 Fast image-to-video at 1080p, 6 s.',
};

export const WAVESPEED_DOCS: RouteDoc[] = [
  ...VARIANTS.map(
    (v): RouteDoc => ({
      method: 'POST',
      path: `/api/v3/${WAVESPEED_PREFIX}/${v.slug}`,
      tag,
      summary: `${WAVESPEED_PREFIX}/${v.slug}`,
      description: `${WHAT[v.slug] ?? ''} Optional \`?webhook=<url>\` query parameter: the bare prediction object is POSTed on completion or failure, signed with WaveSpeed's scheme (\`webhook-signature: v3,<hex>\`). \`enable_sync_mode: true\` waits for the result up to a limit.`,
      security: 'apiKey',
      errors: wavespeedErrorSchema,
      body: wavespeedBody,
      headers: { 'Idempotency-Key': 'Kept 24 h: the same key and body return the original job; another body is a 409.' },
      bodyExample: v.mode === 't2v' ? { prompt: 'a paper boat drifting on a pond [Truck left]', duration: 6 } : { prompt: 'slow push [Push in]', image: 'https://example.com/photo.jpg' },
      responses: {
        200: { description: 'Submitted (or, in sync mode, finished)', schema: predictionEnvelope, example: { code: 200, message: 'success', data: { ...prediction, model: `${WAVESPEED_PREFIX}/${v.slug}` } } },
        400: { description: 'Invalid input', example: { code: 400, message: 'Invalid request: A prompt is required for text-to-video', data: null, error_code: 1400, details: { prompt: ['A prompt is required for text-to-video'] }, request_id: 'req_…' } },
        401: { description: 'Bad key', example: { code: 401, message: 'Invalid or revoked API key', data: null, request_id: 'req_…' } },
        402: { description: 'Insufficient credits' },
        409: { description: 'Idempotency-Key reused with another body' },
        503: { description: 'No provider for live keys' },
      },
    }),
  ),
  {
    method: 'GET',
    path: '/api/v3/predictions/:id/result',
    tag,
    summary: 'Get a prediction result',
    description: 'Statuses: created, processing, completed, failed. `data.outputs[0]` is the video URL once completed.',
    security: 'apiKey',
    errors: wavespeedErrorSchema,
    responses: { 200: { description: 'The prediction', schema: predictionEnvelope, example: { code: 200, message: 'success', data: { ...prediction, status: 'completed', outputs: ['https://reelay.example.com/files/jobs/…/video.mp4?exp=…&sig=…'], has_nsfw_contents: [false], timings: { inference: 8123 } } } }, 404: { description: 'Not found' } },
  },
  {
    method: 'GET',
    path: '/api/v3/webhook/secret',
    tag,
    summary: 'The webhook signing secret',
    description: 'Verify `webhook-signature: v3,<hex>` as HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed by this secret without its `whsec_` prefix (as raw bytes), hex-encoded.',
    security: 'apiKey',
    errors: wavespeedErrorSchema,
    responses: { 200: { description: 'The secret', schema: envelope(z.object({ secret: z.string() })), example: { code: 200, message: 'success', data: { secret: 'whsec_…' } } } },
  },
  {
    method: 'GET',
    path: '/api/v3/predictions/:id',
    tag,
    summary: 'Get a prediction (same as /result)',
    security: 'apiKey',
    errors: wavespeedErrorSchema,
    responses: { 200: { description: 'The prediction', schema: predictionEnvelope }, 404: { description: 'Not found' } },
  },
];

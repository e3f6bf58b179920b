import type { RouteDoc } from '../../openapi/types.js';
import { wavespeedBody } from './schema.js';
import { VARIANTS, WAVESPEED_PREFIX } from './variants.js';

const tag = 'WaveSpeed v3';
const prediction = {
  id: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55',
  model: 'minimax/hailuo-2.3/t2v-standard',
  outputs: [],
  urls: { get: 'https://reelay.example.com/api/v3/predictions/3f1c9a57-…/result' },
  has_nsfw_contents: [],
  status: 'created',
  created_at: '2026-11-21T10:00:00.000Z',
  error: '',
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
      body: wavespeedBody,
      bodyExample: v.mode === 't2v' ? { prompt: 'a paper boat drifting on a pond [Truck left]', duration: 6 } : { prompt: 'slow push [Push in]', image: 'https://example.com/photo.jpg' },
      responses: {
        200: { description: 'Submitted (or, in sync mode, finished)', example: { code: 200, message: 'success', data: { ...prediction, model: `${WAVESPEED_PREFIX}/${v.slug}` } } },
        400: { description: 'Invalid input', example: { code: 400, message: 'Invalid request: prompt: A prompt is required for text-to-video', data: null, error_code: 1400 } },
        401: { description: 'Bad key', example: { code: 401, message: 'Invalid or revoked API key', data: null } },
        402: { description: 'Insufficient credits' },
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
    responses: { 200: { description: 'The prediction', example: { code: 200, message: 'success', data: { ...prediction, status: 'completed', outputs: ['https://reelay.example.com/files/jobs/…/video.mp4?exp=…&sig=…'], has_nsfw_contents: [false], timings: { inference: 8123 } } } }, 404: { description: 'Not found' } },
  },
  {
    method: 'GET',
    path: '/api/v3/webhook/secret',
    tag,
    summary: 'The webhook signing secret',
    description: 'Verify `webhook-signature: v3,<hex>` as HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed by this secret without its `whsec_` prefix (as raw bytes), hex-encoded.',
    security: 'apiKey',
    responses: { 200: { description: 'The secret', example: { code: 200, message: 'success', data: { secret: 'whsec_…' } } } },
  },
  {
    method: 'GET',
    path: '/api/v3/predictions/:id',
    tag,
    summary: 'Get a prediction (same as /result)',
    security: 'apiKey',
    responses: { 200: { description: 'The prediction' }, 404: { description: 'Not found' } },
  },
];

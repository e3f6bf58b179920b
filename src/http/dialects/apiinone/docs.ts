import { z } from 'zod';
import type { RouteDoc } from '../../openapi/types.js';
import { named, count, distinct, errorCode, fieldErrors, membersOf, timestamp } from '../../openapi/schemas.js';
import { apiInOneBody, SUB_MODELS } from './schema.js';
import type { TaskStatus } from './render.js';

const tag = 'API in One';

/** The task's status words; the compiler keeps this in step with `TaskStatus`. */
export const apiInOneStatusSchema = z.enum(membersOf<TaskStatus>({ pending: true, processing: true, completed: true, failed: true, canceled: true }));

/** The sub-model names a request may use (a task reads as one of the two full names). */
export const apiInOneModelSchema = z.enum(distinct(Object.keys(SUB_MODELS)));

/** `{ "error": { "code", "message", "details"? }, "request_id" }`, OpenAI-style. */
export const apiInOneErrorSchema = named('ApiInOneError', z.object({
  error: z.object({
    code: errorCode,
    message: z.string(),
    details: fieldErrors.optional(),
    creditsRequired: count.optional(),
    creditsAvailable: count.optional(),
  }),
  request_id: z.string(),
}));

/** The task object (submit answer, `GET /api/v1/tasks/{task_id}`, webhook payload). */
export const apiInOneTaskSchema = named('ApiInOneTask', z.object({
  task_id: z.uuid(),
  object: z.literal('video.generation'),
  model: apiInOneModelSchema,
  status: apiInOneStatusSchema,
  progress: z.number().int().min(0).max(100),
  result: z
    .object({
      video_url: z.url(),
      poster_url: z.url(),
      width: z.number().int(),
      height: z.number().int(),
      duration: z.number().describe('Seconds, measured from the file.'),
      fps: z.number(),
      bytes: count,
    })
    .nullable(),
  error: z.object({ code: z.string(), message: z.string().nullable() }).nullable(),
  credits: count.describe('The price held at submit.'),
  credits_charged: count.describe('Charged only on success.'),
  created_at: timestamp,
  completed_at: timestamp.nullable(),
  engine: z.string().nullable().describe('`sandbox` (test keys) or the upstream that makes the video.'),
  status_reason: z.string().nullable().describe('Why a live job is waiting while it retries; null otherwise.'),
}));
const task = {
  task_id: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55',
  object: 'video.generation',
  model: 'hailuo/2-3-image-to-video-standard',
  status: 'completed',
  progress: 100,
  result: { video_url: 'https://reelay.example.com/files/jobs/…/video.mp4?exp=…&sig=…', poster_url: 'https://…/poster.jpg?…', width: 1366, height: 768, duration: 6, fps: 24, bytes: 1523411 },
  error: null,
  credits: 30,
  credits_charged: 30,
  created_at: '2026-11-21T10:00:00.000Z',
  completed_at: '2026-11-21T10:00:08.000Z',
};

export const APIINONE_DOCS: RouteDoc[] = [
  {
    method: 'POST',
    path: '/api/v1/videos/generations',
    tag,
    summary: 'Generate a video from an image (hailuo-2-3)',
    description:
      '`model`: `hailuo-2-3` (= standard), `hailuo/2-3-image-to-video-standard` (Hailuo 2.3 Fast; 30 credits 6 s 768P, 45 for 10 s or 1080P) or `hailuo/2-3-image-to-video-pro` (Hailuo 2.3; 45–85). `image` is required. `duration` "6"|"10", `resolution` "768P"|"1080P" (1080P only at 6 s). Returns the task object; statuses pending, processing, completed, failed, canceled.',
    security: 'apiKey',
    errors: apiInOneErrorSchema,
    body: apiInOneBody,
    headers: { 'Idempotency-Key': 'Kept 24 h: the same key and body return the original job; another body is a 409.' },
    bodyExample: { model: 'hailuo-2-3', prompt: 'A golden retriever running through a sunflower field at sunset, slow motion', image: 'https://example.com/golden-retriever.jpg', duration: '6', resolution: '768P' },
    responses: {
      200: { description: 'The new task', schema: apiInOneTaskSchema, example: { ...task, status: 'pending', progress: 0, result: null, credits_charged: 0, completed_at: null } },
      400: { description: 'Invalid input', example: { error: { code: 'validation_error', message: 'Invalid request: image: Required', details: { image: ['Required'] } }, request_id: 'req_…' } },
      401: { description: 'Bad key', example: { error: { code: 'unauthorized', message: 'Invalid or revoked API key' }, request_id: 'req_…' } },
      402: { description: 'Insufficient credits' },
      409: { description: 'Idempotency-Key reused with another body' },
      503: { description: 'No provider for live keys' },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/tasks/:task_id',
    tag,
    summary: 'Task status and result',
    security: 'apiKey',
    errors: apiInOneErrorSchema,
    responses: { 200: { description: 'The task', schema: apiInOneTaskSchema, example: task }, 404: { description: 'Not found' } },
  },
];

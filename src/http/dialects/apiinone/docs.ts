import type { RouteDoc } from '../../openapi/types.js';
import { apiInOneBody } from './schema.js';

const tag = 'API in One';
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
    body: apiInOneBody,
    bodyExample: { model: 'hailuo-2-3', prompt: 'A golden retriever running through a sunflower field at sunset, slow motion', image: 'https://example.com/golden-retriever.jpg', duration: '6', resolution: '768P' },
    responses: {
      200: { description: 'The new task', example: { ...task, status: 'pending', progress: 0, result: null, credits_charged: 0, completed_at: null } },
      400: { description: 'Invalid input', example: { error: { code: 'validation_error', message: 'Invalid request: image: Required', details: { image: ['Required'] } }, request_id: 'req_…' } },
      401: { description: 'Bad key', example: { error: { code: 'unauthorized', message: 'Invalid or revoked API key' }, request_id: 'req_…' } },
      402: { description: 'Insufficient credits' },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/tasks/:task_id',
    tag,
    summary: 'Task status and result',
    security: 'apiKey',
    responses: { 200: { description: 'The task', example: task }, 404: { description: 'Not found' } },
  },
];

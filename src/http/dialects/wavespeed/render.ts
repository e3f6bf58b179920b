import type { FastifyRequest } from 'fastify';
import type { Job, JobErrorCodeOrCanceled, JobState } from '../../../jobs/index.js';
import type { AppError } from '../../../errors.js';
import { baseUrl, fileUrl, type AppDeps } from '../../context.js';
import { variantIdFor } from './variants.js';

export type WavespeedStatus = 'created' | 'processing' | 'completed' | 'failed';

const STATUS: Record<JobState, WavespeedStatus> = {
  queued: 'created',
  submitting: 'created',
  running: 'processing',
  finalizing: 'processing',
  completed: 'completed',
  // WaveSpeed documents four statuses; a canceled job reads as failed so every client stops polling.
  failed: 'failed',
  canceled: 'failed',
};

/** WaveSpeed's task error codes (docs/error-codes): 1xxx fix the request, 5xxx retry. */
/** Our job failure codes in WaveSpeed's numeric task codes (every code has one: the type says so). */
export const WAVESPEED_FAILURE_CODES: Readonly<Record<JobErrorCodeOrCanceled, number>> = {
  content_policy: 1200,
  invalid_params: 1401,
  upstream_error: 1403,
  upstream_auth: 5003,
  provider_balance: 5003,
  provider_unavailable: 5003,
  render_failed: 1403,
  timeout: 1405,
  canceled: 1405,
  internal: 5000,
};

/** The bare prediction object (the webhook payload and the envelope's `data`). */
export function renderPrediction(base: string, job: Job, fileUrlFor: (key: string) => string): Record<string, unknown> {
  const done = job.state === 'completed' && job.result && !job.expiredAt;
  const inferenceMs = job.startedAt && job.completedAt ? Math.max(0, job.completedAt.getTime() - job.startedAt.getTime()) : 0;
  return {
    id: job.id,
    model: variantIdFor(job.model, job.input.resolution, job.input.image !== null),
    input: job.input.original,
    outputs: done ? [fileUrlFor(job.result!.video.key)] : [],
    urls: { get: `${base}/api/v3/predictions/${job.id}/result` },
    has_nsfw_contents: done ? [false] : [],
    status: STATUS[job.state],
    created_at: job.createdAt.toISOString(),
    error: job.errorMessage ?? '',
    code: job.errorCode ? WAVESPEED_FAILURE_CODES[job.errorCode] : 0,
    progress: job.state === 'completed' ? 100 : job.progress,
    executionTime: inferenceMs,
    timings: { inference: inferenceMs },
    engine: job.provider,
    status_reason: job.statusReason,
  };
}

export function renderEnvelope(deps: AppDeps, req: FastifyRequest, job: Job, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const data = renderPrediction(baseUrl(deps.config, req), job, (key) => fileUrl(deps, req, key).url);
  return { code: 200, message: 'success', data: { ...data, ...extra } };
}

/** WaveSpeed's error envelope: HTTP status mirrored in `code`, a message, and their task-level code. */
export function wavespeedError(err: AppError, requestId: string): unknown {
  const taskCode =
    err.code === 'validation_error' || err.code === 'invalid_json'
      ? Object.values(err.fields ?? {}).some((m) => m.some((x) => /\brequire[sd]?\b/i.test(x)))
        ? 1400
        : 1401
      : err.code === 'invalid_image' || err.code === 'url_not_allowed'
        ? 1402
        : undefined;
  return {
    code: err.status,
    message: err.message,
    data: null,
    ...(taskCode ? { error_code: taskCode } : {}),
    ...(err.fields ? { details: err.fields } : {}),
    ...(err.extra ?? {}),
    request_id: requestId,
  };
}

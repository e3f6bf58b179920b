import type { FastifyRequest } from 'fastify';
import type { AppError } from '../../../errors.js';
import type { Job, JobErrorCodeOrCanceled, JobState } from '../../../jobs/index.js';
import { fileUrl, type AppDeps } from '../../context.js';
import { subModelFor } from './schema.js';

/** Our job failure codes as API in One's `error.code` (its seed shows no task errors; ours, as they are). */
export const APIINONE_FAILURE_CODES: Readonly<Record<JobErrorCodeOrCanceled, string>> = {
  content_policy: 'content_policy',
  invalid_params: 'invalid_params',
  upstream_error: 'upstream_error',
  upstream_auth: 'upstream_auth',
  provider_balance: 'provider_balance',
  provider_unavailable: 'provider_unavailable',
  timeout: 'timeout',
  render_failed: 'render_failed',
  internal: 'internal',
  canceled: 'canceled',
};

export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'canceled';

const STATUS: Record<JobState, TaskStatus> = {
  queued: 'pending',
  submitting: 'pending',
  running: 'processing',
  finalizing: 'processing',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
};

/**
 * The task object of `GET /api/v1/tasks/{task_id}` (and of the submit response). The seed shows
 * no response, so this one follows its request's spirit: snake_case, credits charged only on
 * success, the video URL under `result`. Documented in docs/api-in-one.md.
 */
export function renderTask(deps: AppDeps, req: FastifyRequest, job: Job): Record<string, unknown> {
  return renderTaskWith(job, (key) => fileUrl(deps, req, key).url);
}

/** The task object with file URLs minted by `urlFor` (a request's host, or the public base URL for webhooks). */
export function renderTaskWith(job: Job, urlFor: (key: string) => string): Record<string, unknown> {
  const done = job.state === 'completed' && job.result && !job.expiredAt;
  const v = job.result?.video;
  return {
    task_id: job.id,
    object: 'video.generation',
    model: subModelFor(job.model),
    status: STATUS[job.state],
    progress: job.state === 'completed' ? 100 : job.progress,
    result: done
      ? {
          video_url: urlFor(v!.key),
          poster_url: urlFor(job.result!.poster.key),
          width: v!.width,
          height: v!.height,
          duration: v!.durationSeconds,
          fps: v!.fps,
          bytes: v!.bytes,
        }
      : null,
    error: job.errorCode ? { code: APIINONE_FAILURE_CODES[job.errorCode], message: job.errorMessage } : null,
    credits: job.price,
    credits_charged: job.state === 'completed' ? job.price : 0,
    created_at: job.createdAt.toISOString(),
    completed_at: job.completedAt?.toISOString() ?? null,
    engine: job.provider,
    status_reason: job.statusReason,
  };
}

/** `{ "error": { "code", "message", "details"? } }`, OpenAI-style, as such gateways answer. */
export function apiInOneError(err: AppError, requestId: string): unknown {
  return {
    error: { code: err.code, message: err.message, ...(err.fields ? { details: err.fields } : {}), ...(err.extra ?? {}) },
    request_id: requestId,
  };
}

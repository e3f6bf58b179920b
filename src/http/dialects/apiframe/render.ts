import type { FastifyRequest } from 'fastify';
import type { Job, JobErrorCodeOrCanceled, JobState } from '../../../jobs/index.js';
import { fileUrl, type AppDeps } from '../../context.js';

/**
 * Our job failure codes as Apiframe's `errorCode` (Apiframe documents none, so ours are shown as
 * they are; the table exists so that a new code cannot ship without a decision here).
 */
export const APIFRAME_FAILURE_CODES: Readonly<Record<JobErrorCodeOrCanceled, string>> = {
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

export type ApiframeStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

const STATUS: Record<JobState, ApiframeStatus> = {
  queued: 'QUEUED',
  submitting: 'QUEUED',
  running: 'PROCESSING',
  finalizing: 'PROCESSING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  canceled: 'CANCELLED',
};

export function apiframeStatus(s: JobState): ApiframeStatus {
  return STATUS[s];
}

export function statesFor(status: ApiframeStatus): JobState[] {
  return (Object.keys(STATUS) as JobState[]).filter((s) => STATUS[s] === status);
}

/** The result object: `videoUrl` as the seeds read it, plus what we probed from the file. */
export function renderResult(deps: AppDeps, req: FastifyRequest, job: Job): Record<string, unknown> | null {
  return renderResultWith(job, (key) => fileUrl(deps, req, key));
}

/** `renderResult` with the URL signer given, for payloads rendered outside a request (webhooks). */
export function renderResultWith(job: Job, urlFor: (key: string) => { url: string; expiresAt: Date }): Record<string, unknown> | null {
  if (job.state !== 'completed' || !job.result || job.expiredAt) return null;
  const v = job.result.video;
  const video = urlFor(v.key);
  return {
    videoUrl: video.url,
    posterUrl: urlFor(job.result.poster.key).url,
    urlExpiresAt: video.expiresAt.toISOString(),
    contentType: v.contentType,
    width: v.width,
    height: v.height,
    fps: v.fps,
    durationSeconds: v.durationSeconds,
    bytes: v.bytes,
    sha256: v.sha256,
  };
}

/** A canonical job in Apiframe's `Job` shape (every required field present, extras after). */
export function renderJob(deps: AppDeps, req: FastifyRequest, job: Job): Record<string, unknown> {
  return {
    id: job.id,
    status: apiframeStatus(job.state),
    model: job.model,
    progress: job.state === 'completed' ? 100 : job.progress,
    result: renderResult(deps, req, job),
    error: job.errorMessage,
    errorCode: job.errorCode ? APIFRAME_FAILURE_CODES[job.errorCode] : null,
    // Why a live job is waiting while it retries (issue 12); null once it moves on.
    statusReason: job.statusReason,
    // Which engine makes the video: the sandbox (test keys) or the upstream's name.
    engine: job.provider,
    creditCost: job.price,
    webhookStatus: job.webhookStatus,
    input: job.input.original,
    expired: job.expiredAt !== null,
    mode: job.mode,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    completedAt: job.completedAt?.toISOString() ?? null,
  };
}

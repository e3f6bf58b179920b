import type { GenerateRequest } from '../catalog/index.js';
import type { KeyMode } from '../billing/index.js';
import { JOB_ERROR_CODES, type JobErrorCode } from '../providers/index.js';

export type JobState = 'queued' | 'submitting' | 'running' | 'finalizing' | 'completed' | 'failed' | 'canceled';
export const LIVE_STATES: readonly JobState[] = ['queued', 'submitting', 'running', 'finalizing'];
export const FINAL_STATES: readonly JobState[] = ['completed', 'failed', 'canceled'];

/** The stored input: the canonical request with the image replaced by a reference to our copy. */
export interface JobInput extends Omit<GenerateRequest, 'image'> {
  image: { source: string; key: string; width: number; height: number; mime: string; bytes: number } | null;
  /** The caller's own request body, for display (`Job.input`); data URIs are shortened. */
  original: Record<string, unknown>;
}

export interface StoredFile {
  key: string;
  contentType: string;
  bytes: number;
}

export interface JobResult {
  video: StoredFile & { width: number; height: number; fps: number; durationSeconds: number; sha256: string; codec: string };
  poster: StoredFile;
}

export type JobErrorCodeOrCanceled = JobErrorCode | 'canceled';

/** Every `errorCode` a job can end with; each dialect maps all of them (test/http/errors-doc.test.ts). */
export const JOB_FAILURE_CODES: readonly JobErrorCodeOrCanceled[] = [...JOB_ERROR_CODES, 'canceled'];

/** Webhook deliveries of a job: anything undelivered, all delivered, or one gave up / the endpoint answered 410. */
export type WebhookStatus = 'pending' | 'delivered' | 'failed';

/** The canonical job, as every dialect reads it. */
export interface Job {
  id: string;
  accountId: string;
  keyId: string | null;
  mode: KeyMode;
  dialect: string;
  model: string;
  input: JobInput;
  state: JobState;
  progress: number;
  price: number;
  provider: string | null;
  upstreamTaskId: string | null;
  errorCode: JobErrorCodeOrCanceled | null;
  errorMessage: string | null;
  /**
   * Why a live job is waiting while it retries, e.g. "MiniMax unreachable (api.minimax.io: DNS
   * lookup failed), retrying, attempt 3 of 8"; null once it makes progress or ends.
   */
  statusReason: string | null;
  result: JobResult | null;
  webhookUrl: string | null;
  webhookEvents: string[] | null;
  /** Null while the job has no webhook or no event has been due yet (kept by src/webhooks). */
  webhookStatus: WebhookStatus | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  expiredAt: Date | null;
}

export interface JobRow {
  id: string;
  account_id: string;
  key_id: string | null;
  mode: KeyMode;
  dialect: string;
  model: string;
  input: JobInput;
  state: JobState;
  progress: number;
  price: number;
  provider: string | null;
  upstream_task_id: string | null;
  upstream_file_ref: string | null;
  attempts: number;
  lease_owner: string | null;
  error_code: JobErrorCodeOrCanceled | null;
  error_message: string | null;
  status_reason: string | null;
  unreadable_downloads: number;
  deadline_extended: boolean;
  result: JobResult | null;
  webhook_url: string | null;
  webhook_events: string[] | null;
  webhook_status: WebhookStatus | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  expired_at: Date | null;
  /** Bumped by every visible change (migration 009's trigger); the job views' and SSE ids' version. */
  version: number;
}

export function rowToJob(r: JobRow): Job {
  return {
    id: r.id,
    accountId: r.account_id,
    keyId: r.key_id,
    mode: r.mode,
    dialect: r.dialect,
    model: r.model,
    input: r.input,
    state: r.state,
    progress: r.progress,
    price: r.price,
    provider: r.provider,
    upstreamTaskId: r.upstream_task_id,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    statusReason: r.status_reason ?? null,
    result: r.result,
    webhookUrl: r.webhook_url,
    webhookEvents: r.webhook_events,
    webhookStatus: r.webhook_status ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    expiredAt: r.expired_at,
  };
}

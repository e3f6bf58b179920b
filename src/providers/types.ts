import type { Readable } from 'node:stream';
import type { ModelSpec } from '../catalog/index.js';

/** Why a job failed, in Reelay's words; dialects turn these into their own codes. */
export type JobErrorCode =
  | 'content_policy'
  | 'invalid_params'
  | 'upstream_error'
  | 'upstream_auth'
  | 'provider_balance'
  | 'provider_unavailable'
  | 'timeout'
  | 'render_failed'
  | 'internal';

/** What a provider is asked to make: the canonical request, with the input image already vetted and stored. */
export interface ProviderJob {
  jobId: string;
  model: ModelSpec;
  prompt: string;
  durationSeconds: number;
  resolution: string;
  promptOptimizer: boolean;
  fastPretreatment: boolean;
  image: { key: string; width: number; height: number; mime: string } | null;
}

export type UpstreamStatus =
  | { state: 'queued' }
  | { state: 'running'; progress?: number }
  | { state: 'succeeded'; fileRef: string }
  | { state: 'failed'; code: JobErrorCode; message: string };

/**
 * A provider's failure. `retryable` ones are tried again later with backoff (the customer is not
 * charged again: the hold is per job); fatal ones fail the job and release its hold.
 */
export class ProviderError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly opts: { retryAfterMs?: number; markUnhealthy?: boolean } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** A provider that renders on our own workers, start to finish, while the worker holds the job's lease. */
export interface InlineProvider {
  readonly kind: 'inline';
  readonly name: string;
  render(job: ProviderJob, outFile: string, ctx: { signal: AbortSignal; onProgress: (fraction: number) => void }): Promise<void>;
}

/** A remote upstream: submit once, poll by task id, download the result. */
export interface RemoteProvider {
  readonly kind: 'remote';
  readonly name: string;
  submit(job: ProviderJob, signal: AbortSignal): Promise<{ taskId: string }>;
  poll(taskId: string, signal: AbortSignal): Promise<UpstreamStatus>;
  download(fileRef: string, signal: AbortSignal): Promise<Readable>;
  /** Delay before the next status poll, given how many polls this job has had. */
  nextPollDelayMs(model: ModelSpec, pollsSoFar: number): number;
}

export type VideoProvider = InlineProvider | RemoteProvider;

import type { Readable } from 'node:stream';
import type { ModelSpec } from '../catalog/index.js';

/** Why a job failed, in Reelay's words; dialects turn these into their own codes. */
/** Why a job failed: one closed list that every dialect maps (docs/errors.md, "Job failure codes"). */
export const JOB_ERROR_CODES = [
  'content_policy',
  'invalid_params',
  'upstream_error',
  'upstream_auth',
  'provider_balance',
  'provider_unavailable',
  'timeout',
  'render_failed',
  'internal',
] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

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

/** How the runner should treat a retryable `ProviderError`, besides waiting and trying again. */
export interface ProviderErrorOptions {
  /** Wait exactly this long instead of the shared backoff. */
  retryAfterMs?: number;
  /** Rest the provider (routing skips it; queued jobs wait) for its cooldown. */
  markUnhealthy?: boolean;
  /** The upstream said "too many requests": retry until the job's deadline, never "out of attempts". */
  rateLimited?: boolean;
  /** Nothing was sent (our own budget was full): not an attempt at all, the job only waits. */
  deferred?: boolean;
  /**
   * A create whose outcome is unknown: the request may have reached the upstream and made a task
   * (timeout after the body was sent, 5xx, a 200 without a task id). The job is resubmitted at most
   * once, and the pair is recorded as a possible duplicate.
   */
  ambiguous?: boolean;
}

/**
 * A provider's failure. `retryable` ones are tried again later with backoff (the customer is not
 * charged again: the hold is per job); fatal ones fail the job and release its hold.
 *
 * @example
 * throw new ProviderError('upstream_error', 'MiniMax answered HTTP 502', true);
 * throw new ProviderError('upstream_auth', 'MiniMax refused the API key', false, { markUnhealthy: true });
 */
export class ProviderError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly opts: ProviderErrorOptions = {},
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
  /** The upstream's API host (`api.minimax.io`), named in the reasons a job shows while it waits. */
  readonly host?: string;
  submit(job: ProviderJob, signal: AbortSignal): Promise<{ taskId: string }>;
  poll(taskId: string, signal: AbortSignal): Promise<UpstreamStatus>;
  download(fileRef: string, signal: AbortSignal): Promise<Readable>;
  /** Delay before the next status poll, given how many polls this job has had. */
  nextPollDelayMs(model: ModelSpec, pollsSoFar: number): number;
  /**
   * Jobs one worker process should hold at once: claiming more only makes them wait for a call
   * slot while holding their leases. Unset means no limit beyond the worker's own.
   */
  readonly maxJobsInFlight?: number;
  /** The model's typical generation time here, for a progress estimate when the upstream gives none. */
  typicalMs?(model: ModelSpec): number;
  /**
   * Reads an (unauthenticated) callback body: a handshake to answer, or a hint that a task
   * changed. A hint is never trusted as a status: it only makes the task's job poll at once.
   */
  parseCallback?(body: unknown): CallbackMessage;
  /**
   * Checks a callback's signature over its exact bytes, before `parseCallback` sees it. Absent
   * means the upstream signs nothing (MiniMax): the unguessable path is the only guard.
   */
  verifyCallback?(raw: string, headers: CallbackHeaders): Promise<boolean>;
  /** Asks the upstream to stop a task; a no-op answer (already done, unknown) is not an error. */
  cancel?(taskId: string, signal: AbortSignal): Promise<void>;
  /**
   * What the upstream charges for one video, in USD, or null when no price is known (the
   * operator sets one under `upstreamCosts` in the price book). `imageToVideo` omitted means the
   * dearer of the two, so a margin is never overstated.
   */
  costUsd(model: string, resolution: string, durationSeconds: number, imageToVideo?: boolean): number | null;
}

/** Request headers, lower-case names (as Node gives them). */
export type CallbackHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type CallbackMessage =
  | { kind: 'challenge'; reply: Record<string, unknown> }
  | { kind: 'hint'; taskId: string }
  | { kind: 'ignored' };

export type VideoProvider = InlineProvider | RemoteProvider;

/**
 * MiniMax's own video API (Hailuo 2.3 and 2.3 Fast) as a `RemoteProvider`: create a task, poll it,
 * resolve its file and stream the video. Protocol facts: reference/upstream-apis.md §1.
 */
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { ModelSpec } from '../../catalog/index.js';
import type { Logger } from '../../log.js';
import { FetchFailure, safeStream, type UrlPolicy } from '../../net/index.js';
import type { BlobStore } from '../../storage/index.js';
import type { ProviderBudget } from '../budget.js';
import { ProviderError, type CallbackMessage, type ProviderJob, type RemoteProvider, type UpstreamStatus } from '../types.js';
import { MinimaxApi, type Json } from './api.js';
import { taskStatus, type TaskBody } from './codes.js';
import { DEFAULT_POLL_SCHEDULE, pollDelayMs, type PollSchedule } from './schedule.js';
import { costOf, type CostTable } from '../costs.js';
import { MINIMAX_COSTS } from './costs.js';

export { DEFAULT_POLL_SCHEDULE, pollDelayMs, type PollSchedule } from './schedule.js';
export { errorForCode, taskStatus } from './codes.js';

export interface MinimaxOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  budget: ProviderBudget;
  /** Where job inputs live: the first-frame image is sent from our stored copy. */
  blobs: BlobStore;
  /** Reelay's callback endpoint, when PUBLIC_URL makes us reachable; null polls only. */
  callbackUrl: string | null;
  /** The model's typical generation time (config may override the catalog's). */
  typicalMs: (model: ModelSpec) => number;
  poll?: Partial<PollSchedule>;
  /** Who the download URLs may point at (private networks only in self-hosted setups and tests). */
  downloadPolicy: UrlPolicy;
  /** Largest video accepted: 10 s of 1080p Hailuo is ~10-30 MB; 1 GiB is a runaway, not a video. */
  maxVideoBytes?: number;
  /** USD per variant; default MINIMAX_COSTS (unknown until the operator sets `upstreamCosts.minimax`). */
  costs?: CostTable;
  log: Logger;
}

/** Download statuses that mean "this signed URL is no longer good": ask files/retrieve again. */
const EXPIRED_URL_STATUSES: ReadonlySet<number> = new Set([403, 404, 410]);
/** Fresh URLs tried per download before giving the job back to the queue with backoff. */
const DOWNLOAD_URL_TRIES = 3;
/** After MiniMax failed to reach our callback URL, submit without one for this long (and poll). */
const CALLBACK_OFF_MS = 10 * 60_000;
/** How much later the poll schedule runs while callbacks are on (see `nextPollDelayMs`). */
const CALLBACK_FALLBACK_STRETCH = 2;

/** `768p` → `768P`, the spelling MiniMax's enum uses. */
function minimaxResolution(res: string): string {
  return res.toUpperCase();
}

/**
 * @example
 * const minimax = new MinimaxProvider({ apiKey, baseUrl: 'https://api.minimax.io', timeoutMs: 30_000, budget, blobs,
 *   callbackUrl: null, typicalMs: (m) => m.typicalSeconds * 1000, downloadPolicy: DEFAULT_URL_POLICY, log });
 * const { taskId } = await minimax.submit(job, signal);
 */
export class MinimaxProvider implements RemoteProvider {
  readonly kind = 'remote';
  readonly name = 'minimax';
  readonly host: string;
  private readonly api: MinimaxApi;
  private readonly schedule: PollSchedule;
  private callbackOffUntil = 0;

  /**
   * Four jobs per call slot: one calling, the others about to call or streaming a download (which
   * takes no slot). At 2 per slot, finishing jobs' downloads and probes held back the polls of
   * others: bench/polls.ts saw jobs noticed 18.6 s late on average instead of 9 s.
   */
  readonly maxJobsInFlight: number;

  constructor(private readonly o: MinimaxOptions) {
    this.api = new MinimaxApi({ apiKey: o.apiKey, baseUrl: o.baseUrl, timeoutMs: o.timeoutMs, budget: o.budget });
    this.host = this.api.host;
    this.schedule = { ...DEFAULT_POLL_SCHEDULE, ...o.poll };
    this.maxJobsInFlight = 4 * o.budget.limits.maxConcurrent;
  }

  /** The `POST /v1/video_generation` body for a job (the image as a data URI of our stored copy). */
  async createBody(job: ProviderJob): Promise<Json> {
    const body: Json = {
      model: job.model.minimaxModel,
      duration: job.durationSeconds,
      resolution: minimaxResolution(job.resolution),
      prompt_optimizer: job.promptOptimizer,
    };
    if (job.prompt.trim() !== '') body.prompt = job.prompt;
    if (job.fastPretreatment) body.fast_pretreatment = true;
    if (job.image) {
      // Inputs are capped at 20 MB when accepted, so reading one whole is bounded; the video is not.
      const bytes = await buffer(await this.o.blobs.read(job.image.key));
      body.first_frame_image = `data:${job.image.mime};base64,${bytes.toString('base64')}`;
    }
    if (this.o.callbackUrl && Date.now() >= this.callbackOffUntil) body.callback_url = this.o.callbackUrl;
    return body;
  }

  async submit(job: ProviderJob, signal: AbortSignal): Promise<{ taskId: string }> {
    const body = await this.createBody(job);
    try {
      return await this.create(body, signal);
    } catch (err) {
      // MiniMax checks callback_url synchronously and answers 2013 "fail to check callback url"
      // when it cannot reach us. That is the operator's PUBLIC_URL, not the customer's request:
      // send the job again without it (polling covers) and stop offering it for a while.
      if (!body.callback_url || !(err instanceof ProviderError) || err.code !== 'invalid_params' || !/callback/i.test(err.message)) throw err;
      this.callbackOffUntil = Date.now() + CALLBACK_OFF_MS;
      this.o.log.warn({ callbackUrl: this.o.callbackUrl, err: err.message }, 'MiniMax could not reach the callback URL; submitting without callbacks for 10 minutes');
      delete body.callback_url;
      return this.create(body, signal);
    }
  }

  private async create(body: Json, signal: AbortSignal): Promise<{ taskId: string }> {
    const res = await this.api.call('submit', 'submit', 'POST', '/v1/video_generation', body, signal);
    const id = res.task_id;
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') {
      // Success with no id: a task may exist that we cannot name (resubmitted at most once).
      throw new ProviderError('upstream_error', `MiniMax answered the create without a task_id (${this.host})`, true, { ambiguous: true });
    }
    return { taskId: String(id) };
  }

  async poll(taskId: string, signal: AbortSignal): Promise<UpstreamStatus> {
    const res = await this.api.call('status', 'poll', 'GET', `/v1/query/video_generation?task_id=${encodeURIComponent(taskId)}`, undefined, signal);
    return taskStatus(res as TaskBody);
  }

  /** A fresh signed download URL for a finished task's file. */
  private async downloadUrl(fileId: string, signal: AbortSignal): Promise<string> {
    const res = await this.api.call('status', 'retrieve', 'GET', `/v1/files/retrieve?file_id=${encodeURIComponent(fileId)}`, undefined, signal);
    const url = (res.file as { download_url?: unknown } | undefined)?.download_url;
    if (typeof url !== 'string' || url === '') throw new ProviderError('upstream_error', `MiniMax returned no download_url for the file (${this.host})`, true);
    return url;
  }

  /**
   * Streams the finished video. The URL comes from MiniMax but points at a CDN we do not control,
   * so it goes through `safeStream` (vetted addresses, pinned DNS, byte cap, idle timeout). URLs
   * expire (1 h today, 9 h in older docs): a 403/404/410 means "ask for a fresh one".
   */
  async download(fileId: string, signal: AbortSignal): Promise<Readable> {
    for (let i = 0; i < DOWNLOAD_URL_TRIES; i++) {
      const url = await this.downloadUrl(fileId, signal);
      let res;
      try {
        res = await safeStream({
          url,
          policy: this.o.downloadPolicy,
          headersTimeoutMs: this.o.timeoutMs,
          idleTimeoutMs: this.o.timeoutMs,
          maxBytes: this.o.maxVideoBytes ?? 1 << 30,
          maxRedirects: 3,
          signal,
        });
      } catch (err) {
        if (signal.aborted) throw err;
        if (err instanceof FetchFailure) throw new ProviderError('upstream_error', `Downloading the MiniMax video failed: ${err.message}`, true);
        throw new ProviderError('upstream_error', `MiniMax's download URL was refused: ${(err as Error).message}`, true);
      }
      if (res.status === 200) return res.body;
      res.body.destroy();
      if (!EXPIRED_URL_STATUSES.has(res.status)) throw new ProviderError('upstream_error', `Downloading the MiniMax video answered HTTP ${res.status}`, true);
      this.o.log.info({ fileId, status: res.status }, 'MiniMax download URL expired; resolving a fresh one');
    }
    throw new ProviderError('upstream_error', `MiniMax download URLs kept failing (${DOWNLOAD_URL_TRIES} fresh URLs)`, true);
  }

  typicalMs(model: ModelSpec): number {
    return this.o.typicalMs(model);
  }

  costUsd(model: string, resolution: string, durationSeconds: number, imageToVideo?: boolean): number | null {
    return costOf(this.o.costs ?? MINIMAX_COSTS.table, model, resolution, durationSeconds, imageToVideo);
  }

  /**
   * While MiniMax calls back, polling is only the fallback for a lost callback: the schedule runs
   * as for a model twice as slow (first poll at 1.8 × typical: 324 s for standard, past nearly
   * every generation), so a job normally costs the one poll its callback asks for.
   */
  nextPollDelayMs(model: ModelSpec, pollsSoFar: number): number {
    const callbacksOn = this.o.callbackUrl !== null && Date.now() >= this.callbackOffUntil;
    return pollDelayMs(this.o.typicalMs(model) * (callbacksOn ? CALLBACK_FALLBACK_STRETCH : 1), pollsSoFar, this.schedule);
  }

  /**
   * MiniMax's callback: `{"challenge": …}` during create (echo it, within 3 s), then the task's
   * status on every change. Callbacks are unsigned, so a status is only a hint to poll.
   */
  parseCallback(body: unknown): CallbackMessage {
    if (!body || typeof body !== 'object') return { kind: 'ignored' };
    const b = body as Record<string, unknown>;
    if (typeof b.challenge === 'string' || typeof b.challenge === 'number') return { kind: 'challenge', reply: { challenge: b.challenge } };
    if ((typeof b.task_id === 'string' && b.task_id !== '') || typeof b.task_id === 'number') return { kind: 'hint', taskId: String(b.task_id) };
    return { kind: 'ignored' };
  }
}

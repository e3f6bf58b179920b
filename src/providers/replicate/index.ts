/**
 * Replicate's predictions API as a `RemoteProvider` for the Hailuo 2.3 family: create a
 * prediction on the official model, poll it, stream its output (deleted after an hour, so copied
 * at once), cancel, and verify its Standard Webhooks signatures. Protocol facts:
 * reference/upstream-aggregators.md §3.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ModelSpec } from '../../catalog/index.js';
import { aggregatorPollDelay, endpointVariant, SigningKeyCache, verifyWithKey, I2V_DEFAULT_PROMPT, imageRef, modelIdOf, type AggregatorOptions, type EndpointVariant } from '../aggregator.js';
import { costOf } from '../costs.js';
import { ProviderError, type CallbackHeaders, type CallbackMessage, type ProviderJob, type RemoteProvider, type UpstreamStatus } from '../types.js';
import { asObject, freshTimestamp, header, noTaskId, streamVideo, UpstreamClient, type Json } from '../upstream.js';
import { judge, outputUrl, taskStatus, type Prediction } from './codes.js';

export { REPLICATE_COSTS } from './costs.js';
export { judge as replicateJudge, taskStatus as replicateTaskStatus } from './codes.js';

/**
 * Official models (no version pin): resolution is a field, not an endpoint. `minimax/hailuo-2.3`
 * is P; `minimax/hailuo-2.3-fast` is S (UNCONFIRMED: correctable with REELAY_UPSTREAM_MODEL_IDS,
 * and a wrong one is a 404 at submit that names the path).
 */
export const REPLICATE_MODEL_IDS: Readonly<Record<EndpointVariant, string>> = {
  't2v-768p': 'minimax/hailuo-2.3',
  't2v-1080p': 'minimax/hailuo-2.3',
  'i2v-768p': 'minimax/hailuo-2.3',
  'i2v-1080p': 'minimax/hailuo-2.3',
  'fast-768p': 'minimax/hailuo-2.3-fast',
  'fast-1080p': 'minimax/hailuo-2.3-fast',
};

/** One webhook per prediction, at its end: `start`/`output`/`logs` would only be more hints to poll. */
const WEBHOOK_EVENTS = ['completed'];
const SECRET_TTL_MS = 3_600_000;

/**
 * @example
 * const rep = new ReplicateProvider({ apiKey: process.env.REPLICATE_API_TOKEN, baseUrl: 'https://api.replicate.com/v1', … });
 */
export class ReplicateProvider implements RemoteProvider {
  readonly kind = 'remote';
  readonly name = 'replicate';
  readonly maxJobsInFlight: number;
  private readonly client: UpstreamClient;
  /** The account's signing key, fetched when first needed. */
  private readonly secret = new SigningKeyCache(() => this.fetchSigningKey(), SECRET_TTL_MS);

  constructor(private readonly o: AggregatorOptions) {
    this.client = new UpstreamClient({ label: 'Replicate', budget: o.budget, timeoutMs: o.timeoutMs, headers: { authorization: `Bearer ${o.apiKey}` }, judge });
    this.maxJobsInFlight = 4 * o.budget.limits.maxConcurrent;
  }

  private url(path: string): string {
    return `${this.o.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  /** `{input, webhook?}`: `prompt` always (required), `first_frame_image`, integer `duration`, lower-case `resolution`. */
  async createBody(job: ProviderJob): Promise<Json> {
    const input: Json = {
      prompt: job.prompt.trim() !== '' ? job.prompt : I2V_DEFAULT_PROMPT,
      duration: job.durationSeconds,
      resolution: job.resolution,
      prompt_optimizer: job.promptOptimizer,
    };
    if (job.image) input.first_frame_image = await imageRef(this.o, job.image);
    const body: Json = { input };
    if (this.o.callbackUrl) Object.assign(body, { webhook: this.o.callbackUrl, webhook_events_filter: WEBHOOK_EVENTS });
    return body;
  }

  async submit(job: ProviderJob, signal: AbortSignal): Promise<{ taskId: string }> {
    const id = modelIdOf('Replicate', REPLICATE_MODEL_IDS, this.o.modelIds, endpointVariant(job));
    const a = await this.client.call('submit', 'submit', 'POST', this.url(`/models/${id}/predictions`), await this.createBody(job), signal);
    const taskId = asObject(a.json)?.id;
    if (typeof taskId !== 'string' || taskId === '') throw noTaskId('Replicate', 'id');
    return { taskId };
  }

  private async prediction(taskId: string, phase: 'poll' | 'retrieve', signal: AbortSignal): Promise<Prediction> {
    const a = await this.client.call('status', phase, 'GET', this.url(`/predictions/${encodeURIComponent(taskId)}`), undefined, signal);
    return asObject(a.json) ?? {};
  }

  async poll(taskId: string, signal: AbortSignal): Promise<UpstreamStatus> {
    return taskStatus(await this.prediction(taskId, 'poll', signal));
  }

  async download(taskId: string, signal: AbortSignal): Promise<Readable> {
    return streamVideo({
      label: 'Replicate',
      freshUrl: async (s) => outputUrl(await this.prediction(taskId, 'retrieve', s)),
      policy: this.o.downloadPolicy,
      timeoutMs: this.o.timeoutMs,
      maxBytes: this.o.maxVideoBytes ?? 1 << 30,
      log: this.o.log,
      signal,
    });
  }

  /** A canceled prediction is billed; only `aborted` (never started) is free. */
  async cancel(taskId: string, signal: AbortSignal): Promise<void> {
    await this.client.call('status', 'cancel', 'POST', this.url(`/predictions/${encodeURIComponent(taskId)}/cancel`), undefined, signal);
  }

  typicalMs(model: ModelSpec): number {
    return this.o.typicalMs(model);
  }

  nextPollDelayMs(model: ModelSpec, pollsSoFar: number): number {
    return aggregatorPollDelay(this.o, model, pollsSoFar);
  }

  costUsd(model: string, resolution: string, durationSeconds: number, imageToVideo?: boolean): number | null {
    return costOf(this.o.costs, model, resolution, durationSeconds, imageToVideo);
  }

  /** The account's signing key: `whsec_` stripped and base64-decoded (Standard Webhooks). */
  private async fetchSigningKey(): Promise<Buffer> {
    const a = await this.client.call('status', 'retrieve', 'GET', this.url('/webhooks/default/secret'), undefined, AbortSignal.timeout(this.o.timeoutMs));
    const key = asObject(a.json)?.key;
    if (typeof key !== 'string' || !key.startsWith('whsec_')) throw new ProviderError('upstream_error', 'Replicate returned no webhook signing key (whsec_…)', true);
    return Buffer.from(key.slice('whsec_'.length), 'base64');
  }

  /**
   * Standard Webhooks: `webhook-signature` is a space-separated list of `v1,<base64>`, each an
   * HMAC-SHA256 of `{id}.{timestamp}.{raw body}`; the timestamp must be within 5 min (the SDKs
   * leave that check to us).
   */
  async verifyCallback(raw: string, headers: CallbackHeaders): Promise<boolean> {
    const id = header(headers, 'webhook-id');
    const ts = header(headers, 'webhook-timestamp');
    const sig = header(headers, 'webhook-signature');
    if (!id || !ts || !sig || !freshTimestamp(ts)) return false;
    const given = sig.split(' ').filter((p) => p.startsWith('v1,')).map((p) => Buffer.from(p.slice(3), 'base64'));
    if (given.length === 0) return false;
    const check = (key: Buffer): boolean => {
      const want = createHmac('sha256', key).update(`${id}.${ts}.${raw}`).digest();
      return given.some((g) => g.length === want.length && timingSafeEqual(g, want));
    };
    return verifyWithKey((fresh) => this.secret.get(fresh), check, this.o.log, 'Replicate');
  }

  /** The body is the prediction: a hint to poll it. */
  parseCallback(body: unknown): CallbackMessage {
    const id = asObject(body)?.id;
    return typeof id === 'string' && id !== '' ? { kind: 'hint', taskId: id } : { kind: 'ignored' };
  }
}

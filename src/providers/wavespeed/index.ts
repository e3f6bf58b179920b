/**
 * WaveSpeedAI's REST API v3 as a `RemoteProvider` for the Hailuo 2.3 family: submit to the
 * variant's endpoint, poll the prediction's result, stream its output, cancel by DELETE, and
 * verify its `v3` HMAC webhooks. Protocol facts: reference/upstream-aggregators.md §1.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ModelSpec } from '../../catalog/index.js';
import { aggregatorPollDelay, endpointVariant, SigningKeyCache, verifyWithKey, imageRef, modelIdOf, withQuery, type AggregatorOptions, type EndpointVariant } from '../aggregator.js';
import { costOf } from '../costs.js';
import { ProviderError, type CallbackHeaders, type CallbackMessage, type ProviderJob, type RemoteProvider, type UpstreamStatus } from '../types.js';
import { asObject, freshTimestamp, header, noTaskId, streamVideo, UpstreamClient, type Json } from '../upstream.js';
import { judge, outputUrl, taskStatus, type Prediction } from './codes.js';

export { WAVESPEED_COSTS } from './costs.js';
export { judge as wavespeedJudge, taskStatus as wavespeedTaskStatus } from './codes.js';

/**
 * Endpoint ids. The family is P (hub page: six endpoints), the exact strings S (the documented
 * pattern for Hailuo 02 and several catalogues): UNCONFIRMED, so correctable per variant with
 * REELAY_UPSTREAM_MODEL_IDS; a wrong one is a 404 at submit that names the path.
 */
export const WAVESPEED_MODEL_IDS: Readonly<Record<EndpointVariant, string>> = {
  't2v-768p': 'minimax/hailuo-2.3/t2v-standard',
  't2v-1080p': 'minimax/hailuo-2.3/t2v-pro',
  'i2v-768p': 'minimax/hailuo-2.3/i2v-standard',
  'i2v-1080p': 'minimax/hailuo-2.3/i2v-pro',
  'fast-768p': 'minimax/hailuo-2.3/fast',
  'fast-1080p': 'minimax/hailuo-2.3/fast-pro',
};

/**
 * UNCONFIRMED (U): the docs give the duration values (6, 10), not their JSON type. Sent as a
 * number like MiniMax's; if WaveSpeed wants a string it answers 1401 naming `duration`, which
 * fails the job with that message.
 */
export const WAVESPEED_DURATION_AS_STRING = false;

/** How long a fetched webhook secret is trusted before it is fetched again (rotation). */
const SECRET_TTL_MS = 3_600_000;

/**
 * @example
 * const ws = new WavespeedProvider({ apiKey, baseUrl: 'https://api.wavespeed.ai', … });
 * const { taskId } = await ws.submit(job, signal);
 */
export class WavespeedProvider implements RemoteProvider {
  readonly kind = 'remote';
  readonly name = 'wavespeed';
  readonly maxJobsInFlight: number;
  private readonly client: UpstreamClient;
  /** The account's webhook secret (`whsec_…`), fetched when first needed. */
  private readonly secret = new SigningKeyCache(() => this.fetchWebhookSecret(), SECRET_TTL_MS);

  constructor(private readonly o: AggregatorOptions) {
    this.client = new UpstreamClient({ label: 'WaveSpeed', budget: o.budget, timeoutMs: o.timeoutMs, headers: { authorization: `Bearer ${o.apiKey}` }, judge });
    this.maxJobsInFlight = 4 * o.budget.limits.maxConcurrent;
  }

  private url(path: string): string {
    return `${this.o.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  /** The submit body: `image` for the first frame, `duration` only where the endpoint takes one, `enable_prompt_expansion` for MiniMax's `prompt_optimizer`. */
  async createBody(job: ProviderJob): Promise<Json> {
    const body: Json = { enable_prompt_expansion: job.promptOptimizer };
    if (job.prompt.trim() !== '') body.prompt = job.prompt;
    if (job.image) body.image = await imageRef(this.o, job.image);
    // Pro endpoints are fixed at 1080p/6 s and take no duration.
    if (job.resolution !== '1080p') body.duration = WAVESPEED_DURATION_AS_STRING ? String(job.durationSeconds) : job.durationSeconds;
    return body;
  }

  async submit(job: ProviderJob, signal: AbortSignal): Promise<{ taskId: string }> {
    const id = modelIdOf('WaveSpeed', WAVESPEED_MODEL_IDS, this.o.modelIds, endpointVariant(job));
    let url = this.url(`/api/v3/${id}`);
    if (this.o.callbackUrl) url = withQuery(url, 'webhook', this.o.callbackUrl);
    const a = await this.client.call('submit', 'submit', 'POST', url, await this.createBody(job), signal);
    const taskId = asObject(asObject(a.json)?.data)?.id;
    if (typeof taskId !== 'string' || taskId === '') throw noTaskId('WaveSpeed', 'data.id');
    return { taskId };
  }

  private async prediction(taskId: string, phase: 'poll' | 'retrieve', signal: AbortSignal): Promise<Prediction> {
    const a = await this.client.call('status', phase, 'GET', this.url(`/api/v3/predictions/${encodeURIComponent(taskId)}/result`), undefined, signal);
    const data = asObject(asObject(a.json)?.data);
    if (!data) throw new ProviderError('upstream_error', 'WaveSpeed answered the result call without a data object', true);
    return data;
  }

  async poll(taskId: string, signal: AbortSignal): Promise<UpstreamStatus> {
    return taskStatus(await this.prediction(taskId, 'poll', signal));
  }

  /** Outputs stay 7 days, but the URL is re-read from a fresh result call on every try anyway. */
  async download(taskId: string, signal: AbortSignal): Promise<Readable> {
    return streamVideo({
      label: 'WaveSpeed',
      freshUrl: async (s) => outputUrl(await this.prediction(taskId, 'retrieve', s)),
      policy: this.o.downloadPolicy,
      timeoutMs: this.o.timeoutMs,
      maxBytes: this.o.maxVideoBytes ?? 1 << 30,
      log: this.o.log,
      signal,
    });
  }

  /** "Cancel or delete" is one endpoint; a running task may not stop at once (and may be partly refunded). */
  async cancel(taskId: string, signal: AbortSignal): Promise<void> {
    await this.client.call('status', 'cancel', 'DELETE', this.url(`/api/v3/predictions/${encodeURIComponent(taskId)}`), undefined, signal);
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

  private async fetchWebhookSecret(): Promise<string> {
    const a = await this.client.call('status', 'retrieve', 'GET', this.url('/api/v3/webhook/secret'), undefined, AbortSignal.timeout(this.o.timeoutMs));
    const value = asObject(asObject(a.json)?.data)?.secret;
    if (typeof value !== 'string' || !value.startsWith('whsec_')) throw new ProviderError('upstream_error', 'WaveSpeed returned no data.secret (whsec_…) for webhooks', true);
    return value;
  }

  /**
   * `webhook-signature: v3,<hex>`: HMAC-SHA256 over `{id}.{timestamp}.{raw body}`, keyed with the
   * secret minus `whsec_` as raw UTF-8 (not base64-decoded, unlike Standard Webhooks), within 5 min.
   */
  async verifyCallback(raw: string, headers: CallbackHeaders): Promise<boolean> {
    const id = header(headers, 'webhook-id');
    const ts = header(headers, 'webhook-timestamp');
    const sig = header(headers, 'webhook-signature');
    if (!id || !ts || !sig || !freshTimestamp(ts)) return false;
    const given = sig.split(' ').filter((p) => p.startsWith('v3,')).map((p) => Buffer.from(p.slice(3), 'hex'));
    if (given.length === 0) return false;
    const check = (secret: string): boolean => {
      const want = createHmac('sha256', secret.replace(/^whsec_/, '')).update(`${id}.${ts}.${raw}`).digest();
      return given.some((g) => g.length === want.length && timingSafeEqual(g, want));
    };
    return verifyWithKey((fresh) => this.secret.get(fresh), check, this.o.log, 'WaveSpeed');
  }

  /** The body is the bare prediction object; it only makes the task's job poll now. */
  parseCallback(body: unknown): CallbackMessage {
    const id = asObject(body)?.id;
    return typeof id === 'string' && id !== '' ? { kind: 'hint', taskId: id } : { kind: 'ignored' };
  }
}

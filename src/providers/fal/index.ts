/**
 * fal.ai's queue API as a `RemoteProvider` for the Hailuo 2.3 family: submit to the variant's
 * endpoint, read the queue status, let the RESULT decide success (failures also end `COMPLETED`),
 * stream `video.url`, cancel, and verify its ED25519 webhooks against the JWKS key set.
 * Protocol facts: reference/upstream-aggregators.md §2.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ModelSpec } from '../../catalog/index.js';
import { aggregatorPollDelay, endpointVariant, SigningKeyCache, verifyWithKey, I2V_DEFAULT_PROMPT, imageRef, modelIdOf, withQuery, type AggregatorOptions, type EndpointVariant } from '../aggregator.js';
import { costOf } from '../costs.js';
import { ProviderError, type CallbackHeaders, type CallbackMessage, type ProviderJob, type RemoteProvider, type UpstreamStatus } from '../types.js';
import { asObject, freshTimestamp, header, noTaskId, streamVideo, UpstreamClient, type Json } from '../upstream.js';
import { judge, queueStatus, videoUrl } from './codes.js';

export { FAL_COSTS } from './costs.js';
export { judge as falJudge } from './codes.js';

/** Endpoint ids: all six P (fal-js endpoint map and each model's page). */
export const FAL_MODEL_IDS: Readonly<Record<EndpointVariant, string>> = {
  't2v-768p': 'fal-ai/minimax/hailuo-2.3/standard/text-to-video',
  't2v-1080p': 'fal-ai/minimax/hailuo-2.3/pro/text-to-video',
  'i2v-768p': 'fal-ai/minimax/hailuo-2.3/standard/image-to-video',
  'i2v-1080p': 'fal-ai/minimax/hailuo-2.3/pro/image-to-video',
  'fast-768p': 'fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video',
  'fast-1080p': 'fal-ai/minimax/hailuo-2.3-fast/pro/image-to-video',
};

/** Where fal publishes its webhook signing keys (S); FAL_JWKS_URL overrides it. */
export const FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';
/** fal's guidance: cache the key set at most 24 h. */
const JWKS_TTL_MS = 24 * 3_600_000;

export interface FalOptions extends AggregatorOptions {
  /** The webhook key set (JWKS, Ed25519 `OKP` keys). */
  jwksUrl: string;
}

/**
 * Status, result and cancel live under `<owner>/<app>` only, without the model's sub-path (fal-js
 * `parseEndpointId`): `fal-ai/minimax/hailuo-2.3/...` → `fal-ai/minimax`.
 */
export function falApp(modelId: string): string {
  return modelId.split('/').slice(0, 2).join('/');
}

/**
 * @example
 * const fal = new FalProvider({ apiKey: process.env.FAL_KEY, baseUrl: 'https://queue.fal.run', jwksUrl: FAL_JWKS_URL, … });
 */
export class FalProvider implements RemoteProvider {
  readonly kind = 'remote';
  readonly name = 'fal';
  readonly maxJobsInFlight: number;
  private readonly client: UpstreamClient;
  /** The one `<owner>/<app>` every variant lives under: the task id is fal's bare request id. */
  private readonly app: string;
  /** fal's public keys, cached up to 24 h. */
  private readonly keys = new SigningKeyCache(() => this.fetchPublicKeys(), JWKS_TTL_MS);

  constructor(private readonly o: FalOptions) {
    this.client = new UpstreamClient({ label: 'fal', budget: o.budget, timeoutMs: o.timeoutMs, headers: { authorization: `Key ${o.apiKey}` }, judge });
    this.maxJobsInFlight = 4 * o.budget.limits.maxConcurrent;
    const apps = new Set(Object.keys(FAL_MODEL_IDS).map((v) => falApp(modelIdOf('fal', FAL_MODEL_IDS, o.modelIds, v as EndpointVariant))));
    if (apps.size !== 1) throw new Error(`fal model ids must share one <owner>/<app> (got ${[...apps].join(', ')}): the request id alone names a task`);
    this.app = [...apps][0]!;
  }

  private url(path: string): string {
    return `${this.o.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  private requestUrl(id: string, suffix = ''): string {
    return this.url(`/${this.app}/requests/${encodeURIComponent(id)}${suffix}`);
  }

  /** The input: `prompt` always (required even for image-to-video), `image_url`, `duration` as a STRING on standard endpoints only. */
  async createBody(job: ProviderJob): Promise<Json> {
    const body: Json = { prompt: job.prompt.trim() !== '' ? job.prompt : I2V_DEFAULT_PROMPT, prompt_optimizer: job.promptOptimizer };
    if (job.image) body.image_url = await imageRef(this.o, job.image);
    if (job.resolution !== '1080p') body.duration = String(job.durationSeconds);
    return body;
  }

  async submit(job: ProviderJob, signal: AbortSignal): Promise<{ taskId: string }> {
    const id = modelIdOf('fal', FAL_MODEL_IDS, this.o.modelIds, endpointVariant(job));
    let url = this.url(`/${id}`);
    if (this.o.callbackUrl) url = withQuery(url, 'fal_webhook', this.o.callbackUrl);
    const a = await this.client.call('submit', 'submit', 'POST', url, await this.createBody(job), signal);
    const res = asObject(a.json) ?? {};
    const requestId = res.request_id;
    if (typeof requestId !== 'string' || requestId === '') throw noTaskId('fal', 'request_id');
    // fal says to use the URLs it returns; we rebuild them from the request id, so check they agree.
    const statusUrl = typeof res.status_url === 'string' ? res.status_url : '';
    const statusPath = statusUrl ? URL.parse(statusUrl)?.pathname ?? '(unparsable)' : '';
    if (statusUrl && statusPath !== new URL(this.requestUrl(requestId, '/status')).pathname) {
      // Our key goes only to our configured host.
      const cancelUrl = typeof res.cancel_url === 'string' ? URL.parse(res.cancel_url) : null;
      if (cancelUrl && cancelUrl.origin === new URL(this.o.baseUrl).origin) await this.client.send('status', 'PUT', cancelUrl.href, undefined, signal).catch(() => undefined);
      // Every job of this model would meet the same: fal rests and the job moves on. The request
      // was made (the cancel is best effort), so the create is kept as one of unknown outcome. The
      // path is named up to the request id: the job's message is the customer's to read.
      const under = (statusPath.split('/requests/')[0] || statusPath).replace(/^\//, '');
      throw new ProviderError(
        'provider_unavailable',
        `fal answered with a status URL under ${under}, not under ${this.app}: the <owner>/<app> rule does not hold for this model, and the request was cancelled. Operator: set its id in REELAY_UPSTREAM_MODEL_IDS (docs/providers.md)`,
        false,
        { markUnhealthy: true, ambiguous: true },
      );
    }
    return { taskId: requestId };
  }

  async poll(taskId: string, signal: AbortSignal): Promise<UpstreamStatus> {
    const a = await this.client.call('status', 'poll', 'GET', this.requestUrl(taskId, '/status'), undefined, signal);
    const status = queueStatus(a.json);
    if (status === 'IN_QUEUE') return { state: 'queued' };
    if (status === 'IN_PROGRESS') return { state: 'running' };
    return this.outcome(taskId, asObject(a.json) ?? {}, signal);
  }

  /** `COMPLETED` means "ended": the result's HTTP status says how. */
  private async outcome(taskId: string, status: Json, signal: AbortSignal): Promise<UpstreamStatus> {
    const r = await this.client.send('status', 'GET', this.requestUrl(taskId), undefined, signal);
    if (r.status >= 200 && r.status < 300) {
      videoUrl(r.json);
      return { state: 'succeeded', fileRef: taskId };
    }
    const e = judge(r, 'poll');
    if (!e) return { state: 'failed', code: 'upstream_error', message: `fal answered the result with HTTP ${r.status}` };
    if (e.opts.rateLimited) await this.client.block('status', e);
    const statusSaysFailed = typeof status.error === 'string' || typeof status.error_type === 'string';
    // A 5xx on a request whose status carries no error is the gateway's trouble: ask again.
    if (e.retryable && !(r.status >= 500 && statusSaysFailed)) throw e;
    const why = typeof status.error === 'string' ? ` (${status.error})` : '';
    return { state: 'failed', code: e.code === 'upstream_auth' || e.code === 'provider_balance' ? 'upstream_error' : e.code, message: `${e.message}${why}` };
  }

  /** The result is kept 1 h after completion; `video.url` is re-read from it on every try. */
  async download(taskId: string, signal: AbortSignal): Promise<Readable> {
    return streamVideo({
      label: 'fal',
      freshUrl: async (s) => videoUrl((await this.client.call('status', 'retrieve', 'GET', this.requestUrl(taskId), undefined, s)).json),
      policy: this.o.downloadPolicy,
      timeoutMs: this.o.timeoutMs,
      maxBytes: this.o.maxVideoBytes ?? 1 << 30,
      log: this.o.log,
      signal,
    });
  }

  /** Removes a queued request; a running one gets a signal and "the model app decides" (assume it is billed). */
  async cancel(taskId: string, signal: AbortSignal): Promise<void> {
    await this.client.call('status', 'cancel', 'PUT', this.requestUrl(taskId, '/cancel'), undefined, signal);
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

  private async fetchPublicKeys(): Promise<KeyObject[]> {
    const res = await fetch(this.o.jwksUrl, { signal: AbortSignal.timeout(this.o.timeoutMs) });
    if (!res.ok) throw new Error(`fal JWKS ${this.o.jwksUrl} answered HTTP ${res.status}`);
    const keys = asObject(await res.json())?.keys;
    const list = (Array.isArray(keys) ? keys : [])
      .map((k) => asObject(k))
      .filter((k): k is Json => k?.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string')
      .map((k) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: String(k.x) }, format: 'jwk' }));
    if (list.length === 0) throw new Error(`fal JWKS ${this.o.jwksUrl} holds no Ed25519 key`);
    return list;
  }

  /**
   * ED25519 over `request_id \n user_id \n timestamp \n sha256_hex(body)`, hex signature, any key
   * of the set, within 5 min. The scheme is UNCONFIRMED (S): a mismatch refuses the webhook
   * (401) and polling carries the job, so a wrong guess costs lag, never a wrong result.
   */
  async verifyCallback(raw: string, headers: CallbackHeaders): Promise<boolean> {
    const reqId = header(headers, 'x-fal-webhook-request-id');
    const userId = header(headers, 'x-fal-webhook-user-id');
    const ts = header(headers, 'x-fal-webhook-timestamp');
    const sig = header(headers, 'x-fal-webhook-signature');
    if (!reqId || !userId || !ts || !sig || !/^[0-9a-f]+$/i.test(sig) || !freshTimestamp(ts)) return false;
    const message = Buffer.from(`${reqId}\n${userId}\n${ts}\n${createHash('sha256').update(raw).digest('hex')}`);
    const signature = Buffer.from(sig, 'hex');
    const check = (keys: KeyObject[]): boolean => keys.some((k) => verify(null, message, k, signature));
    return verifyWithKey((fresh) => this.keys.get(fresh), check, this.o.log, 'fal');
  }

  /** `{request_id, status: OK|ERROR, payload}`: a hint to poll; the result call decides. */
  parseCallback(body: unknown): CallbackMessage {
    const id = asObject(body)?.request_id;
    return typeof id === 'string' && id !== '' ? { kind: 'hint', taskId: id } : { kind: 'ignored' };
  }
}

/**
 * What the three aggregator adapters (WaveSpeed, fal, Replicate) are built from: the same options,
 * the same six endpoint variants of the Hailuo 2.3 family (reference/upstream-aggregators.md §0),
 * the image as a URL the upstream can fetch, and MiniMax's poll schedule.
 */
import { buffer } from 'node:stream/consumers';
import type { ModelSpec } from '../catalog/index.js';
import type { Logger } from '../log.js';
import type { UrlPolicy } from '../net/index.js';
import type { BlobStore } from '../storage/index.js';
import type { ProviderBudget } from './budget.js';
import type { CostTable } from './costs.js';
import { pollDelayMs, DEFAULT_POLL_SCHEDULE, type PollSchedule } from './minimax/schedule.js';
import { ProviderError, type ProviderJob } from './types.js';

/** The six upstream endpoints (or, on Replicate, model + resolution) of the family. */
export const ENDPOINT_VARIANTS = ['t2v-768p', 't2v-1080p', 'i2v-768p', 'i2v-1080p', 'fast-768p', 'fast-1080p'] as const;
export type EndpointVariant = (typeof ENDPOINT_VARIANTS)[number];

export interface AggregatorOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  budget: ProviderBudget;
  /** Where job inputs live: the first-frame image is sent from our stored copy. */
  blobs: BlobStore;
  /**
   * A URL the upstream can fetch our stored copy of the input image from (signed, expiring), or
   * null when Reelay has no PUBLIC_URL: the image then goes inline as a data URI.
   */
  imageUrl: (key: string) => string | null;
  /** Reelay's callback endpoint for this provider, when PUBLIC_URL makes us reachable; null polls only. */
  callbackUrl: string | null;
  typicalMs: (model: ModelSpec) => number;
  poll?: Partial<PollSchedule>;
  downloadPolicy: UrlPolicy;
  /** Largest video accepted: 10 s of 1080p Hailuo is ~10-30 MB; 1 GiB is a runaway, not a video. */
  maxVideoBytes?: number;
  /** USD per variant (defaults with the operator's overrides). */
  costs: CostTable;
  /** The operator's corrections of upstream model ids (config `upstreamModelIds`). */
  modelIds?: Readonly<Record<string, string>>;
  log: Logger;
}

/**
 * The prompt sent when an image-to-video request has none and the upstream requires one (fal,
 * Replicate). MiniMax treats an absent prompt as "animate the image naturally"; this says that.
 */
export const I2V_DEFAULT_PROMPT = 'Animate this image with natural, subtle motion.';

/** How much later the poll schedule runs while the upstream calls back (polling is the fallback). */
const CALLBACK_FALLBACK_STRETCH = 2;

export function endpointVariant(job: ProviderJob): EndpointVariant {
  const res = job.resolution === '1080p' ? '1080p' : '768p';
  if (job.model.id === 'hailuo-2.3-fast') return `fast-${res}`;
  return job.image ? `i2v-${res}` : `t2v-${res}`;
}

/**
 * The upstream id of a variant: the operator's correction, else the adapter's default. Unknown
 * variants are a bug here, not the caller's fault.
 */
export function modelIdOf(label: string, defaults: Readonly<Record<EndpointVariant, string>>, overrides: Readonly<Record<string, string>> | undefined, v: EndpointVariant): string {
  const id = overrides?.[v] ?? defaults[v];
  if (!id) throw new ProviderError('internal', `${label} has no model id for ${v}`, false);
  return id;
}

/** The first-frame image as the upstream will get it: our signed URL, else a data URI of the stored copy. */
export async function imageRef(o: AggregatorOptions, image: NonNullable<ProviderJob['image']>): Promise<string> {
  const url = o.imageUrl(image.key);
  if (url) return url;
  // Inputs are capped at 20 MB when accepted, so reading one whole is bounded.
  const bytes = await buffer(await o.blobs.read(image.key));
  return `data:${image.mime};base64,${bytes.toString('base64')}`;
}

/**
 * MiniMax's schedule (schedule.ts: first poll at 0.9 × typical, every 0.045 × typical to 1.4 ×
 * typical, then backing off) with the aggregators' 5 s floor and 30 s ceiling
 * (`REELAY_UPSTREAM_POLL_*`), so a 180 s task is asked at 162, 170.1, 178.2 … s and a Fast one
 * (90 s) at 81, 86, 91 … s. While
 * webhooks are on it runs as for a model twice as slow: the first poll at 1.8 × typical is past
 * nearly every completion, so a job costs the one poll its webhook asks for, and a lost webhook
 * is still noticed.
 */
export function aggregatorPollDelay(o: AggregatorOptions, model: ModelSpec, pollsSoFar: number): number {
  const s = { ...DEFAULT_POLL_SCHEDULE, ...o.poll };
  return pollDelayMs(o.typicalMs(model) * (o.callbackUrl ? CALLBACK_FALLBACK_STRETCH : 1), pollsSoFar, s);
}

/** `url` with `name=value` added to its query. */
export function withQuery(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.href;
}


/** How long after a fetch (ok or failed) a failed check may fetch the key again. */
const KEY_REFETCH_MS = 60_000;

/**
 * A webhook signing key the upstream rotates: kept `ttlMs`, fetched again early only for a failed
 * check and at most once a minute, one fetch at a time. Forged webhooks once cost a fetch each:
 * a burst arriving before the first fetch returned started one apiece, and while the key endpoint
 * failed nothing was cached, so every check fetched again.
 *
 * @example
 * const keys = new SigningKeyCache(() => fetchSecret(), 3_600_000);
 * const key = await keys.get(false);
 */
export class SigningKeyCache<K> {
  private cached: { value: K; at: number } | null = null;
  private fetchedAt = -Infinity;
  private inflight: Promise<K> | null = null;

  constructor(
    private readonly fetchKey: () => Promise<K>,
    private readonly ttlMs: number,
  ) {}

  /** The cached key, or a fetched one when it is stale or `refresh` asks (not within a minute of the last fetch). */
  async get(refresh: boolean): Promise<K> {
    const age = this.cached ? Date.now() - this.cached.at : Infinity;
    if (this.cached && age < this.ttlMs && (!refresh || age < KEY_REFETCH_MS)) return this.cached.value;
    if (this.inflight) return this.inflight;
    if (Date.now() - this.fetchedAt < KEY_REFETCH_MS) {
      if (this.cached) return this.cached.value;
      throw new Error('the signing key could not be fetched less than a minute ago');
    }
    this.fetchedAt = Date.now();
    this.inflight = this.fetchKey()
      .then((value) => {
        this.cached = { value, at: Date.now() };
        return value;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }
}

/**
 * A webhook check against a key the upstream rotates: the cached key first, then (the key may
 * have been rotated since we fetched it) a fresh one, once. A key that cannot be had refuses the
 * webhook (401) and polling carries the job. The three aggregators share this order.
 *
 * @example
 * return verifyWithKey((fresh) => this.signingKey(fresh), (key) => hmacMatches(key), this.o.log, 'Replicate');
 */
export async function verifyWithKey<K>(load: (fresh: boolean) => Promise<K>, check: (key: K) => boolean, log: AggregatorOptions['log'], label: string): Promise<boolean> {
  try {
    if (check(await load(false))) return true;
    return check(await load(true));
  } catch (err) {
    log.warn({ err: (err as Error).message }, `${label} webhook not verified: no signing key`);
    return false;
  }
}

/**
 * Builds the aggregator providers (WaveSpeed, fal, Replicate) the configuration has keys for,
 * each with its own call budget (shared by every process through the database, as MiniMax's) and
 * its cost table with the operator's overrides.
 */
import type { Config } from '../config.js';
import { loadUpstreamCosts } from '../catalog/index.js';
import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../storage/index.js';
import type { AggregatorOptions } from './aggregator.js';
import { ProviderBudget, type BudgetLimits } from './budget.js';
import { withOverrides, type CostBook } from './costs.js';
import { FalProvider, FAL_COSTS } from './fal/index.js';
import { ReplicateProvider, REPLICATE_COSTS } from './replicate/index.js';
import type { RemoteProvider } from './types.js';
import { WavespeedProvider, WAVESPEED_COSTS } from './wavespeed/index.js';

export type AggregatorName = 'wavespeed' | 'fal' | 'replicate';

/**
 * Default budgets, from each upstream's published limits (reference/upstream-aggregators.md):
 * WaveSpeed's default (Bronze) level allows 5 videos a minute; fal limits concurrency, not
 * requests, and queues the excess; Replicate allows 600 creates and 3000 other calls a minute.
 * Status limits for WaveSpeed and fal are not published: 120/min is MiniMax's figure.
 */
export const DEFAULT_BUDGETS: Readonly<Record<AggregatorName, { submitsPerWindow: number; statusCallsPerWindow: number; maxConcurrentCalls: number; windowMs: number }>> = {
  wavespeed: { submitsPerWindow: 5, statusCallsPerWindow: 120, maxConcurrentCalls: 8, windowMs: 60_000 },
  fal: { submitsPerWindow: 60, statusCallsPerWindow: 300, maxConcurrentCalls: 8, windowMs: 60_000 },
  replicate: { submitsPerWindow: 600, statusCallsPerWindow: 3000, maxConcurrentCalls: 8, windowMs: 60_000 },
};

export type AggregatorConfig = Pick<
  Config,
  | 'wavespeedApiKey'
  | 'wavespeedBaseUrl'
  | 'falKey'
  | 'falBaseUrl'
  | 'falJwksUrl'
  | 'replicateApiToken'
  | 'replicateBaseUrl'
  | 'upstreamTimeoutMs'
  | 'upstreamPollMinIntervalMs'
  | 'upstreamPollMaxIntervalMs'
  | 'providerBudgets'
  | 'upstreamModelIds'
  | 'modelTimings'
  | 'priceBookFile'
  | 'allowPrivateUrls'
  | 'allowHttpUrls'
>;

export interface AggregatorDeps {
  db: Db;
  blobs: BlobStore;
  log: Logger;
  /** Reelay's callback URL for a provider, or null (no PUBLIC_URL: poll only). */
  callbackUrl: (provider: string) => string | null;
  /** A signed URL of a stored input the upstream can fetch, or null (no PUBLIC_URL: data URI). */
  imageUrl: (key: string) => string | null;
  /** `spreadDue` from src/jobs (see createMinimax). */
  spreadDue?: (q: Queryable, provider: string, states: readonly string[], from: Date, spacingMs: number) => Promise<number>;
}

/** The names of the aggregators whose key is set, in route order. */
export function configuredAggregators(config: Pick<Config, 'wavespeedApiKey' | 'falKey' | 'replicateApiToken'>): AggregatorName[] {
  const out: AggregatorName[] = [];
  if (config.wavespeedApiKey) out.push('wavespeed');
  if (config.falKey) out.push('fal');
  if (config.replicateApiToken) out.push('replicate');
  return out;
}

function budgetOf(config: AggregatorConfig, deps: AggregatorDeps, name: AggregatorName): ProviderBudget {
  const b = { ...DEFAULT_BUDGETS[name], ...config.providerBudgets[name] };
  const limits: BudgetLimits = {
    windowMs: b.windowMs,
    perWindow: { submit: b.submitsPerWindow, status: b.statusCallsPerWindow },
    maxConcurrent: b.maxConcurrentCalls,
    callTtlMs: config.upstreamTimeoutMs * 2 + 5000,
  };
  const spreadDue = deps.spreadDue;
  return new ProviderBudget(
    deps.db,
    name,
    limits,
    spreadDue && ((q, bucket, from, spacingMs) => spreadDue(q, name, bucket === 'submit' ? ['queued', 'submitting'] : ['running', 'finalizing'], from, spacingMs)),
  );
}

/**
 * @example
 * for (const p of createAggregators(config, { db, blobs, log, callbackUrl: () => null, imageUrl: () => null })) registry.register(p);
 */
export function createAggregators(config: AggregatorConfig, deps: AggregatorDeps): RemoteProvider[] {
  const overrides = loadUpstreamCosts(config.priceBookFile);
  const common = (name: AggregatorName, apiKey: string, baseUrl: string, costs: CostBook): AggregatorOptions => ({
    apiKey,
    baseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    budget: budgetOf(config, deps, name),
    blobs: deps.blobs,
    imageUrl: deps.imageUrl,
    callbackUrl: deps.callbackUrl(name),
    typicalMs: (m) => (config.modelTimings[m.id]?.typicalSeconds ?? m.typicalSeconds) * 1000,
    poll: { minIntervalMs: config.upstreamPollMinIntervalMs, maxIntervalMs: Math.max(config.upstreamPollMinIntervalMs, config.upstreamPollMaxIntervalMs) },
    downloadPolicy: { allowPrivateNetworks: config.allowPrivateUrls, allowHttp: config.allowHttpUrls },
    costs: withOverrides(costs.table, overrides[name]),
    ...(config.upstreamModelIds[name] ? { modelIds: config.upstreamModelIds[name] } : {}),
    log: deps.log,
  });
  const out: RemoteProvider[] = [];
  if (config.wavespeedApiKey) out.push(new WavespeedProvider(common('wavespeed', config.wavespeedApiKey, config.wavespeedBaseUrl, WAVESPEED_COSTS)));
  if (config.falKey) out.push(new FalProvider({ ...common('fal', config.falKey, config.falBaseUrl, FAL_COSTS), jwksUrl: config.falJwksUrl }));
  if (config.replicateApiToken) out.push(new ReplicateProvider(common('replicate', config.replicateApiToken, config.replicateBaseUrl, REPLICATE_COSTS)));
  return out;
}

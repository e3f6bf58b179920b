import type { Config } from '../../config.js';
import type { Db, Queryable } from '../../db/index.js';
import type { Logger } from '../../log.js';
import type { BlobStore } from '../../storage/index.js';
import { loadUpstreamCosts } from '../../catalog/index.js';
import { ProviderBudget } from '../budget.js';
import { withOverrides } from '../costs.js';
import { MINIMAX_COSTS } from './costs.js';
import { MinimaxProvider } from './index.js';

export interface MinimaxDeps {
  db: Db;
  blobs: BlobStore;
  log: Logger;
  callbackUrl: string | null;
  /** `spreadDue` from src/jobs: reschedules a provider's due backlog when its budget is full. */
  spreadDue?: (q: Queryable, provider: string, states: readonly string[], from: Date, spacingMs: number) => Promise<number>;
}

export type MinimaxConfig = Pick<
  Config,
  | 'minimaxApiKey'
  | 'minimaxBaseUrl'
  | 'minimaxTimeoutMs'
  | 'minimaxSubmitsPerWindow'
  | 'minimaxStatusCallsPerWindow'
  | 'minimaxMaxConcurrentCalls'
  | 'minimaxBudgetWindowMs'
  | 'minimaxPollMinIntervalMs'
  | 'minimaxPollMaxIntervalMs'
  | 'modelTimings'
  | 'priceBookFile'
  | 'allowPrivateUrls'
  | 'allowHttpUrls'
>;

/**
 * The MiniMax provider the configuration asks for, or null without `MINIMAX_API_KEY` (live Hailuo
 * jobs are then refused at submit, before anything is charged).
 *
 * @example
 * const minimax = createMinimax(config, { db, blobs, log, callbackUrl: null });
 * if (minimax) registry.register(minimax);
 */
export function createMinimax(config: MinimaxConfig, deps: MinimaxDeps): MinimaxProvider | null {
  if (!config.minimaxApiKey) return null;
  const name = 'minimax';
  const spreadDue = deps.spreadDue;
  const budget = new ProviderBudget(
    deps.db,
    name,
    {
      windowMs: config.minimaxBudgetWindowMs,
      perWindow: { submit: config.minimaxSubmitsPerWindow, status: config.minimaxStatusCallsPerWindow },
      maxConcurrent: config.minimaxMaxConcurrentCalls,
      // A call holds its slot at most this long if its process dies mid-call.
      callTtlMs: config.minimaxTimeoutMs * 2 + 5000,
    },
    // Creates are spent by jobs about to be submitted; queries and files/retrieve by running and finalizing ones.
    spreadDue && ((q, bucket, from, spacingMs) => spreadDue(q, name, bucket === 'submit' ? ['queued', 'submitting'] : ['running', 'finalizing'], from, spacingMs)),
  );
  return new MinimaxProvider({
    apiKey: config.minimaxApiKey,
    baseUrl: config.minimaxBaseUrl,
    timeoutMs: config.minimaxTimeoutMs,
    budget,
    blobs: deps.blobs,
    callbackUrl: deps.callbackUrl,
    typicalMs: (m) => (config.modelTimings[m.id]?.typicalSeconds ?? m.typicalSeconds) * 1000,
    poll: { minIntervalMs: config.minimaxPollMinIntervalMs, maxIntervalMs: Math.max(config.minimaxPollMinIntervalMs, config.minimaxPollMaxIntervalMs) },
    downloadPolicy: { allowPrivateNetworks: config.allowPrivateUrls, allowHttp: config.allowHttpUrls },
    costs: withOverrides(MINIMAX_COSTS.table, loadUpstreamCosts(config.priceBookFile)[name]),
    log: deps.log,
  });
}

import { AppError } from '../errors.js';
import type { KeyMode } from '../billing/index.js';
import type { VideoProvider } from './types.js';
import { ProviderHealth, type Cooldown } from './health.js';

export * from './types.js';
export { SandboxProvider, parseTriggers, type SandboxOptions } from './sandbox/index.js';
export { ProviderBudget, type Admission, type BacklogSpreader, type BudgetLimits } from './budget.js';
export { ProviderHealth, type Cooldown } from './health.js';
export { MinimaxProvider, type MinimaxOptions } from './minimax/index.js';
export { createMinimax, type MinimaxConfig } from './minimax/factory.js';
export { WavespeedProvider, WAVESPEED_MODEL_IDS } from './wavespeed/index.js';
export { FalProvider, FAL_MODEL_IDS, FAL_JWKS_URL, type FalOptions } from './fal/index.js';
export { ReplicateProvider, REPLICATE_MODEL_IDS } from './replicate/index.js';
export { createAggregators, configuredAggregators, DEFAULT_BUDGETS, type AggregatorName, type AggregatorDeps } from './aggregators.js';
export { ENDPOINT_VARIANTS, I2V_DEFAULT_PROMPT, type AggregatorOptions, type EndpointVariant } from './aggregator.js';
export { COST_VARIANTS, costOf, costVariant, withOverrides, type CostBook, type CostTable, type CostVariant } from './costs.js';
export { WAVESPEED_COSTS } from './wavespeed/costs.js';
export { FAL_COSTS } from './fal/costs.js';
export { REPLICATE_COSTS } from './replicate/costs.js';
export { MINIMAX_COSTS } from './minimax/costs.js';

/**
 * Which provider serves a job. Test keys always go to the sandbox. Live keys go to the first
 * provider of the model's route that is not resting (see `ProviderHealth`); the rest of the route
 * is the ordered fallback list.
 *
 * @example
 * const registry = new ProviderRegistry(health).register(sandbox).register(minimax);
 * registry.route('hailuo-2.3', ['minimax']);
 * registry.pick('hailuo-2.3', 'live'); // 'minimax', or a 503 while MiniMax rests
 */
export class ProviderRegistry {
  private readonly byName = new Map<string, VideoProvider>();
  private readonly liveRoutes = new Map<string, string[]>();

  constructor(readonly health: ProviderHealth = new ProviderHealth(null, 300_000)) {}

  register(p: VideoProvider): this {
    this.byName.set(p.name, p);
    return this;
  }

  /** Sets the ordered live providers for a model: the first serves, the others are fallbacks. */
  route(model: string, providers: string[]): this {
    this.liveRoutes.set(model, providers);
    return this;
  }

  get(name: string): VideoProvider {
    const p = this.byName.get(name);
    if (!p) throw new Error(`no provider named ${name}`);
    return p;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Providers whose work runs inside our worker (renders) rather than upstream. */
  inlineNames(): string[] {
    return [...this.byName.values()].filter((p) => p.kind === 'inline').map((p) => p.name);
  }

  /** The live providers configured for a model, in order (registered ones only). */
  routeOf(model: string): string[] {
    return (this.liveRoutes.get(model) ?? []).filter((n) => this.byName.has(n));
  }

  /** The provider's current rest, or null when it may be used. */
  cooldown(name: string): Cooldown | null {
    return this.health.cooldown(name);
  }

  /** Rests a provider for the configured cooldown, in every process. */
  async markUnhealthy(name: string, reason: string): Promise<void> {
    await this.health.mark(name, reason);
  }

  /** The first provider of the model's route, other than `except`, that is not resting. */
  fallback(model: string, except: string): string | null {
    return this.routeOf(model).find((n) => n !== except && !this.health.cooldown(n)) ?? null;
  }

  /** Picks the provider for a new job, or refuses with a 503 (nothing is charged). */
  pick(model: string, mode: KeyMode): string {
    if (mode === 'test') return 'sandbox';
    const route = this.routeOf(model);
    if (route.length === 0) {
      throw new AppError(
        'provider_unavailable',
        `No live provider is configured for ${model}. Set MINIMAX_API_KEY, WAVESPEED_API_KEY, FAL_KEY or REPLICATE_API_TOKEN to generate live, or use a test key (rl_test_…) for the sandbox engine.`,
      );
    }
    const healthy = route.find((n) => !this.health.cooldown(n));
    if (healthy) return healthy;
    const soonest = Math.min(...route.map((n) => this.health.cooldown(n)?.until ?? Date.now()));
    const seconds = Math.max(1, Math.ceil((soonest - Date.now()) / 1000));
    throw new AppError(
      'provider_unavailable',
      `Live generation with ${model} is temporarily unavailable: its upstream (${route.join(', ')}) is resting after an error the operator must fix. Nothing was charged; retry in ${seconds} s.`,
      { retryAfterSeconds: seconds },
    );
  }
}

import { AppError } from '../errors.js';
import type { KeyMode } from '../billing/index.js';
import type { VideoProvider } from './types.js';
import { ProviderHealth, type Cooldown } from './health.js';

export * from './types.js';
export { SandboxProvider, parseTriggers, type SandboxOptions } from './sandbox/index.js';
export { ProviderBudget, type Admission, type BacklogSpreader, type BudgetLimits } from './budget.js';
export { ProviderHealth, type Cooldown } from './health.js';
export { recordProviderEvent, providerStats, providersTried, pruneProviderEvents, type ProviderEvent, type ProviderStats } from './stats.js';
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

/** One provider of a route and its share of traffic within its tier. */
export interface RouteMember {
  name: string;
  weight: number;
}

/**
 * A model's live route as configured: tiers in order, each a provider name (`"minimax"`,
 * `"fal:3"` with a weight) or a list of them that share the traffic of one tier by weight.
 *
 * @example
 * parseRoute(['minimax', ['fal:2', 'replicate']]); // [[{minimax,1}], [{fal,2}, {replicate,1}]]
 */
export function parseRoute(spec: readonly (string | readonly string[])[]): RouteMember[][] {
  return spec.map((tier) =>
    (typeof tier === 'string' ? [tier] : [...tier]).map((entry) => {
      const [name, w] = entry.split(':');
      const weight = w === undefined ? 1 : Number(w);
      if (!name || !Number.isFinite(weight) || weight <= 0) throw new Error(`route entry "${entry}" must be name or name:weight (weight > 0)`);
      return { name, weight };
    }),
  );
}

/**
 * Which provider serves a job. Test keys always go to the sandbox. Live keys go to the first tier
 * of the model's route that has a provider not resting (see `ProviderHealth`); within a tier the
 * weights share the traffic, and with equal weights the provider with the better success rate over
 * the last hour serves. The rest of the route is the fallback for jobs not yet accepted anywhere.
 *
 * @example
 * const registry = new ProviderRegistry(health).register(sandbox).register(minimax);
 * registry.route('hailuo-2.3', ['minimax']);
 * registry.pick('hailuo-2.3', 'live'); // 'minimax', or a 503 while MiniMax rests
 */
export class ProviderRegistry {
  private readonly byName = new Map<string, VideoProvider>();
  private readonly liveRoutes = new Map<string, RouteMember[][]>();

  constructor(
    readonly health: ProviderHealth = new ProviderHealth(null, 300_000),
    private readonly random: () => number = Math.random,
  ) {}

  register(p: VideoProvider): this {
    this.byName.set(p.name, p);
    return this;
  }

  /** Sets a model's live route: tiers in order (see `parseRoute`); a flat list is one provider per tier. */
  route(model: string, spec: readonly (string | readonly string[])[]): this {
    this.liveRoutes.set(model, parseRoute(spec));
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

  /** The live route of a model as tiers of registered providers (what `/admin` and `/v2/models` show). */
  tiersOf(model: string): RouteMember[][] {
    return (this.liveRoutes.get(model) ?? []).map((t) => t.filter((m) => this.byName.has(m.name))).filter((t) => t.length > 0);
  }

  /** The live providers configured for a model, in route order (registered ones only). */
  routeOf(model: string): string[] {
    return this.tiersOf(model).flatMap((t) => t.map((m) => m.name));
  }

  /** The provider's current rest, or null when it may be used. */
  cooldown(name: string): Cooldown | null {
    return this.health.cooldown(name);
  }

  /** Rests a provider for the configured cooldown, in every process. */
  async markUnhealthy(name: string, reason: string): Promise<void> {
    await this.health.mark(name, reason);
  }

  /** One provider of the first tier that has any usable one (not resting, not in `skip`), or null. */
  private choose(model: string, skip: readonly string[]): string | null {
    for (const tier of this.tiersOf(model)) {
      const usable = tier.filter((m) => !skip.includes(m.name) && !this.health.cooldown(m.name));
      if (usable.length === 0) continue;
      if (usable.length === 1) return usable[0]!.name;
      if (usable.every((m) => m.weight === usable[0]!.weight)) {
        // Equal weights: the healthier provider (last hour's success rate; unknown counts as 1).
        const rate = (n: string) => this.health.successRate(n, model) ?? 1;
        const best = Math.max(...usable.map((m) => rate(m.name)));
        const top = usable.filter((m) => rate(m.name) >= best - 0.02);
        return top[Math.floor(this.random() * top.length)]!.name;
      }
      let x = this.random() * usable.reduce((a, m) => a + m.weight, 0);
      for (const m of usable) if ((x -= m.weight) < 0) return m.name;
      return usable[usable.length - 1]!.name;
    }
    return null;
  }

  /** The provider a job not yet accepted anywhere moves to: never `except` nor one in `tried`. */
  fallback(model: string, except: string, tried: readonly string[] = []): string | null {
    return this.choose(model, [except, ...tried]);
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
    const chosen = this.choose(model, []);
    if (chosen) return chosen;
    const soonest = Math.min(...route.map((n) => this.health.cooldown(n)?.until ?? Date.now()));
    const seconds = Math.max(1, Math.ceil((soonest - Date.now()) / 1000));
    throw new AppError(
      'provider_unavailable',
      `Live generation with ${model} is temporarily unavailable: its upstream (${route.join(', ')}) is resting after an error the operator must fix. Nothing was charged; retry in ${seconds} s.`,
      { retryAfterSeconds: seconds },
    );
  }
}

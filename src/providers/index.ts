import { AppError } from '../errors.js';
import type { KeyMode } from '../billing/index.js';
import type { VideoProvider } from './types.js';

export * from './types.js';
export { SandboxProvider, parseTriggers } from './sandbox/index.js';

/**
 * Which provider serves a job. Test keys always go to the sandbox; live keys go to the first
 * healthy provider in the model's route (the MiniMax provider arrives with the live-upstream work).
 */
export class ProviderRegistry {
  private readonly byName = new Map<string, VideoProvider>();
  private readonly liveRoutes = new Map<string, string[]>();

  register(p: VideoProvider): this {
    this.byName.set(p.name, p);
    return this;
  }

  /** Sets the ordered live providers for a model. */
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

  /** Picks the provider for a new job, or refuses (nothing is charged). */
  pick(model: string, mode: KeyMode): string {
    if (mode === 'test') return 'sandbox';
    const route = (this.liveRoutes.get(model) ?? []).filter((n) => this.byName.has(n));
    const first = route[0];
    if (!first) {
      throw new AppError(
        'provider_unavailable',
        `No live provider is configured for ${model}. Set MINIMAX_API_KEY to generate with MiniMax, or use a test key (rl_test_…) for the sandbox engine.`,
      );
    }
    return first;
  }
}

import { MODELS, RESOLUTIONS, PROMPT_MAX_CHARS } from './models.js';
import { combosOf, type PriceBook } from './prices.js';

export interface CatalogEntry {
  id: string;
  label: string;
  description: string;
  modality: 'video';
  provider: 'MiniMax';
  modes: string[];
  parameters: Record<string, unknown>;
  combinations: { resolution: string; durationSeconds: number; credits: number }[];
  pricingMode: 'flat';
  costMin: number;
  costMax: number;
  typicalSeconds: number;
  /** The upstreams a live key's job may go to, in route order (test keys always get the sandbox). */
  liveProviders: string[];
}

/**
 * The catalog as `GET /v2/models` shows it: every model with its modes, parameters, allowed
 * combinations and their prices.
 */
export function describeCatalog(book: PriceBook, liveProviders: (model: string) => string[] = () => []): CatalogEntry[] {
  return MODELS.map((m) => {
    const combinations = RESOLUTIONS.flatMap((r) =>
      m.combos[r].map((d) => ({ resolution: r, durationSeconds: d, credits: book[m.id]?.[`${r}-${d}s`] ?? 0 })),
    );
    const credits = combosOf(m).map((k) => book[m.id]?.[k] ?? 0);
    return {
      id: m.id,
      label: m.label,
      description: m.description,
      modality: 'video',
      provider: 'MiniMax',
      modes: m.modes.map((x) => (x === 't2v' ? 'text-to-video' : 'image-to-video')),
      parameters: {
        prompt: { type: 'string', maxLength: PROMPT_MAX_CHARS, required: m.modes.includes('t2v') ? 'when no image is given' : false },
        duration: { type: 'integer', enum: [6, 10], default: m.defaults.durationSeconds },
        resolution: { type: 'string', enum: [...RESOLUTIONS], default: m.defaults.resolution },
        image: {
          type: 'string',
          format: 'https URL or data: URI',
          required: !m.modes.includes('t2v'),
          rules: 'JPG, PNG or WebP; under 20 MB; short side at least 300 px; aspect ratio between 2:5 and 5:2',
        },
        prompt_optimizer: { type: 'boolean', default: m.defaults.promptOptimizer },
        fast_pretreatment: { type: 'boolean', default: false },
        constraints: ['1080p supports 6-second clips only'],
      },
      combinations,
      pricingMode: 'flat',
      costMin: Math.min(...credits),
      costMax: Math.max(...credits),
      typicalSeconds: m.typicalSeconds,
      liveProviders: liveProviders(m.id),
    };
  });
}

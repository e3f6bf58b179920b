import { z } from 'zod';
import { DURATIONS, type GenerateDraft, type RuleWording } from '../../../catalog/index.js';
import { VARIANTS, WAVESPEED_PREFIX } from './variants.js';
import type { Variant } from './variants.js';

/** WaveSpeed's input for the Hailuo 2.3 endpoints (their field names; unknown fields are refused). */
export const wavespeedBody = z
  .object({
    prompt: z.string().optional(),
    image: z.string().min(1).optional(),
    // The enum is documentation only: the catalog's rules give the error for other values.
    duration: z.union([z.number().meta({ enum: [...DURATIONS] }), z.string().regex(/^\d+$/).transform(Number)]).optional(),
    enable_prompt_expansion: z.boolean().optional(),
    prompt_optimizer: z.boolean().optional(),
    fast_pretreatment: z.boolean().optional(),
    enable_sync_mode: z.boolean().optional(),
    enable_base64_output: z.literal(false).optional(),
  })
  .strict();

export type WavespeedBody = z.infer<typeof wavespeedBody>;

/** The route a canonical request would have used here, for messages that name routes. */
function routeOf(model: string, resolution: string, modality: string | null, image: string | null): string {
  const mode = modality ?? (image ? 'i2v' : 't2v');
  const v = VARIANTS.find((x) => x.model === model && x.resolution === resolution && x.mode === mode);
  return v ? v.slug : `${mode}-${resolution === '1080p' ? 'pro' : 'standard'}`;
}

/**
 * WaveSpeed's words for the catalog's rules: resolution is chosen by the route here (standard =
 * 768p, pro = 1080p), so a message names routes, never `resolution`.
 */
export const WAVESPEED_WORDING: RuleWording = {
  paths: {
    model: 'model',
    prompt: 'prompt',
    image: 'image',
    durationSeconds: 'duration',
    resolution: 'model',
    promptOptimizer: 'enable_prompt_expansion',
  },
  messages: {
    combination_unsupported: (r) => {
      const here = routeOf(r.model, r.resolution, r.modality, r.image);
      const standard = here.replace(/-pro$/, '-standard').replace(/^fast-pro$/, 'fast');
      return `${WAVESPEED_PREFIX}/${here} renders 6-second clips only; use the ${here === 'fast-pro' ? 'fast' : standard} route for ${r.durationSeconds} s`;
    },
    duration_invalid: () => 'duration must be 6 or 10 (seconds)',
    image_not_allowed: (r) => `${WAVESPEED_PREFIX}/${routeOf(r.model, r.resolution, r.modality, r.image)} is text-to-video; send images to an i2v or fast route`,
    image_required: (r) => `${WAVESPEED_PREFIX}/${routeOf(r.model, r.resolution, r.modality, r.image)} requires an image`,
  },
};

/** A WaveSpeed endpoint and its body → canonical draft: the route fixes model, resolution and modality. */
export function toDraft(v: Variant, b: WavespeedBody): GenerateDraft {
  return {
    model: v.model,
    prompt: b.prompt,
    image: b.image,
    durationSeconds: b.duration,
    resolution: v.resolution,
    promptOptimizer: b.enable_prompt_expansion ?? b.prompt_optimizer,
    fastPretreatment: b.fast_pretreatment,
    modality: v.mode,
  };
}

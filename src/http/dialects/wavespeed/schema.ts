import { z } from 'zod';
import { DURATIONS, type CanonicalField, type GenerateRequest } from '../../../catalog/index.js';
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

export const WAVESPEED_PATHS: Record<CanonicalField, string> = {
  model: 'model',
  prompt: 'prompt',
  image: 'image',
  durationSeconds: 'duration',
  resolution: 'model',
  promptOptimizer: 'enable_prompt_expansion',
};

export function toCanonical(v: Variant, b: WavespeedBody): GenerateRequest {
  return {
    model: v.model,
    prompt: b.prompt ?? null,
    image: b.image ?? null,
    durationSeconds: b.duration ?? 6,
    resolution: v.resolution,
    promptOptimizer: b.enable_prompt_expansion ?? b.prompt_optimizer ?? true,
    fastPretreatment: b.fast_pretreatment ?? false,
  };
}

import { z } from 'zod';
import type { CanonicalField, GenerateRequest } from '../../../catalog/index.js';

/**
 * "API in One" (seeds/001): `model` is `hailuo-2-3` (the standard sub-model) or a sub-model id.
 * Standard maps to Hailuo 2.3 Fast and pro to Hailuo 2.3: the seed's "cheaper standard / higher
 * quality pro" split is exactly that pair, and both are image-to-video as the seed requires.
 */
export const SUB_MODELS = {
  'hailuo-2-3': 'hailuo-2.3-fast',
  'hailuo/2-3-image-to-video-standard': 'hailuo-2.3-fast',
  'hailuo/2-3-image-to-video-pro': 'hailuo-2.3',
} as const;

export type SubModel = keyof typeof SUB_MODELS;

export const apiInOneBody = z
  .object({
    // The enum is documentation only: an unknown name gets the route's "Use one of: …" message.
    model: z.string().min(1).meta({ enum: Object.keys(SUB_MODELS) }),
    prompt: z.string().min(1, 'Required'),
    image: z.string().min(1, 'Required'),
    duration: z.enum(['6', '10'], { message: 'Must be "6" or "10"' }).default('6'),
    resolution: z.enum(['768P', '1080P'], { message: 'Must be "768P" or "1080P"' }).default('768P'),
    webhook_url: z.string().url().optional(),
  })
  .strict();

export type ApiInOneBody = z.infer<typeof apiInOneBody>;

export const APIINONE_PATHS: Record<CanonicalField, string> = {
  model: 'model',
  prompt: 'prompt',
  image: 'image',
  durationSeconds: 'duration',
  resolution: 'resolution',
  promptOptimizer: 'model',
};

export function subModelOf(model: string): SubModel | undefined {
  return model in SUB_MODELS ? (model as SubModel) : undefined;
}

export function toCanonical(sub: SubModel, b: ApiInOneBody): GenerateRequest {
  return {
    model: SUB_MODELS[sub],
    prompt: b.prompt,
    image: b.image,
    durationSeconds: Number(b.duration),
    resolution: b.resolution.toLowerCase(),
    promptOptimizer: true,
    fastPretreatment: false,
  };
}

/** The sub-model name a canonical job reads as here. */
export function subModelFor(model: string): string {
  return model === 'hailuo-2.3' ? 'hailuo/2-3-image-to-video-pro' : 'hailuo/2-3-image-to-video-standard';
}

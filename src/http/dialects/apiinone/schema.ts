import { z } from 'zod';
import { fieldError } from '../../../errors.js';
import type { GenerateDraft, RuleWording } from '../../../catalog/index.js';

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

/** API in One's field paths; its sub-models fix the model, and all of them are image-to-video. */
export const APIINONE_WORDING: RuleWording = {
  paths: {
    model: 'model',
    prompt: 'prompt',
    image: 'image',
    durationSeconds: 'duration',
    resolution: 'resolution',
    promptOptimizer: 'model',
  },
  messages: {
    combination_unsupported: () => 'resolution "1080P" supports duration "6" only; use "768P" for "10"',
  },
};

export function subModelOf(model: string): SubModel | undefined {
  return Object.hasOwn(SUB_MODELS, model) ? (model as SubModel) : undefined;
}

/** An API in One body → canonical draft; a model name outside its three sub-models is a 400 here. */
export function toDraft(b: ApiInOneBody): GenerateDraft {
  const sub = subModelOf(b.model);
  if (!sub) throw fieldError('model', `Unknown model "${b.model}". Use one of: ${Object.keys(SUB_MODELS).join(', ')}`);
  return {
    model: SUB_MODELS[sub],
    prompt: b.prompt,
    image: b.image,
    durationSeconds: Number(b.duration),
    resolution: b.resolution,
    promptOptimizer: true,
    fastPretreatment: false,
    modality: 'i2v',
  };
}

/** The sub-model name a canonical job reads as here. */
export function subModelFor(model: string): string {
  return model === 'hailuo-2.3' ? 'hailuo/2-3-image-to-video-pro' : 'hailuo/2-3-image-to-video-standard';
}

import { z } from 'zod';
import { DURATIONS, MODELS, RESOLUTIONS, type GenerateDraft, type RuleWording } from '../../../catalog/index.js';

/**
 * The catalog's values, shown as enums in `/openapi.json` only: validation stays loose here so
 * that the catalog's rules answer with their own message ("1080p supports 6-second clips only").
 */
const documented = {
  model: { enum: MODELS.map((m) => m.id) },
  duration: { enum: [...DURATIONS] },
  resolution: { enum: [...RESOLUTIONS] },
};

/** `POST /v2/videos/generate` for the Hailuo family, as Apiframe's spec has it (strict: unknown fields are errors). */
export const generateBody = z
  .object({
    model: z.string().min(1).meta(documented.model),
    prompt: z.string().optional(),
    hailuoParams: z
      .object({
        duration: z.number().optional().meta(documented.duration),
        resolution: z.string().optional().meta(documented.resolution),
        image: z.string().min(1).optional(),
        prompt_optimizer: z.boolean().optional(),
        fast_pretreatment: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Checked by the webhooks module (scheme, syntax, DNS, private addresses) so that a bad one is `url_not_allowed`. */
    webhookUrl: z.string().optional(),
    /** The seeds' prose spells it this way. */
    webhook_url: z.string().optional(),
    webhookEvents: z.array(z.enum(['progress', 'completed', 'failed'])).min(1).optional(),
  })
  .strict();

export type GenerateBody = z.infer<typeof generateBody>;

/** Apiframe's field paths for the catalog's rules (its messages are the catalog's own). */
export const APIFRAME_WORDING: RuleWording = {
  paths: {
    model: 'model',
    prompt: 'prompt',
    image: 'hailuoParams.image',
    durationSeconds: 'hailuoParams.duration',
    resolution: 'hailuoParams.resolution',
    promptOptimizer: 'hailuoParams.prompt_optimizer',
  },
};

/** Apiframe body → canonical draft; what the caller left out takes the model's defaults. */
export function toDraft(b: GenerateBody): GenerateDraft {
  const p = b.hailuoParams ?? {};
  return {
    model: b.model,
    prompt: b.prompt,
    image: p.image,
    durationSeconds: p.duration,
    resolution: p.resolution,
    promptOptimizer: p.prompt_optimizer,
    fastPretreatment: p.fast_pretreatment,
  };
}

export const listQuery = z
  .object({
    status: z.enum(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED']).optional(),
    model: z.string().optional().meta(documented.model),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().optional(),
  })
  .strict();

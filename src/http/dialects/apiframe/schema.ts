import { z } from 'zod';
import type { CanonicalField, GenerateRequest } from '../../../catalog/index.js';

/** `POST /v2/videos/generate` for the Hailuo family, as Apiframe's spec has it (strict: unknown fields are errors). */
export const generateBody = z
  .object({
    model: z.string().min(1),
    prompt: z.string().optional(),
    hailuoParams: z
      .object({
        duration: z.number().optional(),
        resolution: z.string().optional(),
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

export const APIFRAME_PATHS: Record<CanonicalField, string> = {
  model: 'model',
  prompt: 'prompt',
  image: 'hailuoParams.image',
  durationSeconds: 'hailuoParams.duration',
  resolution: 'hailuoParams.resolution',
  promptOptimizer: 'hailuoParams.prompt_optimizer',
};

/** Apiframe body → canonical request, applying the model's defaults. */
export function toCanonical(b: GenerateBody, defaults: { durationSeconds: number; resolution: string; promptOptimizer: boolean }): GenerateRequest {
  const p = b.hailuoParams ?? {};
  return {
    model: b.model,
    prompt: b.prompt ?? null,
    image: p.image ?? null,
    durationSeconds: p.duration ?? defaults.durationSeconds,
    resolution: (p.resolution ?? defaults.resolution).toLowerCase(),
    promptOptimizer: p.prompt_optimizer ?? defaults.promptOptimizer,
    fastPretreatment: p.fast_pretreatment ?? false,
  };
}

export const listQuery = z
  .object({
    status: z.enum(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED']).optional(),
    model: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().optional(),
  })
  .passthrough();

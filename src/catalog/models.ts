/**
 * The model catalog: which models exist, what they accept, and the rules every dialect applies
 * the same way. Facts from MiniMax's docs (reference/upstream-apis.md §1) and the seeds.
 */
export const RESOLUTIONS = ['768p', '1080p'] as const;
export const DURATIONS = [6, 10] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export type Duration = (typeof DURATIONS)[number];
export type Mode = 't2v' | 'i2v';

export const PROMPT_MAX_CHARS = 2000;

export interface ModelSpec {
  id: string;
  label: string;
  description: string;
  modes: readonly Mode[];
  /** resolution → durations it allows; MiniMax renders 1080p at 6 s only. */
  combos: Readonly<Record<Resolution, readonly Duration[]>>;
  defaults: { durationSeconds: Duration; resolution: Resolution; promptOptimizer: boolean };
  /** Typical upstream generation time, used to schedule the first status poll. */
  typicalSeconds: number;
  /** A job still unfinished this long after submit is failed and refunded by the sweeper. */
  deadlineSeconds: number;
  /** The upstream model name at MiniMax. */
  minimaxModel: string;
}

const COMBOS = { '768p': [6, 10], '1080p': [6] } as const;

export const MODELS: readonly ModelSpec[] = [
  {
    id: 'hailuo-2.3',
    label: 'Hailuo 2.3',
    description: 'MiniMax Hailuo 2.3: text-to-video and image-to-video with realistic motion, 768p or 1080p.',
    modes: ['t2v', 'i2v'],
    combos: COMBOS,
    defaults: { durationSeconds: 6, resolution: '768p', promptOptimizer: true },
    typicalSeconds: 180,
    deadlineSeconds: 45 * 60,
    minimaxModel: 'MiniMax-Hailuo-2.3',
  },
  {
    id: 'hailuo-2.3-fast',
    label: 'Hailuo 2.3 Fast',
    description: 'Cheaper, faster Hailuo 2.3 for drafts: image-to-video only, 768p or 1080p.',
    modes: ['i2v'],
    combos: COMBOS,
    defaults: { durationSeconds: 6, resolution: '768p', promptOptimizer: true },
    typicalSeconds: 90,
    deadlineSeconds: 30 * 60,
    minimaxModel: 'MiniMax-Hailuo-2.3-Fast',
  },
];

export function findModel(id: string): ModelSpec | undefined {
  return MODELS.find((m) => m.id === id);
}

/**
 * The canonical generation request every dialect translates into. Nothing below the HTTP edge
 * knows which dialect produced it.
 */
export interface GenerateRequest {
  model: string;
  prompt: string | null;
  /** An https URL or a data: URI, as the caller sent it. */
  image: string | null;
  durationSeconds: number;
  resolution: string;
  promptOptimizer: boolean;
  fastPretreatment: boolean;
}

/** Canonical field names; dialects map them onto their own paths for error messages. */
export type CanonicalField = 'model' | 'prompt' | 'image' | 'durationSeconds' | 'resolution' | 'promptOptimizer';

export interface RuleViolation {
  field: CanonicalField;
  message: string;
}

/**
 * Checks a request against the catalog's rules, returning every violation (empty when valid).
 *
 * @example
 * checkRequest({ model: 'hailuo-2.3', prompt: 'x', image: null, durationSeconds: 10, resolution: '1080p', promptOptimizer: true, fastPretreatment: false })
 * // [{ field: 'durationSeconds', message: '1080p supports 6-second clips only; use 768p for 10 seconds' }]
 */
export function checkRequest(req: GenerateRequest): RuleViolation[] {
  const out: RuleViolation[] = [];
  const model = findModel(req.model);
  if (!model) {
    out.push({ field: 'model', message: `Unknown model "${req.model}". Available: ${MODELS.map((m) => m.id).join(', ')}` });
    return out;
  }
  const prompt = req.prompt ?? '';
  if ([...prompt].length > PROMPT_MAX_CHARS) {
    out.push({ field: 'prompt', message: `Prompt is ${[...prompt].length} characters; the limit is ${PROMPT_MAX_CHARS}` });
  }
  if (!req.image) {
    if (!model.modes.includes('t2v')) {
      out.push({ field: 'image', message: `${model.id} is image-to-video only: an image is required` });
    } else if (prompt.trim() === '') {
      out.push({ field: 'prompt', message: 'A prompt is required for text-to-video' });
    }
  }
  const res = req.resolution as Resolution;
  if (!RESOLUTIONS.includes(res)) {
    out.push({ field: 'resolution', message: `Resolution must be one of ${RESOLUTIONS.join(', ')}` });
  }
  if (!(DURATIONS as readonly number[]).includes(req.durationSeconds)) {
    out.push({ field: 'durationSeconds', message: `Duration must be one of ${DURATIONS.join(', ')} seconds` });
  } else if (RESOLUTIONS.includes(res) && !(model.combos[res] as readonly number[]).includes(req.durationSeconds)) {
    out.push({
      field: 'durationSeconds',
      message: `${res} supports ${model.combos[res].join(' or ')}-second clips only; use 768p for 10 seconds`,
    });
  }
  return out;
}

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
  /**
   * What the caller's route demands, when the route fixes it (WaveSpeed's `t2v-*` and `i2v-*`
   * endpoints, API in One's image-to-video sub-models); null when the image alone decides.
   */
  modality: Mode | null;
}

/**
 * A request as a dialect parsed it: what the caller left out is `undefined` and takes the model's
 * default in `resolveRequest`, so defaults live in the catalog once, not in every dialect.
 */
export type GenerateDraft = Pick<GenerateRequest, 'model'> & {
  [K in Exclude<keyof GenerateRequest, 'model'>]?: GenerateRequest[K] | undefined;
};

/**
 * Fills a draft with the model's defaults (the first model's for an unknown model, which
 * `checkRequest` then refuses). Resolutions are compared in lower case: `1080P` is `1080p`.
 *
 * @example
 * resolveRequest({ model: 'hailuo-2.3', prompt: 'a castle' }).durationSeconds; // 6
 */
export function resolveRequest(d: GenerateDraft): GenerateRequest {
  const defaults = (findModel(d.model) ?? MODELS[0]!).defaults;
  return {
    model: d.model,
    prompt: d.prompt ?? null,
    image: d.image ?? null,
    durationSeconds: d.durationSeconds ?? defaults.durationSeconds,
    resolution: (d.resolution ?? defaults.resolution).toLowerCase(),
    promptOptimizer: d.promptOptimizer ?? defaults.promptOptimizer,
    fastPretreatment: d.fastPretreatment ?? false,
    modality: d.modality ?? null,
  };
}

/** Canonical field names; dialects map them onto their own paths for error messages. */
export type CanonicalField = 'model' | 'prompt' | 'image' | 'durationSeconds' | 'resolution' | 'promptOptimizer';

/**
 * The closed list of catalog rules. A dialect may word a rule its own way (WaveSpeed says "use the
 * t2v-standard route for 10 s" where the canonical message says "use 768p"), keyed by this id.
 */
export const RULE_IDS = [
  'unknown_model',
  'prompt_too_long',
  'image_required',
  'prompt_required',
  'image_not_allowed',
  'resolution_invalid',
  'duration_invalid',
  'combination_unsupported',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export interface RuleViolation {
  rule: RuleId;
  field: CanonicalField;
  message: string;
}

/**
 * How a dialect words rule violations: the path of each canonical field in its own body, and its
 * own message for the rules it words differently.
 */
export interface RuleWording {
  paths: Readonly<Record<CanonicalField, string>>;
  messages?: Readonly<Partial<Record<RuleId, (req: GenerateRequest) => string>>>;
}

/**
 * Checks a request against the catalog's rules, returning every violation (empty when valid).
 *
 * @example
 * checkRequest(resolveRequest({ model: 'hailuo-2.3', prompt: 'x', durationSeconds: 10, resolution: '1080p' }))
 * // [{ rule: 'combination_unsupported', field: 'durationSeconds', message: '1080p supports 6-second clips only; use 768p for 10 seconds' }]
 */
export function checkRequest(req: GenerateRequest): RuleViolation[] {
  const out: RuleViolation[] = [];
  const model = findModel(req.model);
  if (!model) {
    out.push({ rule: 'unknown_model', field: 'model', message: `Unknown model "${req.model}". Available: ${MODELS.map((m) => m.id).join(', ')}` });
    return out;
  }
  const prompt = req.prompt ?? '';
  if ([...prompt].length > PROMPT_MAX_CHARS) {
    out.push({ rule: 'prompt_too_long', field: 'prompt', message: `Prompt is ${[...prompt].length} characters; the limit is ${PROMPT_MAX_CHARS}` });
  }
  if (req.image && req.modality === 't2v') {
    out.push({ rule: 'image_not_allowed', field: 'image', message: 'This is a text-to-video route; send the image to an image-to-video route' });
  } else if (!req.image && (req.modality === 'i2v' || !model.modes.includes('t2v'))) {
    const why = model.modes.includes('t2v') ? 'this route is image-to-video' : `${model.id} is image-to-video only`;
    out.push({ rule: 'image_required', field: 'image', message: `${why}: an image is required` });
  } else if (!req.image && prompt.trim() === '') {
    out.push({ rule: 'prompt_required', field: 'prompt', message: 'A prompt is required for text-to-video' });
  }
  const res = req.resolution as Resolution;
  if (!RESOLUTIONS.includes(res)) {
    out.push({ rule: 'resolution_invalid', field: 'resolution', message: `Resolution must be one of ${RESOLUTIONS.join(', ')}` });
  }
  if (!(DURATIONS as readonly number[]).includes(req.durationSeconds)) {
    out.push({ rule: 'duration_invalid', field: 'durationSeconds', message: `Duration must be one of ${DURATIONS.join(', ')} seconds` });
  } else if (RESOLUTIONS.includes(res) && !(model.combos[res] as readonly number[]).includes(req.durationSeconds)) {
    out.push({
      rule: 'combination_unsupported',
      field: 'durationSeconds',
      message: `${res} supports ${model.combos[res].join(' or ')}-second clips only; use 768p for 10 seconds`,
    });
  }
  return out;
}

/**
 * The violations in a dialect's words: its field paths, and its own message where it has one.
 *
 * @example
 * wordViolations(req, checkRequest(req), WAVESPEED_WORDING); // { duration: ['t2v-pro renders 6 s only; …'] }
 */
export function wordViolations(req: GenerateRequest, violations: readonly RuleViolation[], wording: RuleWording): Record<string, string[]> {
  const fields: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const v of violations) (fields[wording.paths[v.field]] ??= []).push(wording.messages?.[v.rule]?.(req) ?? v.message);
  return fields;
}

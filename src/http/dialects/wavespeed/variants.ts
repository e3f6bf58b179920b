/**
 * WaveSpeed's six Hailuo 2.3 endpoints and what each means in canonical terms
 * (seeds/002: standard = 768p, pro = 1080p; fast = image-to-video 768p at 6 or 10 s,
 * fast-pro = image-to-video 1080p at 6 s).
 */
export interface Variant {
  slug: string;
  model: 'hailuo-2.3' | 'hailuo-2.3-fast';
  resolution: '768p' | '1080p';
  mode: 't2v' | 'i2v';
}

export const WAVESPEED_PREFIX = 'minimax/hailuo-2.3';

export const VARIANTS: readonly Variant[] = [
  { slug: 't2v-standard', model: 'hailuo-2.3', resolution: '768p', mode: 't2v' },
  { slug: 't2v-pro', model: 'hailuo-2.3', resolution: '1080p', mode: 't2v' },
  { slug: 'i2v-standard', model: 'hailuo-2.3', resolution: '768p', mode: 'i2v' },
  { slug: 'i2v-pro', model: 'hailuo-2.3', resolution: '1080p', mode: 'i2v' },
  { slug: 'fast', model: 'hailuo-2.3-fast', resolution: '768p', mode: 'i2v' },
  { slug: 'fast-pro', model: 'hailuo-2.3-fast', resolution: '1080p', mode: 'i2v' },
];

/** The WaveSpeed model id for a canonical job, so a job submitted in any dialect reads naturally here. */
export function variantIdFor(model: string, resolution: string, hasImage: boolean): string {
  const v =
    VARIANTS.find((x) => x.model === model && x.resolution === resolution && x.mode === (hasImage ? 'i2v' : 't2v')) ??
    VARIANTS.find((x) => x.model === model && x.resolution === resolution);
  return v ? `${WAVESPEED_PREFIX}/${v.slug}` : model;
}

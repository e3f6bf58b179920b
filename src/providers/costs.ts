/**
 * What each upstream charges per video, by variant. Defaults live beside each adapter (costs.ts,
 * with their source and date); the operator overrides any entry in the price book file under
 * `upstreamCosts` (src/catalog/prices.ts). Null means "no price known": margins then show it as
 * unknown instead of inventing a number.
 */

/** Hailuo 2.3 (t2v/i2v) and 2.3 Fast (i2v only), × the resolution/duration combos MiniMax offers. */
export const COST_VARIANTS = [
  't2v-768p-6s',
  't2v-768p-10s',
  't2v-1080p-6s',
  'i2v-768p-6s',
  'i2v-768p-10s',
  'i2v-1080p-6s',
  'fast-768p-6s',
  'fast-768p-10s',
  'fast-1080p-6s',
] as const;
export type CostVariant = (typeof COST_VARIANTS)[number];

export type CostTable = Readonly<Record<CostVariant, number | null>>;

export interface CostBook {
  table: CostTable;
  /** Where the defaults come from and when they were read, for the margins report. */
  source: string;
}

/** The variant of a request, or null for a model this table does not cover. */
export function costVariant(model: string, resolution: string, durationSeconds: number, imageToVideo: boolean): CostVariant | null {
  const kind = model === 'hailuo-2.3-fast' ? 'fast' : model === 'hailuo-2.3' ? (imageToVideo ? 'i2v' : 't2v') : null;
  if (!kind) return null;
  const v = `${kind}-${resolution}-${durationSeconds}s`;
  return (COST_VARIANTS as readonly string[]).includes(v) ? (v as CostVariant) : null;
}

/**
 * The defaults with the operator's overrides on top.
 *
 * @example
 * const t = withOverrides(WAVESPEED_COSTS.table, { 't2v-768p-6s': 0.25 });
 */
export function withOverrides(defaults: CostTable, overrides: Readonly<Record<string, number>> | undefined): CostTable {
  const out: Record<string, number | null> = { ...defaults };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!(COST_VARIANTS as readonly string[]).includes(k)) throw new Error(`upstreamCosts: unknown variant "${k}" (known: ${COST_VARIANTS.join(', ')})`);
    out[k] = v;
  }
  return out as CostTable;
}

/**
 * USD for one video. Without `imageToVideo`, Hailuo 2.3 is priced at the dearer of t2v and i2v,
 * so a margin computed from it is never overstated.
 *
 * @example
 * costOf(table, 'hailuo-2.3', '768p', 6, false) // 0.23 on WaveSpeed's defaults
 */
export function costOf(table: CostTable, model: string, resolution: string, durationSeconds: number, imageToVideo?: boolean): number | null {
  const pick = (i2v: boolean): number | null => {
    const v = costVariant(model, resolution, durationSeconds, i2v);
    return v ? table[v] : null;
  };
  if (imageToVideo !== undefined) return pick(imageToVideo);
  const a = pick(false);
  const b = pick(true);
  if (a === null || b === null) return model === 'hailuo-2.3-fast' ? b : null;
  return Math.max(a, b);
}

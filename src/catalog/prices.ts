/**
 * The price book: credits per model × resolution × duration. Defaults come from the seeds
 * (Apiframe: hailuo-2.3 48 / 96 / 84 credits; "Fast … roughly a third less"). An operator file
 * (`REELAY_PRICE_BOOK`) may override any entry.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MODELS, RESOLUTIONS, type ModelSpec } from './models.js';

/**
 * model id → "768p-6s" → credits. A key `list/model` is a named price list that a dialect may ask
 * for (API in One's seed has its own prices); lookups fall back to the plain model entry.
 */
export type PriceBook = Readonly<Record<string, Readonly<Record<string, number>>>>;

export const DEFAULT_PRICE_BOOK: PriceBook = {
  'hailuo-2.3': { '768p-6s': 48, '768p-10s': 96, '1080p-6s': 84 },
  'hailuo-2.3-fast': { '768p-6s': 32, '768p-10s': 64, '1080p-6s': 56 },
  // seeds/001 FAQ: standard 30 (6 s 768P) / 45 (10 s or 1080P); pro 45–85 by duration and
  // resolution (the seed gives only the range; 70 for 10 s 768P is our interpolation).
  'apiinone/hailuo-2.3-fast': { '768p-6s': 30, '768p-10s': 45, '1080p-6s': 45 },
  'apiinone/hailuo-2.3': { '768p-6s': 45, '768p-10s': 70, '1080p-6s': 85 },
};

export function priceKey(resolution: string, durationSeconds: number): string {
  return `${resolution}-${durationSeconds}s`;
}

const fileSchema = z.record(z.string(), z.record(z.string(), z.number().int().min(0)));

/** The operator's upstream cost overrides: provider → variant (e.g. `t2v-768p-6s`) → USD per video. */
export type UpstreamCostOverrides = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** The price book file's own `upstreamCosts` section; everything else in the file is credits. */
const UPSTREAM_COSTS_KEY = 'upstreamCosts';
const upstreamCostsSchema = z.record(z.string(), z.record(z.string(), z.number().min(0).max(1000)));

function readBookFile(file: string): Record<string, unknown> {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`Price book ${file}: not a JSON object`);
  return raw as Record<string, unknown>;
}

/**
 * The `upstreamCosts` section of the price book file (USD per video, per provider and variant),
 * or an empty set without a file. Providers merge it over their own defaults (providers/costs.ts).
 *
 * @example
 * // prices.json: { "hailuo-2.3": { "768p-6s": 50 }, "upstreamCosts": { "fal": { "t2v-768p-6s": 0.27 } } }
 * loadUpstreamCosts('prices.json').fal['t2v-768p-6s'] // 0.27
 */
export function loadUpstreamCosts(file: string | undefined): UpstreamCostOverrides {
  if (!file) return {};
  const section = readBookFile(file)[UPSTREAM_COSTS_KEY];
  if (section === undefined) return {};
  const parsed = upstreamCostsSchema.safeParse(section);
  if (!parsed.success) throw new Error(`Price book ${file}: ${UPSTREAM_COSTS_KEY}: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Loads the price book, merging an operator override file over the defaults, and checks that
 * every allowed combination of every model has a price.
 *
 * @example
 * const book = loadPriceBook(undefined); book['hailuo-2.3']['768p-10s'] // 96
 */
export function loadPriceBook(file: string | undefined): PriceBook {
  const merged: Record<string, Record<string, number>> = {};
  for (const [m, prices] of Object.entries(DEFAULT_PRICE_BOOK)) merged[m] = { ...prices };
  if (file) {
    const { [UPSTREAM_COSTS_KEY]: _costs, ...credits } = readBookFile(file);
    const parsed = fileSchema.safeParse(credits);
    if (!parsed.success) throw new Error(`Price book ${file}: ${parsed.error.message}`);
    for (const [m, prices] of Object.entries(parsed.data)) merged[m] = { ...merged[m], ...prices };
  }
  for (const model of MODELS) {
    for (const combo of combosOf(model)) {
      if (merged[model.id]?.[combo] === undefined) throw new Error(`Price book has no price for ${model.id} ${combo}`);
    }
  }
  return Object.freeze(merged);
}

export function combosOf(model: ModelSpec): string[] {
  return RESOLUTIONS.flatMap((r) => model.combos[r].map((d) => priceKey(r, d)));
}

/** Price in credits of a valid request, from the named price list when it has one. */
export function priceOf(book: PriceBook, model: string, resolution: string, durationSeconds: number, list?: string): number {
  const key = priceKey(resolution, durationSeconds);
  const p = (list ? book[`${list}/${model}`]?.[key] : undefined) ?? book[model]?.[key];
  if (p === undefined) throw new Error(`no price for ${model} ${priceKey(resolution, durationSeconds)}`);
  return p;
}

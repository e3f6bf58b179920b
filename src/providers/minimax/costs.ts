import type { CostBook } from '../costs.js';

/**
 * MiniMax's own prices are not in the reference (upstream-apis.md has none), so every entry is
 * null (unknown) until the operator sets it under `upstreamCosts.minimax` in the price book.
 */
export const MINIMAX_COSTS: CostBook = {
  source: 'none in reference/upstream-apis.md; set upstreamCosts.minimax in the price book',
  table: {
    't2v-768p-6s': null,
    't2v-768p-10s': null,
    't2v-1080p-6s': null,
    'i2v-768p-6s': null,
    'i2v-768p-10s': null,
    'i2v-1080p-6s': null,
    'fast-768p-6s': null,
    'fast-768p-10s': null,
    'fast-1080p-6s': null,
  },
};

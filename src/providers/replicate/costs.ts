import type { CostBook } from '../costs.js';

/**
 * Replicate's prices (reference/upstream-aggregators.md §3.9). hailuo-2.3-fast: a third-party
 * fixture of the replicate.com page's billingConfig, observed 2026-10-05 (S; a tracker logged a
 * pending change of 768p/6 s to $0.21). hailuo-2.3: no source found, so null (unknown) until the
 * operator sets it under `upstreamCosts.replicate` in the price book.
 */
export const REPLICATE_COSTS: CostBook = {
  source: 'replicate.com billingConfig via a third-party fixture (observed 2026-10-05); hailuo-2.3 unknown',
  table: {
    't2v-768p-6s': null,
    't2v-768p-10s': null,
    't2v-1080p-6s': null,
    'i2v-768p-6s': null,
    'i2v-768p-10s': null,
    'i2v-1080p-6s': null,
    'fast-768p-6s': 0.19,
    'fast-768p-10s': 0.32,
    'fast-1080p-6s': 0.33,
  },
};

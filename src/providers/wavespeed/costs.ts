import type { CostBook } from '../costs.js';

/**
 * WaveSpeed's published prices (reference/upstream-aggregators.md §1.8: WaveSpeed docs pages,
 * stored copy read 2026-11; flat per clip). fast-pro has no published price (the stored page has
 * no price line; third parties show $0.33, used here and marked as such). Live quotes:
 * `POST /api/v3/model/price`.
 */
export const WAVESPEED_COSTS: CostBook = {
  source: 'wavespeed.ai docs pages (stored copy, read 2026-11-29); fast-pro from third parties',
  table: {
    't2v-768p-6s': 0.23,
    't2v-768p-10s': 0.56,
    't2v-1080p-6s': 0.49,
    'i2v-768p-6s': 0.28,
    'i2v-768p-10s': 0.56,
    'i2v-1080p-6s': 0.49,
    'fast-768p-6s': 0.19,
    'fast-768p-10s': 0.32,
    'fast-1080p-6s': 0.33,
  },
};

import type { CostBook } from '../costs.js';

/** fal's published prices (reference/upstream-aggregators.md §2.9: fal model pages' llms.txt, stored copy read 2026-11). */
export const FAL_COSTS: CostBook = {
  source: 'fal.ai model pages llms.txt (stored copy, read 2026-11-29)',
  table: {
    't2v-768p-6s': 0.28,
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

/**
 * When to ask MiniMax about a task again. Asking every few seconds from the start is what makes
 * peers' pollers melt (peers.md §4 #5: 1,000 tasks × 1 s serial sleep = 16.7 min per round); a
 * generation takes minutes, so the first question waits for most of the model's typical time and
 * later ones back off from MiniMax's recommended 10 s interval.
 */
export interface PollSchedule {
  /** First poll at this fraction of the model's typical time. */
  firstFraction: number;
  /** Interval after the first poll; MiniMax recommends 10 s. */
  minIntervalMs: number;
  /** Interval ceiling for tasks that take much longer than typical. */
  maxIntervalMs: number;
  /** Each later interval is this much longer than the one before. */
  growth: number;
  /** ± this fraction of random spread, so jobs submitted together do not poll together. */
  jitter: number;
}

/**
 * 0.6 × typical, then 10, 12.5, 15.6, 19.5, 24.4 … 60 s. A 180 s job (typical 180 s) is asked at
 * 108, 118, 130, 146, 166 and 190 s: 6 status calls, found done ≤ 10 s late. A Fast job
 * (typical 90 s) finishing at 90 s: 54, 64, 76, 92 → 4 calls. A fixed 10 s poller makes 18
 * calls for the same 180 s job, and one every 5 s makes 36.
 */
export const DEFAULT_POLL_SCHEDULE: Readonly<PollSchedule> = Object.freeze({
  firstFraction: 0.6,
  minIntervalMs: 10_000,
  maxIntervalMs: 60_000,
  growth: 1.25,
  jitter: 0.1,
});

/**
 * Milliseconds until the next status poll of a task that has had `pollsSoFar` polls.
 *
 * @example
 * pollDelayMs(180_000, 0, DEFAULT_POLL_SCHEDULE, () => 0.5) // 108000
 * pollDelayMs(180_000, 1, DEFAULT_POLL_SCHEDULE, () => 0.5) // 10000
 * pollDelayMs(180_000, 9, DEFAULT_POLL_SCHEDULE, () => 0.5) // 59605 (then 60000 from the 10th on)
 */
export function pollDelayMs(typicalMs: number, pollsSoFar: number, s: PollSchedule, random: () => number = Math.random): number {
  const base =
    pollsSoFar <= 0
      ? Math.max(s.minIntervalMs, typicalMs * s.firstFraction)
      : Math.min(s.maxIntervalMs, s.minIntervalMs * s.growth ** (pollsSoFar - 1));
  return Math.round(base * (1 + s.jitter * (2 * random() - 1)));
}

/**
 * When to ask an upstream about a task again. Asking every few seconds from the start is what
 * makes peers' pollers melt (peers.md §4 #5: 1,000 tasks × 1 s serial sleep = 16.7 min per round);
 * a generation takes minutes and most finish close to the model's typical time, so the polls are
 * spent there: none before 0.9 × typical, one every 0.045 × typical (at least 10 s on MiniMax)
 * until 1.4 × typical (where nearly every task has finished), then backing off for stragglers.
 */
export interface PollSchedule {
  /** First poll at this fraction of the model's typical time. */
  firstFraction: number;
  /** Interval while completions are likely, as a fraction of the typical time (floored at `minIntervalMs`). */
  denseFraction: number;
  /** The dense polling lasts until this fraction of the typical time; later intervals grow. */
  denseUntilFraction: number;
  /** Floor of every interval; MiniMax recommends 10 s. */
  minIntervalMs: number;
  /** Interval ceiling for tasks that take much longer than typical. */
  maxIntervalMs: number;
  /** After the dense window, each interval is this much longer than the one before. */
  growth: number;
  /** ± this fraction of random spread (of one dense interval for the first poll), so jobs submitted together do not poll together. */
  jitter: number;
}

/**
 * Worked out in numbers (Monte Carlo of 20,000 completions; bench/upstreams.ts measures the same
 * end to end): completion times log-normal around the typical time T. Polls at 0.9 T, then every
 * 0.045 T to 1.4 T, then × 1.5 up to the ceiling. The floor decides the dense interval: MiniMax
 * (10 s) asks a 180 s job at 162, 172, 182 … s; the aggregators (5 s floor) at 162, 170.1,
 * 178.2 … s.
 *
 * | spread σ | MiniMax: calls/job; lag mean | aggregators | before (0.6 T, then 10 s / 5 s × 1.25) |
 * |---|---|---|---|
 * | 0.10 (p5–p95 152–213 s) | 3.45; 5.6 s | 3.92; 4.7 s | 6.1; 13.7 s / 8.2; 11.2 s (at σ 0.15) |
 * | 0.15 (p5–p95 141–230 s) | 3.71; 7.1 s | 4.25; 6.3 s | |
 *
 * The goal (lag mean ≤ 6 s with ≤ 4 calls) holds while completions cluster within about ±10 % of
 * T. No schedule of this shape meets it at σ 0.15: the search over first poll 0.6–0.95 T, dense
 * interval 0.02–0.09 T, window end 0.9–1.5 T, growth 1.25–2 found 6.7 s at best with ≤ 4 calls.
 * A 0.055 T interval (9.9 s) costs the aggregators 0.8 s more lag for 0.45 fewer calls; starting
 * at 0.8 T costs a whole call per job for the few that finish that early.
 */
export const DEFAULT_POLL_SCHEDULE: Readonly<PollSchedule> = Object.freeze({
  firstFraction: 0.9,
  denseFraction: 0.045,
  denseUntilFraction: 1.4,
  minIntervalMs: 10_000,
  maxIntervalMs: 60_000,
  growth: 1.5,
  jitter: 0.1,
});

/** The interval after poll number `n` (1-based) without jitter, in ms. */
function intervalAfter(typicalMs: number, n: number, s: PollSchedule): number {
  let at = Math.max(s.minIntervalMs, typicalMs * s.firstFraction);
  let interval = Math.min(s.maxIntervalMs, Math.max(s.minIntervalMs, typicalMs * s.denseFraction));
  for (let k = 1; ; k++) {
    // Past the dense window each interval grows (to the ceiling after a few).
    if (at >= typicalMs * s.denseUntilFraction) interval = Math.min(s.maxIntervalMs, interval * s.growth);
    if (k === n || interval >= s.maxIntervalMs) return interval;
    at += interval;
  }
}

/**
 * Milliseconds until the next status poll of a task that has had `pollsSoFar` polls.
 *
 * @example
 * pollDelayMs(180_000, 0, DEFAULT_POLL_SCHEDULE, () => 0.5) // 162000
 * pollDelayMs(180_000, 1, DEFAULT_POLL_SCHEDULE, () => 0.5) // 10000 (dense: 0.045 × 180 s is under MiniMax's 10 s floor)
 * pollDelayMs(180_000, 10, DEFAULT_POLL_SCHEDULE, () => 0.5) // 15000 (the 10th poll, at 252 s, ends the dense window)
 */
export function pollDelayMs(typicalMs: number, pollsSoFar: number, s: PollSchedule, random: () => number = Math.random): number {
  const dense = Math.min(s.maxIntervalMs, Math.max(s.minIntervalMs, typicalMs * s.denseFraction));
  const base = pollsSoFar <= 0 ? Math.max(s.minIntervalMs, typicalMs * s.firstFraction) : intervalAfter(typicalMs, pollsSoFar, s);
  // The first poll's spread is a fraction of one dense interval, not of the whole wait: ±10 % of
  // 162 s would move it ±16 s, across two of the dense polls it is meant to line up with.
  const spread = pollsSoFar <= 0 ? Math.min(base, dense) : base;
  return Math.round(base + spread * s.jitter * (2 * random() - 1));
}

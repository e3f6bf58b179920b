/**
 * The number a reseller runs on: revenue (credits charged for live videos × usdPerCredit) against
 * what the upstreams charged for them, per day, model and provider. Only completed live jobs count:
 * test jobs earn nothing and cost nothing, and a failed job is refunded to the customer (its
 * upstream cost, if any, shows up as `uncosted` only when the provider's table has none).
 */
import type { Queryable } from '../db/index.js';
import { AppError } from '../errors.js';

export interface MarginRow {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  model: string;
  provider: string;
  jobs: number;
  credits: number;
  revenueUsd: number;
  costUsd: number;
  marginUsd: number;
  /** Margin over revenue, 0–1 (negative when selling below cost); null without revenue. */
  marginRatio: number | null;
  /** Jobs whose provider had no cost for their variant: their cost is missing from `costUsd`. */
  uncosted: number;
}

export interface MarginReport {
  since: string;
  usdPerCredit: number;
  rows: MarginRow[];
  totals: Omit<MarginRow, 'day' | 'model' | 'provider'>;
}

/**
 * `7d`, `24h`, `90m` or an ISO date/time → the instant it names; anything else is a 400.
 *
 * @example
 * parseSince('7d', Date.parse('2026-11-29T00:00:00Z')).toISOString(); // '2026-11-22T00:00:00.000Z'
 */
export function parseSince(since: string, nowMs = Date.now()): Date {
  const rel = /^(\d{1,5})([dhm])$/.exec(since.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd' | 'h' | 'm'];
    return new Date(nowMs - Number(rel[1]) * unit);
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(since) ? new Date(since) : new Date(NaN);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 2000 || at.getUTCFullYear() > 9999) {
    throw new AppError('validation_error', 'since must be like 7d, 24h, 90m or an ISO date (2026-11-01)', { fields: { since: ['Invalid'] } });
  }
  return at;
}

const money = (x: number) => Math.round(x * 10_000) / 10_000;

function finish(base: { jobs: number; credits: number; costUsd: number; uncosted: number }, usdPerCredit: number): Omit<MarginRow, 'day' | 'model' | 'provider'> {
  const revenueUsd = money(base.credits * usdPerCredit);
  const costUsd = money(base.costUsd);
  const marginUsd = money(revenueUsd - costUsd);
  return { ...base, revenueUsd, costUsd, marginUsd, marginRatio: revenueUsd > 0 ? Math.round((marginUsd / revenueUsd) * 1000) / 1000 : null };
}

/**
 * @example
 * const r = await marginReport(db, { since: parseSince('7d'), usdPerCredit: 0.01 });
 * // r.rows[0] → { day: '2026-11-28', model: 'hailuo-2.3', provider: 'minimax', jobs: 3, revenueUsd: 1.44, costUsd: 0.84, … }
 */
export async function marginReport(q: Queryable, o: { since: Date; usdPerCredit: number }): Promise<MarginReport> {
  const { rows } = await q.query<{ day: string; model: string; provider: string; jobs: number; credits: string; cost: string; uncosted: number }>(
    `SELECT to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model, COALESCE(provider, 'unknown') AS provider,
            count(*)::int AS jobs, COALESCE(sum(price), 0)::text AS credits, COALESCE(sum(upstream_cost_usd), 0)::text AS cost,
            count(*) FILTER (WHERE upstream_cost_usd IS NULL)::int AS uncosted
       FROM jobs WHERE mode = 'live' AND state = 'completed' AND completed_at >= $1
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [o.since],
  );
  const out = rows.map((r) => ({
    day: r.day,
    model: r.model,
    provider: r.provider,
    ...finish({ jobs: r.jobs, credits: Number(r.credits), costUsd: Number(r.cost), uncosted: r.uncosted }, o.usdPerCredit),
  }));
  const sum = (k: 'jobs' | 'credits' | 'costUsd' | 'uncosted') => out.reduce((a, r) => a + r[k], 0);
  return {
    since: o.since.toISOString(),
    usdPerCredit: o.usdPerCredit,
    rows: out,
    totals: finish({ jobs: sum('jobs'), credits: sum('credits'), costUsd: sum('costUsd'), uncosted: sum('uncosted') }, o.usdPerCredit),
  };
}

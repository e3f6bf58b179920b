/**
 * Provider health in numbers, from `provider_events` (012_provider_events.sql): what each upstream
 * did for our jobs over the last hour and day. Routing reads the last hour's success rate from a
 * snapshot in memory (refreshed with the cooldowns), never per request.
 */
import type { Queryable } from '../db/index.js';

export type ProviderEvent = 'accepted' | 'refused' | 'succeeded' | 'failed';

/**
 * Records one event; call it in the transaction that moves the job where there is one.
 *
 * @example
 * await recordProviderEvent(q, { provider: 'fal', model: 'hailuo-2.3', jobId, event: 'accepted', ms: 840 });
 */
export async function recordProviderEvent(
  q: Queryable,
  e: { provider: string; model: string; jobId: string | null; event: ProviderEvent; errorClass?: string | null; ms?: number | null },
): Promise<void> {
  await q.query('INSERT INTO provider_events (provider, model, job_id, event, error_class, ms) VALUES ($1, $2, $3, $4, $5, $6)', [
    e.provider,
    e.model,
    e.jobId,
    e.event,
    e.errorClass ?? null,
    e.ms === undefined || e.ms === null ? null : Math.max(0, Math.round(e.ms)),
  ]);
}

export interface ProviderStats {
  provider: string;
  model: string;
  window: '1h' | '24h';
  /** Creates answered (accepted or refused). */
  submits: number;
  accepted: number;
  succeeded: number;
  failed: number;
  /** Videos delivered over tasks that ended (succeeded + failed) plus refused creates; null without any. */
  successRate: number | null;
  acceptMsP50: number | null;
  acceptMsP95: number | null;
  generationMsP50: number | null;
  generationMsP95: number | null;
  /** Refusals and failures by our error class (`upstream_error`, `rate_limited`, `content_policy`, …). */
  errors: Record<string, number>;
}

const WINDOWS = { '1h': 3600, '24h': 86_400 } as const;

/**
 * Per provider and model, for each window.
 *
 * @example
 * const rows = await providerStats(db); // [{ provider: 'minimax', model: 'hailuo-2.3', window: '1h', successRate: 0.97, … }]
 */
export async function providerStats(q: Queryable): Promise<ProviderStats[]> {
  const out: ProviderStats[] = [];
  for (const [window, seconds] of Object.entries(WINDOWS) as ['1h' | '24h', number][]) {
    const { rows } = await q.query<{
      provider: string;
      model: string;
      accepted: number;
      refused: number;
      succeeded: number;
      failed: number;
      a50: number | null;
      a95: number | null;
      g50: number | null;
      g95: number | null;
      errors: Record<string, number> | null;
    }>(
      `WITH e AS (SELECT * FROM provider_events WHERE at > now() - make_interval(secs => $1))
       SELECT provider, model,
              count(*) FILTER (WHERE event = 'accepted')::int AS accepted,
              count(*) FILTER (WHERE event = 'refused')::int AS refused,
              count(*) FILTER (WHERE event = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE event = 'failed')::int AS failed,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE event = 'accepted') AS a50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE event = 'accepted') AS a95,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE event = 'succeeded') AS g50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE event = 'succeeded') AS g95,
              (SELECT jsonb_object_agg(c, n) FROM (SELECT error_class AS c, count(*)::int AS n FROM e e2
                 WHERE e2.provider = e.provider AND e2.model = e.model AND e2.error_class IS NOT NULL GROUP BY 1) x) AS errors
         FROM e GROUP BY provider, model ORDER BY provider, model`,
      [seconds],
    );
    for (const r of rows) {
      const ended = r.succeeded + r.failed + r.refused;
      const ms = (x: number | null) => (x === null ? null : Math.round(Number(x)));
      out.push({
        provider: r.provider,
        model: r.model,
        window,
        submits: r.accepted + r.refused,
        accepted: r.accepted,
        succeeded: r.succeeded,
        failed: r.failed,
        successRate: ended ? Math.round((r.succeeded / ended) * 1000) / 1000 : null,
        acceptMsP50: ms(r.a50),
        acceptMsP95: ms(r.a95),
        generationMsP50: ms(r.g50),
        generationMsP95: ms(r.g95),
        errors: r.errors ?? {},
      });
    }
  }
  return out;
}

/** Providers that already refused or failed this job before accepting it (failover skips them). */
export async function providersTried(q: Queryable, jobId: string): Promise<string[]> {
  const { rows } = await q.query<{ provider: string }>(
    `SELECT DISTINCT provider FROM provider_events WHERE job_id = $1 AND event = 'refused'`,
    [jobId],
  );
  return rows.map((r) => r.provider);
}

/** Deletes events past the longest window plus a day (run by the sweeper). */
export async function pruneProviderEvents(q: Queryable): Promise<void> {
  await q.query(`DELETE FROM provider_events WHERE at < now() - interval '2 days'`);
}

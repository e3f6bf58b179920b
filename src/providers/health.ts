/**
 * Which upstream providers are resting after an answer that will not improve by retrying at once
 * ("bad key", "no balance"). The verdict is written to the database so that every process agrees:
 * API processes stop routing new jobs there, worker processes stop submitting queued ones.
 * Reads are served from memory (routing is on the submit path) and refreshed on a timer.
 */
import type { Db } from '../db/index.js';

export interface Cooldown {
  /** Epoch milliseconds when the provider may be tried again. */
  until: number;
  /** Operator-facing reason, e.g. "upstream_auth: MiniMax refused the API key (2049 invalid api key)". */
  reason: string;
}

/**
 * @example
 * const health = new ProviderHealth(db, 300_000);
 * await health.mark('minimax', 'upstream_auth: invalid api key');
 * health.cooldown('minimax'); // { until: …, reason: 'upstream_auth: …' } for the next 5 minutes
 */
export class ProviderHealth {
  private readonly resting = new Map<string, Cooldown>();
  /** `provider model` → last hour's success rate, refreshed with the cooldowns. */
  private rates = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db | null,
    /** How long a provider rests after being marked. */
    readonly cooldownMs: number,
  ) {}

  /** The provider's cooldown if it is resting now, else null. */
  cooldown(provider: string): Cooldown | null {
    const c = this.resting.get(provider);
    if (!c) return null;
    if (c.until <= Date.now()) {
      this.resting.delete(provider);
      return null;
    }
    return c;
  }

  /** The provider's success rate for the model over the last hour (0–1), or null when unknown. */
  successRate(provider: string, model: string): number | null {
    return this.rates.get(`${provider} ${model}`) ?? null;
  }

  /** Puts `provider` to rest for the cooldown (or `forMs`), here at once and in every other process within one refresh. */
  async mark(provider: string, reason: string, forMs = this.cooldownMs): Promise<void> {
    const until = Date.now() + forMs;
    const prev = this.resting.get(provider);
    if (!prev || prev.until < until) this.resting.set(provider, { until, reason });
    await this.db?.query(
      `INSERT INTO provider_health (provider, unhealthy_until, reason) VALUES ($1, $2, $3)
       ON CONFLICT (provider) DO UPDATE SET unhealthy_until = GREATEST(provider_health.unhealthy_until, EXCLUDED.unhealthy_until),
              reason = EXCLUDED.reason, updated_at = now()`,
      [provider, new Date(until), reason.slice(0, 500)],
    );
  }

  /** Ends a rest early (an operator fixed the key). */
  async clear(provider: string): Promise<void> {
    this.resting.delete(provider);
    await this.db?.query('DELETE FROM provider_health WHERE provider = $1', [provider]);
  }

  /** Loads every current cooldown from the database. */
  async refresh(): Promise<void> {
    if (!this.db) return;
    const { rows } = await this.db.query<{ provider: string; unhealthy_until: Date; reason: string }>(
      'SELECT provider, unhealthy_until, reason FROM provider_health WHERE unhealthy_until > now()',
    );
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.provider);
      this.resting.set(r.provider, { until: r.unhealthy_until.getTime(), reason: r.reason });
    }
    for (const name of [...this.resting.keys()]) if (!seen.has(name)) this.resting.delete(name);
    // Delivered over ended in the last hour: one small aggregate over an indexed window.
    const { rows: rates } = await this.db.query<{ provider: string; model: string; rate: number }>(
      `SELECT provider, model,
              (count(*) FILTER (WHERE event = 'succeeded'))::float8 / count(*) AS rate
         FROM provider_events WHERE at > now() - interval '1 hour' AND event IN ('succeeded', 'failed', 'refused')
        GROUP BY 1, 2`,
    );
    this.rates = new Map(rates.map((r) => [`${r.provider} ${r.model}`, Number(r.rate)]));
  }

  /**
   * Refreshes every `everyMs` until `stop()`. 5 s keeps API processes at most one refresh behind a
   * worker's verdict, for one indexed read of a table with one row per provider.
   */
  start(everyMs = 5000): void {
    if (this.timer || !this.db) return;
    this.timer = setInterval(() => void this.refresh().catch(() => {}), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

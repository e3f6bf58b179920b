/**
 * A request budget for one upstream provider, shared by every worker process through the
 * database: at most `perWindow[bucket]` calls in ANY sliding window of `windowMs`, and at most
 * `maxConcurrent` calls in flight at once. A caller that does not fit is told when to come back;
 * it is never made to fail.
 *
 * Why a sliding log and not a fixed per-minute counter (like `rate_windows`): a fixed window lets
 * 2× the limit through across a boundary (20 calls at 0:59, 20 more at 1:01), and the upstream's
 * own limiter may slide. The log holds at most `limit + maxConcurrent` rows per bucket, so the
 * count stays cheap.
 *
 * Why a call counts from its admission until one window after it ENDED, not after it started:
 * the upstream sees a call somewhere between the two, and a call admitted at t=0 but delayed on
 * the way (a busy event loop, a slow connect) could otherwise land in the same upstream window as
 * calls admitted at t=W. Counting to the end makes "≤ limit in any window" hold at the upstream,
 * whatever the delays: every call the upstream saw within one window had not ended a window
 * before the last of them was admitted, so that admission counted them all.
 */
import type { Db, Queryable } from '../db/index.js';

export interface BudgetLimits {
  /** Length of the rate window (60 000 for "per minute"; tests shorten it). */
  windowMs: number;
  /** Calls allowed per window, by bucket (e.g. `{ submit: 20, status: 120 }`). */
  perWindow: Readonly<Record<string, number>>;
  /** Calls in flight at once across every bucket and process. */
  maxConcurrent: number;
  /** A call not reported done after this long stops counting as in flight (its process died). */
  callTtlMs: number;
}

/** A granted call (report it done with `release`), or a refusal saying when to come back. */
export type Admission =
  | { ok: true; release(outcome?: 'done' | 'abandoned'): Promise<void> }
  | { ok: false; retryInMs: number; reason: 'rate' | 'blocked' | 'concurrency' };

/**
 * Called inside a refusal, under the budget's lock: reschedules the OTHER work already due for
 * `bucket` to one slot each after `from` (one statement for the whole backlog, instead of every
 * job being claimed, refused and rescheduled on its own), and returns how many it moved.
 */
export type BacklogSpreader = (q: Queryable, bucket: string, from: Date, spacingMs: number) => Promise<number>;

/**
 * Longest wait for a local concurrency slot before the caller is given an appointment instead:
 * long enough to ride out a burst (a call takes ~0.1-1 s), short against a 30 s job lease.
 */
const LOCAL_WAIT_MS = 2000;

/** Waits for a local slot so that callers of one process queue in memory, not on a database lock. */
class Semaphore {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(signal: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason as Error);
      };
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  give(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

type Refusal = Extract<Admission, { ok: false }>;

interface BudgetRow {
  bucket: string;
  blocked_until: Date | null;
  next_slot_at: Date | null;
  now: Date;
}

/**
 * @example
 * const budget = new ProviderBudget(db, 'minimax', { windowMs: 60_000, perWindow: { status: 120 }, maxConcurrent: 8, callTtlMs: 60_000 });
 * const a = await budget.acquire('status', signal);
 * if (!a.ok) return deferFor(a.retryInMs);
 * try { await callUpstream(); } finally { await a.release(); }
 */
export class ProviderBudget {
  private readonly local: Semaphore;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    readonly provider: string,
    readonly limits: BudgetLimits,
    private readonly spread?: BacklogSpreader,
  ) {
    this.local = new Semaphore(limits.maxConcurrent);
  }

  private ensureRows(): Promise<void> {
    this.ready ??= this.db
      .query(`INSERT INTO provider_budgets (provider, bucket) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [
        this.provider,
        Object.keys(this.limits.perWindow),
      ])
      .then(() => undefined);
    return this.ready;
  }

  /**
   * Takes one call's worth of budget, or says when to come back. Every refusal, whatever its
   * cause (rate, an upstream block, all slots busy), hands out an appointment one slot after the
   * previous one and moves the work already due behind it (`BacklogSpreader`): 1,000 refused jobs
   * come back one slot apart instead of together, and cost one statement instead of 1,000.
   */
  async acquire(bucket: string, signal: AbortSignal): Promise<Admission> {
    const limit = this.limits.perWindow[bucket];
    if (limit === undefined) throw new Error(`unknown budget bucket ${bucket}`);
    await this.ensureRows();
    // Waiting in memory is cheap, but not for long: the caller holds a job lease meanwhile.
    const waited = AbortSignal.any([signal, AbortSignal.timeout(LOCAL_WAIT_MS)]);
    try {
      await this.local.take(waited);
    } catch (err) {
      if (signal.aborted) throw err;
      return this.db.tx((q) => this.admit(q, bucket, limit, true)) as Promise<Admission>;
    }
    try {
      const got = await this.db.tx((q) => this.admit(q, bucket, limit, false));
      if (typeof got === 'string') return { ok: true, release: this.releaser(got) };
      this.local.give();
      return got;
    } catch (err) {
      this.local.give();
      throw err;
    }
  }

  /** After an upstream "rate limited" answer: nobody calls `bucket` for `forMs` (every process). */
  async block(bucket: string, forMs: number): Promise<void> {
    await this.ensureRows();
    await this.db.query(
      `UPDATE provider_budgets
          SET blocked_until = GREATEST(COALESCE(blocked_until, clock_timestamp()), clock_timestamp() + make_interval(secs => $3))
        WHERE provider = $1 AND bucket = $2`,
      [this.provider, bucket, forMs / 1000],
    );
  }

  /**
   * One admission decision under the provider's row locks (every process takes turns here).
   * Returns the new call's id, or a refusal with its appointment.
   */
  private async admit(q: Queryable, bucket: string, limit: number, busyHere: boolean): Promise<string | Refusal> {
    const { rows } = await q.query<BudgetRow>(
      `SELECT bucket, blocked_until, next_slot_at, clock_timestamp() AS now FROM provider_budgets WHERE provider = $1 ORDER BY bucket FOR UPDATE`,
      [this.provider],
    );
    const row = rows.find((r) => r.bucket === bucket);
    if (!row) throw new Error(`budget row missing for ${this.provider}/${bucket}`);
    const now = row.now.getTime();
    const window = this.limits.windowMs;
    const spacing = window / limit;
    const since = new Date(now - window);
    // A call without `ended_at` is in flight (or its process died): it counts until `expires_at`.
    await q.query(
      `DELETE FROM provider_calls WHERE provider = $1 AND COALESCE(ended_at, expires_at) < $2 AND (done_at IS NOT NULL OR expires_at < $3)`,
      [this.provider, since, row.now],
    );
    const { rows: c } = await q.query<{ used: number; oldest: Date | null; inflight: number }>(
      `SELECT count(*) FILTER (WHERE bucket = $2 AND COALESCE(ended_at, expires_at) >= $3)::int AS used,
              min(ended_at) FILTER (WHERE bucket = $2 AND ended_at >= $3) AS oldest,
              count(*) FILTER (WHERE done_at IS NULL AND expires_at >= $4)::int AS inflight
         FROM provider_calls WHERE provider = $1`,
      [this.provider, bucket, since, row.now],
    );
    const { used = 0, oldest = null, inflight = 0 } = c[0] ?? {};
    let refusal: { freeAt: number; reason: Refusal['reason'] } | null = null;
    if (row.blocked_until && row.blocked_until.getTime() > now) refusal = { freeAt: row.blocked_until.getTime(), reason: 'blocked' };
    // The earliest ended call leaves the window first; if all are still in flight, one slot on.
    else if (used >= limit) refusal = { freeAt: oldest ? oldest.getTime() + window : now + spacing, reason: 'rate' };
    else if (busyHere || inflight >= this.limits.maxConcurrent) refusal = { freeAt: now + spacing, reason: 'concurrency' };
    if (refusal) {
      const slot = Math.max(refusal.freeAt, row.next_slot_at?.getTime() ?? 0);
      const moved = this.spread ? await this.spread(q, bucket, new Date(slot), spacing) : 0;
      await q.query(`UPDATE provider_budgets SET next_slot_at = $3 WHERE provider = $1 AND bucket = $2`, [
        this.provider,
        bucket,
        new Date(slot + (moved + 1) * spacing),
      ]);
      return { ok: false, retryInMs: Math.max(1, slot - now), reason: refusal.reason };
    }
    const { rows: ins } = await q.query<{ id: string }>(
      `INSERT INTO provider_calls (provider, bucket, started_at, expires_at)
       VALUES ($1, $2, clock_timestamp(), clock_timestamp() + make_interval(secs => $3)) RETURNING id::text AS id`,
      [this.provider, bucket, this.limits.callTtlMs / 1000],
    );
    return ins[0]!.id;
  }

  private releaser(id: string): (outcome?: 'done' | 'abandoned') => Promise<void> {
    let released = false;
    return async (outcome = 'done') => {
      if (released) return;
      released = true;
      this.local.give();
      // An abandoned call (timed out, aborted) may still be running upstream: it keeps its
      // concurrency slot until its TTL instead of letting a new call pile onto a struggling server.
      const sql =
        outcome === 'abandoned'
          ? 'UPDATE provider_calls SET ended_at = clock_timestamp() WHERE id = $1'
          : 'UPDATE provider_calls SET ended_at = clock_timestamp(), done_at = clock_timestamp() WHERE id = $1';
      await this.db.query(sql, [id]).catch(() => {
        /* the row's TTL frees the slot anyway */
      });
    };
  }
}

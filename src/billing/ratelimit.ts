/**
 * The plan's per-minute request limit, without a database write per request.
 *
 * Counted per account AND mode (`${accountId}:${mode}`), never per key: minting more keys must not
 * multiply the limit. Windows are calendar minutes, as before.
 *
 * - Embedded (PGlite, one process): counted in memory. Exact.
 * - Server (PostgreSQL, N API processes): each process counts in memory and adds its counts to the
 *   UNLOGGED `rate_counts` table in ONE statement for all its busy buckets, at most every
 *   `flushMs`, reading back the shared totals. Between flushes a process admits at most its share
 *   of what remains, `ceil(remaining / shareDivisor)` (one while its view is stale); past that it
 *   waits for the next flush (one round trip shared by every waiting request) and decides on the
 *   fresh total. It never refuses below the limit (its view of the total only lags behind), and
 *   what N processes can admit beyond it is what they admit in the same flush interval near the
 *   end of the budget: with N ≤ shareDivisor, about N − 1 requests (each holds one rounding's
 *   worth). docs/performance.md has the measurements and why not Redis.
 */
import type { Db } from '../db/index.js';
import type { RateDecision } from './limits.js';

export interface RateLimiter {
  /** Counts one request of `bucket` (`${accountId}:${mode}`) against `limitPerMinute`. */
  take(bucket: string, limitPerMinute: number, nowMs?: number): Promise<RateDecision>;
  stop(): Promise<void>;
}

const WINDOW_MS = 60_000;

function decision(allowed: boolean, limit: number, used: number, windowStart: number, nowMs: number): RateDecision {
  return {
    allowed,
    limit,
    remaining: Math.max(0, limit - used),
    resetSeconds: Math.max(1, Math.ceil((windowStart + WINDOW_MS - nowMs) / 1000)),
  };
}

/**
 * One process's exact counter (the embedded default).
 *
 * @example
 * const d = await new MemoryRateLimiter().take('acct_…:test', 60); if (!d.allowed) reply 429
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, { window: number; count: number }>();
  private lastSweep = 0;

  async take(bucket: string, limitPerMinute: number, nowMs = Date.now()): Promise<RateDecision> {
    const window = Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
    if (window !== this.lastSweep) {
      // A new minute: forget the old ones, so idle accounts do not accumulate.
      for (const [k, v] of this.counts) if (v.window < window) this.counts.delete(k);
      this.lastSweep = window;
    }
    let c = this.counts.get(bucket);
    if (!c || c.window !== window) {
      c = { window, count: 0 };
      this.counts.set(bucket, c);
    }
    if (c.count >= limitPerMinute) return decision(false, limitPerMinute, c.count, window, nowMs);
    c.count++;
    return decision(true, limitPerMinute, c.count, window, nowMs);
  }

  async stop(): Promise<void> {
    this.counts.clear();
  }
}

interface Shared {
  window: number;
  /** The shared total as last read back (includes what this process flushed). */
  synced: number;
  syncedAt: number;
  /** Admitted here, being added by the flush in flight. */
  inflight: number;
  /** Admitted here, not yet sent. */
  unsynced: number;
}

export interface SharedRateLimiterOptions {
  /** How long admitted counts may wait before they are sent (the batching interval). */
  flushMs?: number;
  /** A process admits at most remaining ÷ this between flushes: the bound holds for up to this many processes. */
  shareDivisor?: number;
}

/**
 * The counter shared by API processes on a PostgreSQL server, with batched writes.
 *
 * @example
 * const limiter = new SharedRateLimiter(db); const d = await limiter.take(`${p.accountId}:${p.mode}`, p.rateLimitPerMinute);
 */
export class SharedRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Shared>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly shareDivisor: number;
  private stopped = false;
  /** Buckets a request waits on: refreshed by the next flush even with nothing to add. */
  private readonly wanted = new Set<string>();

  constructor(
    private readonly db: Db,
    opts: SharedRateLimiterOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 100;
    this.shareDivisor = opts.shareDivisor ?? 8;
  }

  async take(bucket: string, limitPerMinute: number, nowMs = Date.now()): Promise<RateDecision> {
    const window = Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
    for (;;) {
      let b = this.buckets.get(bucket);
      if (!b || b.window !== window) {
        b = { window, synced: 0, syncedAt: 0, inflight: 0, unsynced: 0 };
        this.buckets.set(bucket, b);
      }
      const used = b.synced + b.inflight + b.unsynced;
      if (used >= limitPerMinute) return decision(false, limitPerMinute, used, window, nowMs);
      // A view older than two flush intervals may miss what other processes admitted since.
      const fresh = Date.now() - b.syncedAt <= 2 * this.flushMs + 50;
      const share = fresh ? Math.max(1, Math.ceil((limitPerMinute - b.synced - b.inflight) / this.shareDivisor)) : 1;
      if (b.unsynced < share) {
        b.unsynced++;
        this.schedule();
        return decision(true, limitPerMinute, used + 1, window, nowMs);
      }
      this.wanted.add(bucket);
      await this.flushNow();
    }
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushNow().catch(() => {});
    }, this.flushMs);
    this.timer.unref();
  }

  /** Sends every bucket's unsent counts in one statement and reads the totals back. */
  private flushNow(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.hasUnsynced() ? this.flushNow() : undefined));
    const run = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    this.flushing = run;
    return run;
  }

  private hasUnsynced(): boolean {
    for (const b of this.buckets.values()) if (b.unsynced > 0) return true;
    return false;
  }

  private async flushOnce(): Promise<void> {
    const current = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    const names: string[] = [];
    const windows: Date[] = [];
    const deltas: number[] = [];
    for (const [name, b] of this.buckets) {
      if (b.window < current - WINDOW_MS) {
        this.buckets.delete(name); // long past: nothing to decide on it any more
        continue;
      }
      if (b.unsynced === 0 && !this.wanted.has(name)) continue;
      names.push(name);
      windows.push(new Date(b.window));
      deltas.push(b.unsynced); // 0 only refreshes the shared total, for a request waiting on it
      b.inflight += b.unsynced;
      b.unsynced = 0;
    }
    this.wanted.clear();
    if (names.length === 0) return;
    const sentAt = Date.now();
    try {
      const { rows } = await this.db.query<{ bucket: string; window_start: Date; count: number }>(
        `INSERT INTO rate_counts (bucket, window_start, count)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[])
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counts.count + EXCLUDED.count
         RETURNING bucket, window_start, count`,
        [names, windows, deltas],
      );
      const total = new Map(rows.map((r) => [`${r.bucket}|${r.window_start.getTime()}`, r.count]));
      names.forEach((name, i) => {
        const b = this.buckets.get(name);
        if (!b || b.window !== windows[i]!.getTime()) return;
        b.inflight -= deltas[i]!;
        b.synced = Math.max(b.synced, total.get(`${name}|${b.window}`) ?? 0);
        b.syncedAt = sentAt;
      });
    } catch (err) {
      // Nothing was added: the counts go back to be sent with the next flush.
      names.forEach((name, i) => {
        const b = this.buckets.get(name);
        if (!b || b.window !== windows[i]!.getTime()) return;
        b.inflight -= deltas[i]!;
        b.unsynced += deltas[i]!;
      });
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushNow().catch(() => {});
  }
}

/** The limiter for this database: exact in memory on PGlite, shared and batched on a server. */
export function rateLimiterFor(db: Db): RateLimiter {
  return db.kind === 'pglite' ? new MemoryRateLimiter() : new SharedRateLimiter(db);
}

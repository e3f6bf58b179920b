/**
 * The plan's per-minute request limit, without a database write per request.
 *
 * Counted per account AND mode (`${accountId}:${mode}`), never per key: minting more keys must not
 * multiply the limit. Windows are calendar minutes, as before.
 *
 * - Embedded (PGlite, one process): counted in memory. Exact.
 * - Server (PostgreSQL, N API processes): each process reserves blocks of the minute in the
 *   UNLOGGED `rate_counts` table and admits from its block in memory: one round trip per block.
 *   Never over the limit; at most one unused block per process may be refused early (see
 *   `SharedRateLimiter`). docs/performance.md has the measurements and why not Redis. (A first
 *   version added batched counts every 100 ms and overshot by 6 of 60 on a loaded machine.)
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

interface Block {
  window: number;
  /** Reserved in the database for this process and not admitted yet. */
  left: number;
  /** The shared count after this process's last reservation (it only grows within a minute). */
  used: number;
  /** The reservation in flight, shared by every request waiting for it. */
  reserving: Promise<void> | null;
}

export interface SharedRateLimiterOptions {
  /** A process reserves remaining ÷ this at a time (at least one request). */
  shareDivisor?: number;
}

/**
 * The counter shared by API processes on a PostgreSQL server: each reserves a block of the minute
 * (`reelay_rate_reserve`, 013_rate_reserve.sql: one statement, one row lock) and admits from it in
 * memory, so a busy account costs a round trip per block, not per request. A reservation never
 * passes the limit: N processes together admit at most the plan's limit, exactly. The price is on
 * the other side: a process holds at most one unused block, `ceil(remaining / shareDivisor)`,
 * which the others cannot use that minute (they may refuse that many requests early).
 *
 * @example
 * const limiter = new SharedRateLimiter(db); const d = await limiter.take(`${p.accountId}:${p.mode}`, p.rateLimitPerMinute);
 */
export class SharedRateLimiter implements RateLimiter {
  private readonly blocks = new Map<string, Block>();
  private readonly shareDivisor: number;

  constructor(
    private readonly db: Db,
    opts: SharedRateLimiterOptions = {},
  ) {
    this.shareDivisor = opts.shareDivisor ?? 8;
  }

  async take(bucket: string, limitPerMinute: number, nowMs = Date.now()): Promise<RateDecision> {
    const window = Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
    for (;;) {
      let b = this.blocks.get(bucket);
      if (!b || b.window !== window) {
        if (!b || b.window < window) this.sweep(window);
        b = { window, left: 0, used: 0, reserving: null };
        this.blocks.set(bucket, b);
      }
      if (b.left > 0) {
        b.left--;
        return decision(true, limitPerMinute, b.used - b.left, window, nowMs);
      }
      // The shared count only grows within a minute: once it reached the limit, no query is needed.
      if (b.used >= limitPerMinute) return decision(false, limitPerMinute, b.used, window, nowMs);
      const block = b;
      block.reserving ??= this.reserve(bucket, block, limitPerMinute).finally(() => (block.reserving = null));
      await block.reserving;
      if (block.left === 0 && block.used >= limitPerMinute) return decision(false, limitPerMinute, block.used, window, nowMs);
    }
  }

  private async reserve(bucket: string, b: Block, limit: number): Promise<void> {
    const want = Math.max(1, Math.ceil((limit - b.used) / this.shareDivisor));
    const { rows } = await this.db.query<{ granted: number; used: number }>('SELECT granted, used FROM reelay_rate_reserve($1, $2, $3, $4)', [
      bucket,
      new Date(b.window),
      want,
      limit,
    ]);
    const r = rows[0];
    if (!r) return;
    b.left += r.granted;
    b.used = Number(r.used);
  }

  /** Forgets past minutes, so idle accounts do not accumulate. */
  private sweep(window: number): void {
    for (const [k, v] of this.blocks) if (v.window < window && !v.reserving) this.blocks.delete(k);
  }

  async stop(): Promise<void> {
    this.blocks.clear();
  }
}

/** The limiter for this database: exact in memory on PGlite, shared and batched on a server. */
export function rateLimiterFor(db: Db): RateLimiter {
  return db.kind === 'pglite' ? new MemoryRateLimiter() : new SharedRateLimiter(db);
}

/**
 * Verified principals, cached per process, so that a request does not cost a key lookup.
 *
 * Revocation stays immediate everywhere: the database announces every change that can alter what a
 * key resolves to (a revoked or edited key, a disabled, renamed or re-planned account, a changed
 * plan) on `reelay_principals`, from triggers (migration 009), inside the transaction that makes it.
 * Every process listens: in-process on PGlite, `LISTEN/NOTIFY` on a server. When the LISTEN
 * connection is lost, the cache is dropped whole and every request reads the database until the
 * connection is back.
 */
import type { Db } from '../db/index.js';
import { hashKey, lookupKeyByHash, wellFormedKey, type Principal } from './keys.js';

export const PRINCIPALS_CHANNEL = 'reelay_principals';

export interface PrincipalCacheOptions {
  /** Most keys kept; beyond it the oldest entry goes. */
  maxEntries?: number;
  /** A backstop only: entries are dropped by notification, not by age. */
  maxAgeMs?: number;
  /** `api_keys.last_used_at` is written at most this often per key (batched, one statement). */
  lastUsedFlushMs?: number;
}

interface Entry {
  principal: Principal;
  at: number;
}

/**
 * @example
 * const principals = new PrincipalCache(db); await principals.start();
 * const p = await principals.verify(req.headers['x-api-key']); // null → 401
 */
export class PrincipalCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Principal | null>>();
  private readonly lastUsed = new Map<string, Date>();
  private readonly changeListeners = new Set<(affects: (p: Principal) => boolean) => void>();
  /** Bumped by every invalidation: a lookup that straddles one must not be cached. */
  private generation = 0;
  private started = false;
  private unlisten: (() => Promise<void>) | undefined;
  private unlost: (() => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly lastUsedFlushMs: number;

  constructor(
    private readonly db: Db,
    opts: PrincipalCacheOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxAgeMs = opts.maxAgeMs ?? 10 * 60_000;
    this.lastUsedFlushMs = opts.lastUsedFlushMs ?? 60_000;
  }

  async start(): Promise<void> {
    this.unlisten = await this.db.listen(PRINCIPALS_CHANNEL, (payload) => this.invalidate(payload));
    this.unlost = this.db.onListenLost(() => this.clear());
    this.flushTimer = setInterval(() => void this.flushLastUsed().catch(() => {}), this.lastUsedFlushMs);
    this.flushTimer.unref();
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.flushTimer);
    this.unlost?.();
    await this.unlisten?.();
    await this.flushLastUsed().catch(() => {});
    this.clear();
  }

  /** Number of cached principals (for tests and metrics). */
  get size(): number {
    return this.byHash.size;
  }

  /**
   * The presented key's principal, or null when it is malformed, unknown, revoked, or its account
   * is disabled. Answers from memory when it can; otherwise one query, shared by concurrent callers.
   */
  async verify(presented: string): Promise<Principal | null> {
    if (!wellFormedKey(presented)) return null;
    const hash = hashKey(presented);
    const cacheable = this.started && this.db.isListening();
    const hit = cacheable ? this.byHash.get(hash) : undefined;
    if (hit && Date.now() - hit.at < this.maxAgeMs) {
      this.touch(hit.principal.keyId);
      return hit.principal;
    }
    let pending = this.inflight.get(hash);
    if (!pending) {
      const gen = this.generation;
      pending = lookupKeyByHash(this.db, hash).then((p) => {
        // Only a lookup that started while notifications flowed, and saw none arrive, is current.
        if (p && cacheable && gen === this.generation && this.db.isListening()) this.remember(hash, p);
        return p;
      });
      pending = pending.finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, pending);
    }
    const p = await pending;
    if (p) this.touch(p.keyId);
    return p;
  }

  /** Drops everything (a lost LISTEN connection: changes may have been missed). */
  clear(): void {
    this.generation++;
    this.byHash.clear();
    this.inflight.clear();
    this.emit(() => true);
  }

  /**
   * Calls `fn` after every change that may alter what some keys resolve to (a revoked key, a
   * disabled or re-planned account, a lost LISTEN connection), with a test of whether a given
   * principal is among them. For requests held open (SSE, long-polls), which were authenticated
   * once, at their start, and must not outlive their key. Returns the unsubscribe function.
   *
   * @example
   * const off = principals.onChange((affects) => affects(req.principal) && recheck());
   */
  onChange(fn: (affects: (p: Principal) => boolean) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private emit(affects: (p: Principal) => boolean): void {
    for (const fn of [...this.changeListeners]) fn(affects);
  }

  private remember(hash: string, p: Principal): void {
    if (this.byHash.size >= this.maxEntries) {
      const oldest = this.byHash.keys().next();
      if (!oldest.done) this.byHash.delete(oldest.value);
    }
    this.byHash.set(hash, { principal: p, at: Date.now() });
  }

  private invalidate(payload: string): void {
    this.generation++;
    // Lookups in flight may have read the old row: they answer their callers, but are not cached.
    this.inflight.clear();
    const sep = payload.indexOf(':');
    const kind = payload.slice(0, sep);
    const id = payload.slice(sep + 1);
    const field = kind === 'key' ? 'keyId' : kind === 'account' ? 'accountId' : kind === 'plan' ? 'planId' : null;
    if (!field) {
      this.byHash.clear();
      this.emit(() => true);
      return;
    }
    for (const [hash, e] of this.byHash) if (e.principal[field] === id) this.byHash.delete(hash);
    this.emit((p) => p[field] === id);
  }

  /** Notes a use; written with the next batch (at most once per `lastUsedFlushMs` per key). */
  private touch(keyId: string): void {
    this.lastUsed.set(keyId, new Date());
  }

  /** One statement for every key used since the last flush. */
  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const ids = [...this.lastUsed.keys()];
    const ats = [...this.lastUsed.values()];
    this.lastUsed.clear();
    await this.db.query(
      `UPDATE api_keys k SET last_used_at = u.at
         FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
        WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
      [ids, ats],
    );
  }
}

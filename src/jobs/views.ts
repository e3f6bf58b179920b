/**
 * Job views kept per process and refreshed by the jobs' own change notifications, so that a poll
 * usually costs no database work and a waiter (long-poll, SSE) never does.
 *
 * Every visible change to a job row bumps `jobs.version` and sends `NOTIFY reelay_job_views,
 * '<id>:<version>'` from a trigger (migration 009), inside the transaction that makes the change:
 * whatever writes it (a transition, a progress heartbeat, webhook status, expiry, the submit path)
 * is covered, and a rolled-back change announces nothing. On PGlite the notification is in-process;
 * on a server every process receives it through its LISTEN connection.
 *
 * - `get(id)`: from memory when the cached version is the newest announced, else one query.
 * - A notification for a job that is cached or watched refreshes it with one query, batched with
 *   every other job that changed in the same tick, and hands the new view to all its watchers:
 *   10,000 waiters on one job cost one query per change, idle waiters none.
 * - When the LISTEN connection is lost (`Db.onListenLost`) the cache is dropped whole; until it
 *   is back, reads go to the database and watched jobs are checked by ONE query every
 *   `fallbackPollMs` for all of them.
 */
import type { Db } from '../db/index.js';
import { rowToJob, type Job, type JobRow } from './types.js';

export const JOB_VIEWS_CHANNEL = 'reelay_job_views';

/** A job as last read, with the version it had (`jobs.version`; SSE event ids, `sinceVersion`). */
export interface JobView {
  job: Job;
  version: number;
}

export interface JobViewsOptions {
  /** Most job views kept; beyond it the least recently stored goes. */
  maxEntries?: number;
  /** While notifications are not flowing: how often watched jobs are checked (one query for all). */
  fallbackPollMs?: number;
}

type Watcher = (view: JobView | null) => void;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * @example
 * const views = new JobViews(db); await views.start();
 * const v = await views.get(id);                                  // usually no query
 * const next = await views.waitForChange(id, v.version, 30_000);  // resolves on the next change
 */
export class JobViews {
  private readonly entries = new Map<string, JobView>();
  /** Newest version announced, for jobs cached, being read or watched. */
  private readonly announced = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<JobView | null>>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly due = new Set<string>();
  private refreshScheduled = false;
  private generation = 0;
  private started = false;
  private unlisten: (() => Promise<void>) | undefined;
  private unlost: (() => void) | undefined;
  private fallbackTimer: NodeJS.Timeout | undefined;
  private readonly maxEntries: number;
  private readonly fallbackPollMs: number;
  /** Queries sent (reads and refreshes), for the bench and tests. */
  queries = 0;

  constructor(
    private readonly db: Db,
    opts: JobViewsOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 5_000;
    this.fallbackPollMs = opts.fallbackPollMs ?? 500;
  }

  async start(): Promise<void> {
    this.unlisten = await this.db.listen(JOB_VIEWS_CHANNEL, (payload) => this.onNotify(payload));
    this.unlost = this.db.onListenLost(() => this.onLost());
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.fallbackTimer);
    this.fallbackTimer = undefined;
    this.unlost?.();
    await this.unlisten?.();
    for (const [, set] of this.watchers) for (const w of [...set]) w(null);
    this.watchers.clear();
    this.entries.clear();
  }

  private get trusted(): boolean {
    return this.started && this.db.isListening();
  }

  /** The job's current view, or null when there is no such job. At most one query. */
  async get(id: string): Promise<JobView | null> {
    if (!UUID_RE.test(id)) return null;
    const id_ = id.toLowerCase();
    const hit = this.trusted ? this.entries.get(id_) : undefined;
    if (hit && hit.version >= (this.announced.get(id_) ?? 0)) return hit;
    return this.read(id_);
  }

  /**
   * Forgets a job's cached view, so that the next `get` reads the database. For read-your-writes in
   * the process that made a change: its own NOTIFY arrives a moment after its COMMIT returns on a
   * server, so a `get` right after a cancel or a submit of this process must not answer from before it.
   *
   * @example
   * await db.tx(…cancel…); views.invalidate(id); return views.get(id);
   */
  invalidate(id: string): void {
    const id_ = id.toLowerCase();
    this.entries.delete(id_);
    // A read in flight may have started before the change: what is in flight now is not stored.
    if (this.inflight.has(id_)) {
      this.generation++;
      this.inflight.delete(id_);
    }
  }

  /** Number of cached views and of jobs with watchers (tests, metrics). */
  stats(): { cached: number; watchedJobs: number; watchers: number } {
    let watchers = 0;
    for (const s of this.watchers.values()) watchers += s.size;
    return { cached: this.entries.size, watchedJobs: this.watchers.size, watchers };
  }

  /**
   * Calls `fn` with every newer view of the job (and with null if it disappears or the views
   * stop). Costs no query while idle. Returns the unsubscribe function.
   */
  subscribe(id: string, fn: Watcher): () => void {
    const id_ = id.toLowerCase();
    let set = this.watchers.get(id_);
    if (!set) {
      set = new Set();
      this.watchers.set(id_, set);
      this.ensureFallback();
    }
    set.add(fn);
    return () => {
      const s = this.watchers.get(id_);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) {
        this.watchers.delete(id_);
        if (!this.entries.has(id_) && !this.inflight.has(id_)) this.announced.delete(id_);
      }
    };
  }

  /**
   * Resolves with the first view newer than `sinceVersion`, or with the current view when
   * `timeoutMs` passes or `signal` aborts; null when there is no such job.
   *
   * @example
   * const v = await views.waitForChange(id, seen.version, 30_000, req.signal);
   */
  async waitForChange(id: string, sinceVersion: number, timeoutMs: number, signal?: AbortSignal): Promise<JobView | null> {
    const current = await this.get(id);
    if (!current || current.version > sinceVersion || timeoutMs <= 0 || signal?.aborted) return current;
    return new Promise<JobView | null>((resolve) => {
      let latest: JobView | null = current;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        unsubscribe();
        resolve(latest);
      };
      const unsubscribe = this.subscribe(id, (v) => {
        latest = v;
        if (!v || v.version > sinceVersion) finish();
      });
      const timer = setTimeout(finish, timeoutMs);
      signal?.addEventListener('abort', finish);
      // A change that landed between the read above and the subscription.
      const now = this.entries.get(id.toLowerCase());
      if (now && now.version > sinceVersion) {
        latest = now;
        finish();
      }
    });
  }

  private read(id: string): Promise<JobView | null> {
    let pending = this.inflight.get(id);
    if (pending) return pending;
    pending = this.readOnce(id).finally(() => {
      if (this.inflight.get(id) === pending) this.inflight.delete(id);
    });
    this.inflight.set(id, pending);
    return pending;
  }

  private async readOnce(id: string): Promise<JobView | null> {
    for (let attempt = 0; ; attempt++) {
      const trusted = this.trusted;
      const gen = this.generation;
      this.queries++;
      const { rows } = await this.db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
      const row = rows[0];
      if (!row) return null;
      const view: JobView = { job: rowToJob(row), version: Number(row.version) };
      // A change announced while we read means what we read may be older: read once more.
      if (view.version < (this.announced.get(id) ?? 0) && attempt < 2) continue;
      if (trusted && gen === this.generation && this.trusted) this.store(id, view);
      return view;
    }
  }

  private store(id: string, view: JobView): void {
    const had = this.entries.get(id);
    if (had && had.version > view.version) return;
    this.entries.delete(id); // re-insert: the Map's order is the eviction order
    this.entries.set(id, view);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done && !this.watchers.has(oldest.value)) {
        this.entries.delete(oldest.value);
        this.announced.delete(oldest.value);
      }
    }
  }

  private onNotify(payload: string): void {
    const sep = payload.lastIndexOf(':');
    const id = payload.slice(0, sep);
    const version = Number(payload.slice(sep + 1));
    if (!(this.entries.has(id) || this.watchers.has(id) || this.inflight.has(id))) return;
    if (version <= (this.announced.get(id) ?? 0)) return;
    this.announced.set(id, version);
    if (this.entries.has(id) || this.watchers.has(id)) this.scheduleRefresh(id);
  }

  private scheduleRefresh(id: string): void {
    this.due.add(id);
    if (this.refreshScheduled) return;
    this.refreshScheduled = true;
    // Every job announced in this turn of the event loop is read back by one query.
    setImmediate(() => {
      this.refreshScheduled = false;
      const ids = [...this.due];
      this.due.clear();
      void this.refresh(ids).catch(() => {
        // Not stored: the next get() reads the database (announced > cached version).
      });
    });
  }

  private async refresh(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const gen = this.generation;
    const trusted = this.trusted;
    this.queries++;
    const { rows } = await this.db.query<JobRow>('SELECT * FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
    const found = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids) {
      const row = found.get(id);
      const view = row ? { job: rowToJob(row), version: Number(row.version) } : null;
      if (view && trusted && gen === this.generation && this.trusted) this.store(id, view);
      if (!view) this.entries.delete(id);
      for (const w of [...(this.watchers.get(id) ?? [])]) w(view);
    }
  }

  private onLost(): void {
    this.generation++;
    this.entries.clear();
    this.announced.clear();
    this.ensureFallback();
  }

  /** While notifications are not trusted and someone waits: one query for every watched job. */
  private ensureFallback(): void {
    if (this.fallbackTimer || !this.started) return;
    this.fallbackTimer = setInterval(() => {
      if (this.watchers.size === 0) {
        clearInterval(this.fallbackTimer);
        this.fallbackTimer = undefined;
        return;
      }
      if (this.db.isListening()) return;
      void this.checkWatched().catch(() => {});
    }, this.fallbackPollMs);
    this.fallbackTimer.unref();
  }

  private readonly lastSeen = new Map<string, number>();

  private async checkWatched(): Promise<void> {
    const ids = [...this.watchers.keys()];
    this.queries++;
    const { rows } = await this.db.query<{ id: string; version: number }>('SELECT id, version FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
    const changed = rows.filter((r) => Number(r.version) > (this.lastSeen.get(r.id) ?? -1)).map((r) => r.id);
    for (const r of rows) this.lastSeen.set(r.id, Number(r.version));
    for (const id of [...this.lastSeen.keys()]) if (!this.watchers.has(id)) this.lastSeen.delete(id);
    await this.refresh(changed);
  }
}

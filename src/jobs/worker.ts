import { join } from 'node:path';
import type { Db } from '../db/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import type { BlobStore } from '../storage/index.js';
import type { Logger } from '../log.js';
import { newId } from '../ids.js';
import { claimDue, nextDueAt } from './repo.js';
import { runJob, type RunnerDeps } from './runner.js';
import { sweep } from './sweeper.js';
import type { Wakeup } from './wakeup.js';
import { noJobEvents, type JobEventSink } from './events.js';

export interface WorkerOptions {
  db: Db;
  blobs: BlobStore;
  providers: ProviderRegistry;
  wakeup: Wakeup;
  log: Logger;
  dataDir: string;
  leaseSeconds: number;
  concurrency: number;
  inlineConcurrency: number;
  idlePollMs: number;
  retentionHours: number;
  sweepEveryMs?: number;
  events?: JobEventSink;
}

/**
 * Claims due jobs and drives them. It wakes on a `Wakeup` nudge, when a slot frees, or on a timer,
 * whichever comes first; it never sleeps past the next job's due time.
 */
export class Worker {
  readonly id = newId('worker');
  private readonly inflight = new Map<string, { inline: boolean; provider: string | null; ctl: AbortController; done: Promise<void> }>();
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastSweep = 0;
  private readonly runner: RunnerDeps;

  constructor(private readonly o: WorkerOptions) {
    this.runner = {
      db: o.db,
      blobs: o.blobs,
      providers: o.providers,
      log: o.log,
      tmpDir: join(o.dataDir, 'tmp'),
      leaseSeconds: o.leaseSeconds,
      maxAttempts: 8,
      events: o.events ?? noJobEvents,
    };
  }

  start(): void {
    this.unsubscribe = this.o.wakeup.on(() => this.wake?.());
    this.loopDone = this.loop();
  }

  private inlineBusy(): number {
    let n = 0;
    for (const j of this.inflight.values()) if (j.inline) n++;
    return n;
  }

  /** How many more jobs of remote provider `name` this process may hold (its `maxJobsInFlight`). */
  private remoteRoom(name: string): number {
    const p = this.o.providers.get(name);
    const cap = p.kind === 'remote' && p.maxJobsInFlight !== undefined ? p.maxJobsInFlight : Infinity;
    let busy = 0;
    for (const j of this.inflight.values()) if (j.provider === name) busy++;
    return Math.max(0, cap - busy);
  }

  private async loop(): Promise<void> {
    const inline = this.o.providers.inlineNames();
    const all = [...new Set([...inline, ...this.allProviderNames()])];
    const remote = all.filter((n) => !inline.includes(n));
    while (!this.stopping) {
      let claimed = 0;
      try {
        await this.maybeSweep();
        const free = this.o.concurrency - this.inflight.size;
        const inlineFree = Math.min(free, this.o.inlineConcurrency - this.inlineBusy());
        const rows = await claimDue(this.o.db, { owner: this.id, leaseSeconds: this.o.leaseSeconds, limit: inlineFree, providers: inline });
        // Remote jobs get every slot the renders did not take (reserving `inlineFree` starved them
        // entirely when workerConcurrency <= sandboxConcurrency), but no more per provider than
        // it can call at once: a claimed job that only waits for a call slot holds its lease for
        // nothing (measured: 64 claimed against 2 slots kept PGlite busy refusing them for 6 s).
        for (const name of remote) {
          const limit = Math.min(this.o.concurrency - this.inflight.size - rows.length, this.remoteRoom(name));
          rows.push(...(await claimDue(this.o.db, { owner: this.id, leaseSeconds: this.o.leaseSeconds, limit, providers: [name] })));
        }
        claimed = rows.length;
        for (const row of rows) {
          const ctl = new AbortController();
          const isInline = inline.includes(row.provider ?? '');
          const done = runJob(this.runner, this.id, row, ctl.signal)
            .catch((err: unknown) => this.o.log.error({ err, jobId: row.id }, 'worker could not settle a job'))
            .finally(() => {
              this.inflight.delete(row.id);
              this.wake?.();
            });
          this.inflight.set(row.id, { inline: isInline, provider: row.provider, ctl, done });
        }
      } catch (err) {
        if (this.stopping) break;
        this.o.log.error({ err }, 'worker loop error');
      }
      if (claimed === 0 && !this.stopping) await this.idle(all);
    }
  }

  private allProviderNames(): string[] {
    // Every provider a job row may name; the registry is the source.
    return this.o.providers.names();
  }

  private async idle(providers: string[]): Promise<void> {
    // Listen for a nudge BEFORE asking the database when work is next due: a submit that commits
    // while that query runs would otherwise signal nobody and wait for the idle timer.
    let woken = false;
    let release: () => void = () => {};
    const nudged = new Promise<void>((resolve) => (release = resolve));
    this.wake = () => {
      woken = true;
      release();
    };
    let waitMs = this.o.idlePollMs;
    try {
      const next = await nextDueAt(this.o.db, providers);
      if (next) waitMs = Math.max(5, Math.min(waitMs, next.getTime() - Date.now()));
    } catch {
      /* the timer still wakes us */
    }
    if (!woken) {
      const t = setTimeout(release, waitMs);
      await nudged;
      clearTimeout(t);
    }
    this.wake = undefined;
  }

  private async maybeSweep(): Promise<void> {
    const every = this.o.sweepEveryMs ?? 15_000;
    if (Date.now() - this.lastSweep < every) return;
    this.lastSweep = Date.now();
    await sweep({ db: this.o.db, blobs: this.o.blobs, log: this.o.log, retentionHours: this.o.retentionHours, events: this.runner.events, providers: this.o.providers });
  }

  /**
   * Graceful stop: claim nothing more; let in-flight polls finish within `graceMs`; renders are
   * aborted and their jobs handed back at once so the next worker resumes them.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.wake?.();
    await this.loopDone;
    for (const j of this.inflight.values()) if (j.inline) j.ctl.abort(new Error('worker stopping'));
    const all = Promise.all([...this.inflight.values()].map((j) => j.done));
    const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([all, timer]);
    for (const j of this.inflight.values()) j.ctl.abort(new Error('worker stopping'));
    await Promise.race([Promise.all([...this.inflight.values()].map((j) => j.done)), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
  }
}

import { lstat, readdir, rm } from 'node:fs/promises';
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
import type { JobRow } from './types.js';
import { LeaseLoop } from '../lease-loop.js';
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
 * The worker's event sink: besides recording, a job that reaches a final state nudges every worker
 * (NOTIFY inside the transaction, so it arrives once the freed ceiling slot is visible): queued
 * jobs of that account may start now, and no worker polls for them while they wait.
 */
function freesSlots(events: JobEventSink, wakeup: Wakeup): JobEventSink {
  return {
    async record(q, job, type) {
      await events.record(q, job, type);
      if (type !== 'progress') await wakeup.notify(q);
    },
  };
}

/** How often, and past what age, leftovers in `<dataDir>/tmp` are deleted. */
const TMP_PRUNE_EVERY_MS = 60 * 60 * 1000;
const TMP_MAX_AGE_MS = 6 * 60 * 60 * 1000;

/**
 * Deletes files in `dir` untouched for `maxAgeMs`: renders and downloads of a process that was
 * killed (SIGKILL, OOM, power) stay there otherwise, one partial MP4 per attempt, until the disk
 * is full. A live render or download writes continuously, so its file is never that old.
 */
async function pruneTmp(dir: string, maxAgeMs: number, log: Logger): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = await lstat(p);
      if (!st.isFile() || Date.now() - st.mtimeMs < maxAgeMs) continue;
      await rm(p, { force: true });
      removed++;
    } catch {
      /* gone meanwhile, or unreadable: the next prune tries again */
    }
  }
  if (removed) log.info({ removed, dir }, 'removed leftover temporary files of interrupted jobs');
}

/** A claimed job this process is driving. */
interface Inflight {
  inline: boolean;
  provider: string | null;
  account: string;
  startedAt: number;
  ctl: AbortController;
  done: Promise<void>;
}

/**
 * Claims due jobs and drives them. It wakes on a `Wakeup` nudge, when a slot frees, or on a timer,
 * whichever comes first; it never sleeps past the next job's due time, and work it cannot take
 * (an account at its ceiling, every render slot busy) costs it nothing until a slot frees.
 *
 * Render slots are shared between accounts: while another account has a render waiting, no
 * account holds more than `inlineConcurrency - 1` of them (with 2 or more slots). An account that
 * holds every slot when another's render becomes due gives its newest render back to the queue
 * (a render cannot be resumed; it is rendered again later, at no cost to anyone but our CPU).
 */
export class Worker {
  readonly id = newId('worker');
  private readonly inflight = new Map<string, Inflight>();
  private readonly loop: LeaseLoop;
  private lastSweep = 0;
  private lastTmpPrune = 0;
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
      events: freesSlots(o.events ?? noJobEvents, o.wakeup),
    };
    this.loop = new LeaseLoop({
      name: 'worker',
      log: o.log,
      idlePollMs: o.idlePollMs,
      claim: () => this.claim(),
      nextDueAt: () => nextDueAt(this.o.db, this.providersWithRoom()),
      subscribe: async (wake) => this.o.wakeup.on(wake),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Ids of the jobs this worker is driving now (for probes and tests). */
  get busy(): string[] {
    return [...this.inflight.keys()];
  }

  private inlineBusy(): number {
    let n = 0;
    for (const j of this.inflight.values()) if (j.inline) n++;
    return n;
  }

  /** Render slots each account holds here. */
  private inlineLoad(): Map<string, number> {
    const load = new Map<string, number>();
    for (const j of this.inflight.values()) if (j.inline) load.set(j.account, (load.get(j.account) ?? 0) + 1);
    return load;
  }

  /** How many more jobs of remote provider `name` this process may hold (its `maxJobsInFlight`). */
  private remoteRoom(name: string): number {
    const p = this.o.providers.get(name);
    const cap = p.kind === 'remote' && p.maxJobsInFlight !== undefined ? p.maxJobsInFlight : Infinity;
    let busy = 0;
    for (const j of this.inflight.values()) if (j.provider === name) busy++;
    return Math.max(0, cap - busy);
  }

  /** The providers this process could claim a job of right now: due work of the others waits for a slot. */
  private providersWithRoom(): string[] {
    const inline = this.o.providers.inlineNames();
    const free = this.o.concurrency - this.inflight.size;
    if (free <= 0) return [];
    const out = this.o.inlineConcurrency - this.inlineBusy() > 0 ? [...inline] : [];
    for (const name of this.o.providers.names()) if (!inline.includes(name) && this.remoteRoom(name) > 0) out.push(name);
    return out;
  }

  private async claim(): Promise<number> {
    await this.maybeSweep();
    const inline = this.o.providers.inlineNames();
    const remote = this.o.providers.names().filter((n) => !inline.includes(n));
    const lease = { owner: this.id, leaseSeconds: this.o.leaseSeconds };
    let claimed = 0;
    // Renders one at a time (a few slots at most), so each pick sees the shares taken so far.
    const slots = this.o.inlineConcurrency;
    const inlineFree = () => Math.min(this.o.concurrency - this.inflight.size, slots - this.inlineBusy());
    while (inline.length > 0 && inlineFree() > 0) {
      const load = this.inlineLoad();
      const atShare = slots >= 2 ? [...load].filter(([, n]) => n >= slots - 1).map(([a]) => a) : [];
      let rows = await claimDue(this.o.db, { ...lease, limit: 1, providers: inline, excludeAccounts: atShare, load });
      // Nobody else has a render waiting: the last slot may go to an account at its share.
      if (rows.length === 0 && atShare.length > 0) rows = await claimDue(this.o.db, { ...lease, limit: 1, providers: inline, load });
      if (rows.length === 0) break;
      claimed += this.launch(rows, inline);
    }
    if (inline.length > 0 && slots >= 2 && inlineFree() <= 0) claimed += await this.shareSlots(inline, lease);
    // Remote jobs get every slot the renders did not take (reserving render slots starved them
    // entirely when workerConcurrency <= sandboxConcurrency), but no more per provider than
    // it can call at once: a claimed job that only waits for a call slot holds its lease for
    // nothing (measured: 64 claimed against 2 slots kept PGlite busy refusing them for 6 s).
    for (const name of remote) {
      const limit = Math.min(this.o.concurrency - this.inflight.size, this.remoteRoom(name));
      claimed += this.launch(await claimDue(this.o.db, { ...lease, limit, providers: [name] }), inline);
    }
    return claimed;
  }

  /**
   * Every render slot is held by one account: if another account has a render due, take it and
   * hand that account's newest render back, so no tenant waits behind another's long renders.
   */
  private async shareSlots(inline: string[], lease: { owner: string; leaseSeconds: number }): Promise<number> {
    const load = this.inlineLoad();
    const hog = [...load].find(([, n]) => n >= this.o.inlineConcurrency)?.[0];
    if (!hog || this.o.concurrency - this.inflight.size <= 0) return 0;
    const rows = await claimDue(this.o.db, { ...lease, limit: 1, providers: inline, excludeAccounts: [hog], load });
    if (rows.length === 0) return 0;
    let newest: [string, Inflight] | undefined;
    for (const e of this.inflight) if (e[1].inline && e[1].account === hog && !e[1].ctl.signal.aborted && (!newest || e[1].startedAt > newest[1].startedAt)) newest = e;
    if (newest) {
      this.o.log.info({ jobId: newest[0], accountId: hog, for: rows[0]!.id }, 'render handed back to share the render slots');
      newest[1].ctl.abort(new Error('render slot shared with another account'));
    }
    return this.launch(rows, inline);
  }

  private launch(rows: JobRow[], inline: string[]): number {
    let n = 0;
    for (const row of rows) {
      // Our own lease lapsed and we claimed the job again: the run in progress still drives it.
      if (this.inflight.has(row.id)) continue;
      const ctl = new AbortController();
      const done = runJob(this.runner, this.id, row, ctl.signal)
        .catch((err: unknown) => this.o.log.error({ err, jobId: row.id }, 'worker could not settle a job'))
        .finally(() => {
          this.inflight.delete(row.id);
          this.loop.wake(); // a freed slot here; other processes hear of a finished job from `freesSlots`
        });
      this.inflight.set(row.id, { inline: inline.includes(row.provider ?? ''), provider: row.provider, account: row.account_id, startedAt: Date.now(), ctl, done });
      n++;
    }
    return n;
  }

  private async maybeSweep(): Promise<void> {
    const every = this.o.sweepEveryMs ?? 15_000;
    if (Date.now() - this.lastSweep < every) return;
    this.lastSweep = Date.now();
    if (Date.now() - this.lastTmpPrune >= TMP_PRUNE_EVERY_MS) {
      this.lastTmpPrune = Date.now();
      await pruneTmp(this.runner.tmpDir, TMP_MAX_AGE_MS, this.o.log);
    }
    await sweep({ db: this.o.db, blobs: this.o.blobs, log: this.o.log, retentionHours: this.o.retentionHours, events: this.runner.events, providers: this.o.providers });
  }

  /**
   * Graceful stop: claim nothing more; let in-flight polls finish within `graceMs`; renders are
   * aborted and their jobs handed back at once so the next worker resumes them.
   */
  async stop(graceMs = 10_000): Promise<void> {
    await this.loop.stop();
    for (const j of this.inflight.values()) if (j.inline) j.ctl.abort(new Error('worker stopping'));
    const all = Promise.all([...this.inflight.values()].map((j) => j.done));
    const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([all, timer]);
    for (const j of this.inflight.values()) j.ctl.abort(new Error('worker stopping'));
    await Promise.race([Promise.all([...this.inflight.values()].map((j) => j.done)), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
  }
}

/**
 * Sends what the outbox holds. Any number of processes may run one: deliveries are claimed with
 * SKIP LOCKED and a lease, so a process that dies mid-delivery loses its claims when the lease
 * lapses and another sends them again (same `webhook-id`, so receivers can dedupe).
 *
 * Bounded on purpose: at most `concurrency` attempts per process and `hostConcurrency` per
 * destination host, each capped by `timeoutMs` and a 64 KB read, so a slow or hostile receiver can
 * hold a few slots for a few seconds, never the whole worker.
 */
import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import { newId } from '../ids.js';
import { LeaseLoop } from '../lease-loop.js';
import type { HostResolver, UrlPolicy } from '../net/index.js';
import { sendDelivery, type SendOptions } from './deliver.js';
import { WEBHOOK_CHANNEL } from './outbox.js';
import { claimDeliveries, nextDeliveryDueAt, settleAttempt, unclaim, type AttemptRecord, type DeliveryRow } from './repo.js';
import { retryDelayMs } from './schedule.js';
import { signingSecrets } from './secrets.js';
import { outageOf } from '../outage.js';

export interface DispatcherOptions {
  db: Db;
  log: Logger;
  policy: UrlPolicy;
  timeoutMs: number;
  retryScheduleMs: readonly number[];
  retryAfterMaxMs: number;
  /** Attempts this process runs at once. */
  concurrency: number;
  /** Attempts this process runs at once against one host name. */
  hostConcurrency: number;
  /** Fallback wake-up when no NOTIFY arrives. */
  idlePollMs: number;
  /** Replaces DNS (tests point names at addresses with it). */
  lookup?: HostResolver;
  random?: () => number;
}

/** Time a claim may take past the request's own budget (signing, writing the result). */
const LEASE_MARGIN_MS = 5_000;
/** After an outage of ours, the next try comes in 5–10 s (uncounted), like the API's Retry-After. */
const OUTAGE_RETRY_MS = 5_000;

/**
 * @example
 * const d = new WebhookDispatcher({ db, log, policy, timeoutMs: 15_000, retryScheduleMs, retryAfterMaxMs: 3_600_000,
 *   concurrency: 16, hostConcurrency: 4, idlePollMs: 1000 });
 * d.start();
 * await d.stop();
 */
export class WebhookDispatcher {
  readonly id = newId('worker');
  private readonly inflight = new Map<string, { host: string; ctl: AbortController; done: Promise<void> }>();
  private readonly hostBusy = new Map<string, number>();
  private readonly loop: LeaseLoop;
  private readonly send: SendOptions;

  constructor(private readonly o: DispatcherOptions) {
    this.send = {
      policy: o.policy,
      timeoutMs: o.timeoutMs,
      retryScheduleMs: o.retryScheduleMs,
      retryAfterMaxMs: o.retryAfterMaxMs,
      lookup: o.lookup,
      ...(o.random ? { random: o.random } : {}),
    };
    this.loop = new LeaseLoop({
      name: 'webhook dispatcher',
      log: o.log,
      idlePollMs: o.idlePollMs,
      claim: () => this.claimAndLaunch(),
      // While a host is full its due rows cannot be claimed; a freed slot wakes us instead.
      nextDueAt: async () => (this.fullHosts().length === 0 && this.inflight.size < this.o.concurrency ? nextDeliveryDueAt(this.o.db) : null),
      // NOTIFY is sent inside the recording transaction, so it arrives once the row is visible.
      // After a lost LISTEN connection comes back, what was sent meanwhile is looked for at once.
      subscribe: async (wake) => {
        const unlisten = await this.o.db.listen(WEBHOOK_CHANNEL, wake);
        const offState = this.o.db.onListenState((s) => s === 'restored' && wake());
        return async () => {
          offState();
          await unlisten();
        };
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  /**
   * Claims what is due now, sends it and waits for those attempts to settle. For tests and tools;
   * do not mix with `start()`. Returns how many deliveries were attempted.
   */
  async runOnce(): Promise<number> {
    const launched = await this.claimAndLaunch();
    await Promise.all([...this.inflight.values()].map((j) => j.done));
    return launched;
  }

  private fullHosts(): string[] {
    return [...this.hostBusy].filter(([, n]) => n >= this.o.hostConcurrency).map(([h]) => h);
  }

  private async claimAndLaunch(): Promise<number> {
    const rows = await claimDeliveries(this.o.db, {
      owner: this.id,
      leaseMs: this.o.timeoutMs + LEASE_MARGIN_MS,
      limit: this.o.concurrency - this.inflight.size,
      excludeHosts: this.fullHosts(),
    });
    let launched = 0;
    for (const row of rows) {
      const busy = this.hostBusy.get(row.host) ?? 0;
      if (busy >= this.o.hostConcurrency) {
        // Several rows for one host came in one claim; the surplus goes back uncounted.
        await unclaim(this.o.db, row.id, this.id);
        continue;
      }
      this.hostBusy.set(row.host, busy + 1);
      const ctl = new AbortController();
      const done = this.attempt(row, ctl.signal).finally(() => {
        this.inflight.delete(row.id);
        const n = (this.hostBusy.get(row.host) ?? 1) - 1;
        if (n <= 0) this.hostBusy.delete(row.host);
        else this.hostBusy.set(row.host, n);
        this.loop.wake();
      });
      this.inflight.set(row.id, { host: row.host, ctl, done });
      launched++;
    }
    return launched;
  }

  private async attempt(row: DeliveryRow, signal: AbortSignal): Promise<void> {
    let rec: AttemptRecord;
    const startedAt = new Date();
    try {
      const secrets = await signingSecrets(this.o.db, row.account_id, row.mode);
      rec = await sendDelivery(row, secrets, this.send, signal);
    } catch (err) {
      // Our own failure, not the receiver's: logged, and retried. An outage of ours (the database
      // that holds the signing secret, say) is not counted against the receiver's attempts: it
      // once used up the 24-hour schedule and gave up on a delivery nobody had tried to send.
      // Anything else (a bug) is retried on the schedule, so that it cannot loop for ever.
      this.o.log.error({ err, deliveryId: row.id }, 'webhook attempt failed internally');
      const base = { startedAt, latencyMs: Date.now() - startedAt.getTime(), statusCode: null, responseBody: null, errorKind: 'internal', errorMessage: 'internal error' };
      const delay = retryDelayMs(this.o.retryScheduleMs, row.attempts, this.o.random);
      if (outageOf(err)) rec = { ...base, outcome: 'interrupted', retryInMs: OUTAGE_RETRY_MS + Math.floor((this.o.random ?? Math.random)() * OUTAGE_RETRY_MS) };
      else rec = delay === null ? { ...base, outcome: 'gave_up' } : { ...base, outcome: 'retry', retryInMs: delay };
    }
    try {
      const moved = await this.o.db.tx((q) => settleAttempt(q, row, this.id, rec));
      if (!moved) this.o.log.warn({ deliveryId: row.id }, 'webhook delivery was taken over before its attempt settled');
    } catch (err) {
      // The lease lapses and another attempt follows: at least once, never lost.
      this.o.log.error({ err, deliveryId: row.id }, 'could not record a webhook attempt');
    }
  }

  /**
   * Claims nothing more, lets attempts in flight finish within `graceMs`, then aborts the rest:
   * they are logged as interrupted and handed back at once (uncounted) for the next process.
   */
  async stop(graceMs = 2000): Promise<void> {
    await this.loop.stop();
    const all = Promise.all([...this.inflight.values()].map((j) => j.done));
    await Promise.race([all, new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
    for (const j of this.inflight.values()) j.ctl.abort(new Error('webhook dispatcher stopping'));
    await all;
  }
}

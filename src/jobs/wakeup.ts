import { EventEmitter } from 'node:events';
import type { Db, Queryable } from '../db/index.js';

const CHANNEL = 'reelay_jobs';

/**
 * Wakes workers the moment there is new work. In one process an event is enough; on a server
 * `NOTIFY` reaches the other processes. It only nudges: workers also wake on a timer, so a lost
 * notification delays work by at most the idle poll interval.
 */
export class Wakeup {
  private readonly local = new EventEmitter();
  private unlisten: (() => Promise<void>) | undefined;
  /** A coalesced NOTIFY is in flight; `again`: another submit committed since it was sent. */
  private sending = false;
  private again = false;

  constructor(private readonly db: Db) {
    this.local.setMaxListeners(100);
  }

  async start(): Promise<void> {
    if (this.db.kind !== 'postgres') return;
    const unlisten = await this.db.listen(CHANNEL, () => this.local.emit('wake'));
    // Nudges sent while the LISTEN connection was down are lost: look at the queue once it is back.
    const offState = this.db.onListenState((s) => {
      if (s === 'restored') this.local.emit('wake');
    });
    this.unlisten = async () => {
      offState();
      await unlisten();
    };
  }

  /** Call after the transaction that made work due has committed (or inside it, via `q`, on a server). */
  async notify(q?: Queryable): Promise<void> {
    this.local.emit('wake');
    if (this.db.kind === 'postgres') await (q ?? this.db).query('SELECT pg_notify($1, $2)', [CHANNEL, '']);
  }

  /**
   * After a commit that made work due (a submit, a provider callback): this process's workers at once, the other processes' by a NOTIFY of
   * its own, coalesced: at most one in flight, and one more after it for whatever committed
   * meanwhile. A NOTIFY inside the submit's transaction takes PostgreSQL's notification queue
   * lock through the commit and serialised every submit behind it: measured with pgbench on this
   * machine (2 cores, 10 clients, an account each), reelay_submit ran at 1,000-1,300 tps with the
   * NOTIFY inside and 2,400-2,700 without; 1,800 with a second client sending NOTIFYs as fast as
   * it could beside it. A nudge lost with a crash between the commit and this call costs the
   * other processes' workers at most their idle poll.
   */
  nudge(): void {
    this.local.emit('wake');
    if (this.db.kind !== 'postgres') return;
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    const send = (): void => {
      this.again = false;
      this.db
        .query('SELECT pg_notify($1, $2)', [CHANNEL, ''])
        .catch(() => {
          /* the database is down or closing: the workers' idle timer covers a lost nudge */
        })
        .finally(() => {
          if (this.again) send();
          else this.sending = false;
        });
    };
    send();
  }

  on(fn: () => void): () => void {
    this.local.on('wake', fn);
    return () => this.local.off('wake', fn);
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }
}

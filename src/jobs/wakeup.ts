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

  /** Wakes this process's workers only (the NOTIFY for the others was sent in SQL, e.g. reelay_submit). */
  notifyLocal(): void {
    this.local.emit('wake');
  }

  on(fn: () => void): () => void {
    this.local.on('wake', fn);
    return () => this.local.off('wake', fn);
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }
}

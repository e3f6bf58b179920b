/** What became of the LISTEN connection. */
export type ListenState = 'lost' | 'restored';

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * The one database handle. Both drivers speak PostgreSQL: PGlite (Postgres compiled to WASM,
 * embedded, one connection) and a server through `pg` (pooled).
 */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `NOTIFY channel`; returns an unsubscribe function. On a server the subscription
   * survives a lost connection: it is re-established with backoff (see `onListenState`).
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Told when the LISTEN connection is lost (`'lost'`: notifications may be missed from now on)
   * and when it is back with every channel listened to again (`'restored'`: anything sent in
   * between was missed, so caches should be dropped and queues looked at). PGlite never loses it.
   * Returns an unsubscribe function.
   */
  onListenState(fn: (state: ListenState) => void): () => void;
  /**
   * Called when the LISTEN connection is lost (`onListenState` 'lost'): whatever a process keeps up
   * to date by notifications (key and job-view caches) must be dropped and read from the database
   * until `isListening()` is true again. Never called on PGlite. Returns an unsubscribe function.
   */
  onListenLost(fn: () => void): () => void;
  /** True while notifications are being received (PGlite: always). */
  isListening(): boolean;
  close(): Promise<void>;
}

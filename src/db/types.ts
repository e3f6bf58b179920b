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
  /** Subscribes to `NOTIFY channel`; returns an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Called when the LISTEN connection is lost: notifications sent from then on may never arrive,
   * so whatever a process keeps up to date by them (key and job-view caches) must be dropped and
   * read from the database until `isListening()` is true again. Never called on PGlite, where
   * notifications are in-process. Returns an unsubscribe function.
   */
  onListenLost(fn: () => void): () => void;
  /** True while notifications are being received (PGlite: always). */
  isListening(): boolean;
  close(): Promise<void>;
}

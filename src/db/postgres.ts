import pg from 'pg';
import type { Db, ListenState, Queryable, QueryResult } from './types.js';
import { silentLogger, type Logger } from '../log.js';

// int8 (bigint) columns hold credits and counters well inside 2^53; read them as numbers.
pg.types.setTypeParser(20, (v: string) => Number(v));

function wrap(q: Pick<pg.Pool | pg.PoolClient, 'query'>): Queryable {
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await q.query(sql, params as unknown[] | undefined);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
  };
}

/**
 * Connects a pool to a PostgreSQL server. `schema`, when given, is created and put first on the
 * search path of every connection (tests use one schema per file).
 *
 * @example
 * const db = await openPostgres('postgres://127.0.0.1/reelay', { max: 10 });
 */
export async function openPostgres(url: string, opts: { max?: number; schema?: string; log?: Logger } = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    // Names our connections in pg_stat_activity (an operator, or a test, can find this instance's);
    // an application_name in the URL wins over it.
    application_name: opts.schema ? `reelay:${opts.schema}` : 'reelay',
    ...(opts.schema ? { options: `-c search_path=${opts.schema},public` } : {}),
  });
  // An idle client that loses its server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  const base = wrap(pool);
  const listen = new ListenConnection(url, opts.schema ? `reelay:listen:${opts.schema}` : 'reelay:listen', opts.log ?? silentLogger);
  return {
    kind: 'postgres',
    query: base.query,
    async tx(fn) {
      // A deadlock (40P01) aborts one side with nothing committed; run it again, a few times.
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        // A checked-out client whose server connection dies between two statements (the
        // transaction's own code running, `pg_terminate_backend`, a failover) emits 'error' with
        // no active query to take it: unheard, that crashed the whole process. Heard here, the
        // next statement fails and the client is dropped from the pool instead of reused.
        let broken: Error | undefined;
        const onError = (err: Error) => (broken ??= err);
        client.on('error', onError);
        try {
          await client.query('BEGIN');
          const out = await fn(wrap(client));
          await client.query('COMMIT');
          return out;
        } catch (err) {
          if (!broken) await client.query('ROLLBACK').catch((e: Error) => (broken ??= e));
          if ((err as { code?: string }).code !== '40P01' || attempt >= 3) throw err;
        } finally {
          client.removeListener('error', onError);
          client.release(broken);
        }
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    },
    listen: (channel, onPayload) => listen.add(channel, onPayload),
    onListenState: (fn) => listen.onState(fn),
    onListenLost: (fn) => listen.onState((state) => state === 'lost' && fn()),
    isListening: () => listen.isUp(),
    async close() {
      await listen.close();
      await pool.end();
    },
  };
}

/** Reconnect backoff: 250 ms doubling to 10 s, with jitter so that a restarted server is not hit by every process at once. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

/**
 * The one connection that LISTENs, outside the pool (a pooled client would be handed to queries
 * and lose its subscriptions). When it drops (server restart, failover, an idle-connection
 * killer, `pg_terminate_backend`) it is opened again with backoff and every channel is listened to
 * again; until then workers run on their idle timers. Before, a dropped connection stayed dropped
 * and nudges were silently gone for good.
 */
class ListenConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private lostAt = 0;
  private readonly handlers = new Map<string, Set<(p: string) => void>>();
  private readonly states = new Set<(s: ListenState) => void>();

  constructor(
    private readonly url: string,
    private readonly applicationName: string,
    private readonly log: Logger,
  ) {}

  async add(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    const fresh = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(onPayload);
    // While reconnecting the channel is listened to when the connection is back.
    if (!this.client && !this.retry) await (this.connecting ??= this.connect().finally(() => (this.connecting = undefined)));
    else if (fresh && this.client) await this.client.query(`LISTEN ${quoteChannel(channel)}`);
    return async () => {
      set.delete(onPayload);
    };
  }

  /** True while the connection is up with every channel listened to. */
  isUp(): boolean {
    return this.client !== undefined;
  }

  onState(fn: (s: ListenState) => void): () => void {
    this.states.add(fn);
    return () => this.states.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url, application_name: this.applicationName });
    c.on('error', () => {}); // 'end' follows and handles it
    let ended = false;
    c.on('end', () => {
      ended = true;
      if (this.client === c) this.lost();
    });
    try {
      await c.connect();
      c.on('notification', (n) => {
        for (const h of this.handlers.get(n.channel) ?? []) h(n.payload ?? '');
      });
      // Channels added while this loop awaits are picked up by the next round.
      const listened = new Set<string>();
      for (let more = true; more; ) {
        more = false;
        for (const channel of [...this.handlers.keys()].filter((ch) => !listened.has(ch))) {
          await c.query(`LISTEN ${quoteChannel(channel)}`);
          listened.add(channel);
          more = true;
        }
      }
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    if (this.closed || ended) {
      await c.end().catch(() => {});
      if (!this.closed) throw new Error('LISTEN connection ended while it was being set up');
      return;
    }
    this.client = c;
  }

  private lost(): void {
    this.client = undefined;
    if (this.closed) return;
    this.lostAt = Date.now();
    this.log.warn({ channels: [...this.handlers.keys()] }, 'LISTEN connection lost; reconnecting (workers poll on their idle timers meanwhile)');
    this.emit('lost');
    this.schedule(0);
  }

  private schedule(attempt: number): void {
    this.retry = setTimeout(() => {
      this.connect().then(
        () => {
          this.retry = undefined;
          if (this.closed) return;
          this.log.info({ downMs: Date.now() - this.lostAt, attempts: attempt + 1 }, 'LISTEN connection restored');
          this.emit('restored');
        },
        (err: unknown) => {
          if (this.closed) return;
          if (attempt % 5 === 4) this.log.warn({ err, attempts: attempt + 1 }, 'LISTEN connection still down; retrying');
          this.schedule(attempt + 1);
        },
      );
    }, reconnectDelayMs(attempt));
    this.retry.unref();
  }

  private emit(s: ListenState): void {
    for (const fn of this.states) {
      try {
        fn(s);
      } catch (err) {
        this.log.error({ err }, 'LISTEN state listener failed');
      }
    }
  }
}

function quoteChannel(channel: string): string {
  return `"${channel.replace(/"/g, '')}"`;
}

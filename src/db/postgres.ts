import pg from 'pg';
import type { Db, Queryable, QueryResult } from './types.js';

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
export async function openPostgres(url: string, opts: { max?: number; schema?: string } = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    ...(opts.schema ? { options: `-c search_path=${opts.schema},public` } : {}),
  });
  // An idle client that loses its server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  const base = wrap(pool);
  let listener: pg.Client | undefined;
  const handlers = new Map<string, Set<(p: string) => void>>();
  const lostHandlers = new Set<() => void>();
  let listening = false;
  // Any failure of the LISTEN connection counts as lost: from then on notifications may be missed.
  // (Reconnecting and re-issuing LISTEN is done elsewhere; whoever does it sets `listening` again
  // only after every channel is listened to once more.)
  const lost = (): void => {
    if (!listening) return;
    listening = false;
    for (const fn of [...lostHandlers]) fn();
  };
  return {
    kind: 'postgres',
    query: base.query,
    async tx(fn) {
      // A deadlock (40P01) aborts one side with nothing committed; run it again, a few times.
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await fn(wrap(client));
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          if ((err as { code?: string }).code !== '40P01' || attempt >= 3) throw err;
        } finally {
          client.release();
        }
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    },
    async listen(channel, onPayload) {
      if (!listener) {
        // Named, so an operator (and a test) can tell the LISTEN connection apart in pg_stat_activity.
        listener = new pg.Client({ connectionString: url, application_name: `reelay listen ${opts.schema ?? ''}`.trim() });
        listener.on('error', lost);
        listener.on('end', lost);
        await listener.connect();
        listening = true;
        listener.on('notification', (n) => {
          for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
        });
      }
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await listener.query(`LISTEN "${channel.replace(/"/g, '')}"`);
      }
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
      };
    },
    onListenLost(fn) {
      lostHandlers.add(fn);
      return () => lostHandlers.delete(fn);
    },
    isListening: () => listening,
    async close() {
      lostHandlers.clear();
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}

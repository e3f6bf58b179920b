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
        listener = new pg.Client({ connectionString: url });
        listener.on('error', () => {});
        await listener.connect();
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
    async close() {
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}

import { join } from 'node:path';
import type { Db } from './types.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Logger } from '../log.js';

export type { Db, ListenState, Queryable, QueryResult } from './types.js';
export { migrate } from './migrate.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';

/**
 * Opens the configured database: a PostgreSQL server when `databaseUrl` is set, otherwise PGlite
 * in `<dataDir>/pg`.
 *
 * @example
 * const db = await openDb({ dataDir: './data' });
 */
export async function openDb(opts: { databaseUrl?: string | undefined; dataDir: string; schema?: string | undefined; log?: Logger }): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, { ...(opts.schema ? { schema: opts.schema } : {}), ...(opts.log ? { log: opts.log } : {}) });
  return openPglite(join(opts.dataDir, 'pg'), opts.log ? { log: opts.log } : {});
}

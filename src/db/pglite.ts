import { dirname } from 'node:path';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './types.js';
import { silentLogger, type Logger } from '../log.js';

const parsers = { [types.INT8]: (v: string) => Number(v) };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When process `pid` started (clock ticks since boot, /proc/<pid>/stat field 22), or null where
 * /proc is not there. With the pid it names one process for good: after a SIGKILL the pid in a
 * stale lock can belong to another process by the time we restart (a container restarts its
 * processes with the same few pids), and that must not keep the database locked.
 */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote lock text `text` ("pid" or "pid starttime") still runs. */
function lockHolderAlive(text: string): number | null {
  const [pidText, started] = text.trim().split(/\s+/);
  const owner = Number(pidText);
  if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid || !pidAlive(owner)) return null;
  // Another process now has that pid: the lock is stale.
  if (started && startTimeOf(owner) !== null && startTimeOf(owner) !== started) return null;
  return owner;
}

/**
 * PGlite is a single-process database: a second process opening the same directory would corrupt
 * it. A pid lock file turns that mistake into a clear error.
 */
function takeLock(dir: string): () => void {
  // Beside the data directory, not in it: initdb refuses a non-empty directory.
  const lock = `${dir}.lock`;
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(lock, 'wx');
      const started = startTimeOf(process.pid);
      writeFileSync(fd, started ? `${process.pid} ${started}` : String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockHolderAlive(readFileSync(lock, 'utf8'));
      if (owner !== null) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${owner}. Stop it, or give this instance its own REELAY_DATA_DIR.`,
        );
      }
      unlinkSync(lock); // stale lock from a crashed process
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/**
 * Opens the cluster in `dir`, creating it if there is none. A first start killed during initdb
 * (SIGKILL, OOM, a full disk) left a half-made cluster that PGlite aborted on at every start after,
 * for good. `<dir>.creating` is written before a cluster is made in an empty directory and removed
 * once it has opened: a directory that fails to open while it is still there is such a wreck, and
 * is moved aside (kept, never deleted) and made afresh. Any other directory that fails to open —
 * one that opened before, or one from before this marker existed — holds data: it is never
 * touched, and the error stands.
 */
async function openDir(dir: string, log: Logger): Promise<PGlite> {
  const creating = `${dir}.creating`;
  const empty = !existsSync(dir) || readdirSync(dir).length === 0;
  if (empty) writeFileSync(creating, `${new Date().toISOString()}\n`);
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir: dir, parsers });
  } catch (err) {
    if (empty || !existsSync(creating)) throw err;
    const aside = `${dir}.unfinished-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(dir, aside);
    log.warn({ err, dir, movedTo: aside }, 'the embedded database was never fully created (a first start was interrupted): moved aside, creating it afresh');
    pg = await PGlite.create({ dataDir: dir, parsers });
  }
  if (existsSync(creating)) unlinkSync(creating);
  return pg;
}

function wrap(q: Pick<PGlite, 'query'>): Queryable {
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await q.query<R>(sql, params as unknown[] | undefined);
      return { rows: res.rows, rowCount: res.affectedRows || res.rows.length };
    },
  };
}

/**
 * Opens PGlite in `dir` (created if missing), or in memory when `dir` is undefined.
 *
 * @example
 * const db = await openPglite('./data/pg');
 */
export async function openPglite(dir: string | undefined, opts: { log?: Logger } = {}): Promise<Db> {
  let release = () => {};
  if (dir) {
    mkdirSync(dirname(dir), { recursive: true });
    release = takeLock(dir);
  }
  let pg: PGlite;
  try {
    pg = dir ? await openDir(dir, opts.log ?? silentLogger) : await PGlite.create({ parsers });
  } catch (err) {
    release();
    throw err;
  }
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: base.query,
    tx: (fn) => pg.transaction((t) => fn(wrap(t))),
    async listen(channel, onPayload) {
      const unsub = await pg.listen(channel, onPayload);
      return async () => unsub();
    },
    // One in-process database: its LISTEN cannot be lost.
    onListenState: () => () => {},
    onListenLost: () => () => {},
    isListening: () => true,
    async close() {
      await pg.close();
      release();
    },
  };
}

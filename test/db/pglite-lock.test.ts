/**
 * The embedded database's pid lock after a SIGKILL: the stale lock names a pid that, by the
 * restart, may belong to another live process (containers reuse the same few pids). The lock held
 * only the pid, so the restart refused to open the data directory. It now holds the pid and the
 * process's start time, and a live process with another start time does not hold it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../../src/db/index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'reelay-lock-'));
  dirs.push(d);
  return join(d, 'pg');
}

const startTime = async (pid: number): Promise<string> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};

test(
  'a stale lock whose pid now belongs to another live process does not stop the restart; a live holder still does, with a clear error',
  { skip: process.platform === 'linux' ? false : 'needs /proc' },
  async () => {
    // Any live process that is not a Reelay: it stands for the pid reused after the SIGKILL.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = other.pid!;
      const dir = await freshDir();
      await writeFile(`${dir}.lock`, `${pid} 1`);
      const db = await openPglite(dir);
      assert.equal((await db.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n, 1);
      const mine = await readFile(`${dir}.lock`, 'utf8');
      assert.equal(mine, `${process.pid} ${await startTime(process.pid)}`, 'the lock names this process and when it started');
      await db.close();

      // The same pid with its own start time is a live holder: refused, naming it.
      await writeFile(`${dir}.lock`, `${pid} ${await startTime(pid)}`);
      await assert.rejects(openPglite(dir), new RegExp(`in use by process ${pid}`));
      // A lock written before start times (pid only) of a live process is honoured too.
      await writeFile(`${dir}.lock`, String(pid));
      await assert.rejects(openPglite(dir), /in use by process/);
      // Killed between creating the lock and writing it: empty, stale.
      await writeFile(`${dir}.lock`, '');
      const again = await openPglite(dir);
      await again.close();
    } finally {
      other.kill('SIGKILL');
    }
  },
);

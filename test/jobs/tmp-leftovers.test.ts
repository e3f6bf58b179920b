/**
 * A process killed mid-render or mid-download (SIGKILL, OOM, power) left its partial MP4 in
 * `<dataDir>/tmp` for good: one per interrupted attempt, until the disk was full. Workers now
 * delete files there untouched for hours, and leave recent ones alone.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, testSchemaName } from '../support/reelay.js';
import { spawnServe } from '../support/process.js';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const exists = (p: string) => access(p).then(() => true, () => false);

test('leftover temporary files of killed jobs are deleted once hours old; recent ones are kept', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-tmp-leftovers-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = { REELAY_DATA_DIR: dataDir, REELAY_WORKER_IDLE_POLL_MS: '200' };
  if (process.env.DATABASE_URL) {
    const schema = testSchemaName();
    cleanup.push(() => dropSchema(schema));
    Object.assign(env, { DATABASE_URL: process.env.DATABASE_URL, REELAY_DATABASE_SCHEMA: schema });
  }
  const tmp = join(dataDir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const old = join(tmp, '7ddee246-355e-438d-974d-7a9c2befeba3-att_B19pPe51zqdaVx1C.mp4.part');
  const fresh = join(tmp, 'fde70db7-2142-4bd2-a9ce-ed9309ab3ca3-att_2si9RdG6jBUPPVso.mp4.part');
  await writeFile(old, Buffer.alloc(4096));
  await writeFile(fresh, Buffer.alloc(4096));
  const longAgo = new Date(Date.now() - 7 * 3600_000);
  await utimes(old, longAgo, longAgo);

  const p = await spawnServe(env);
  cleanup.push(async () => {
    p.child.kill('SIGTERM');
    await p.exited;
  });
  const deadline = Date.now() + 15_000;
  while ((await exists(old)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await exists(old), false, 'the 7-hour-old leftover is deleted');
  assert.equal(await exists(fresh), true, 'a recent file (a render in progress, perhaps) is kept');
});

/**
 * Our own infrastructure failing under a request answered a bare 500 "Internal error": the caller
 * could not tell a bug from an outage worth retrying. A full or unwritable file store and a
 * database connection killed mid-query now answer 503 `unavailable`, saying which part, with
 * Retry-After, in the dialect's envelope, and charge nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../../src/db/index.js';
import { startReelay, api, usingPostgres, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';

let r: TestReelay;
let tmp: string;

before(async () => {
  r = await startReelay();
  tmp = await mkdtemp(join(tmpdir(), 'reelay-outage-'));
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function credits(): Promise<{ available: number; held: number; spent: number }> {
  const me = await api(r.url, r.key, 'GET', '/v2/me');
  return (me.body.credits as Record<string, { available: number; held: number; spent: number }>).test!;
}

test('file storage that refuses the input image (full, read-only, not a directory) answers 503 unavailable with Retry-After, not 500; no job, nothing held', async () => {
  const png = await makeImage(join(tmp, 'in.png'), 640, 640);
  const body = { prompt: 'a boat [Static shot]', model: 'hailuo-2.3-fast', hailuoParams: { image: `data:image/png;base64,${png.toString('base64')}` } };
  const before = await credits();
  // `files/jobs` as a plain file: every store under it fails (ENOTDIR), even for root.
  const jobsDir = join(r.dataDir, 'files', 'jobs');
  await mkdir(join(r.dataDir, 'files'), { recursive: true });
  await rename(jobsDir, `${jobsDir}.aside`).catch(() => {});
  await writeFile(jobsDir, 'not a directory');
  try {
    const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', body);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 'unavailable');
    assert.match(String(res.body.error), /^File storage is full or unavailable on our side/);
    assert.match(String(res.body.error), /same Idempotency-Key/, 'a POST is told how to retry safely');
    assert.doesNotMatch(String(res.body.error), /ENOTDIR|\//, 'no errno or server path');
    assert.equal(res.headers.get('retry-after'), '5');
    const ws = await api(r.url, r.key, 'POST', '/api/v3/minimax/hailuo-2.3/i2v-standard', { prompt: 'a boat', image: body.hailuoParams.image });
    assert.equal(ws.status, 503, JSON.stringify(ws.body));
    assert.equal(ws.body.code, 503, 'the WaveSpeed envelope carries the status as its code');
    assert.deepEqual(await credits(), before, 'nothing held or spent');
    assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs')).body.total ?? 0, 0);
  } finally {
    await rm(jobsDir, { force: true });
    await rename(`${jobsDir}.aside`, jobsDir).catch(() => {});
  }
  const ok = await api(r.url, r.key, 'POST', '/v2/videos/generate', body);
  assert.equal(ok.status, 202, 'accepted again once storage is back');
});

test(
  'a database connection killed mid-query answers 503 unavailable with Retry-After, not 500; the next request is served',
  { skip: usingPostgres ? false : 'PostgreSQL only (PGlite has no connection to kill): set DATABASE_URL' },
  async () => {
    const schema = String((await r.reelay.db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s);
    const locker = await openPostgres(process.env.DATABASE_URL!, { max: 2 });
    try {
      // Hold the jobs table so a list request waits in a query, then kill the connection it waits on.
      let listing: Promise<Awaited<ReturnType<typeof api>>> | undefined;
      await locker.tx(async (q) => {
        await q.query(`LOCK TABLE ${schema}.jobs IN ACCESS EXCLUSIVE MODE`);
        listing = api(r.url, r.key, 'GET', '/v2/jobs');
        // Every connection of ours that waits on the lock is killed (the workers' claims wait too),
        // until the request has its answer.
        let settled = false;
        void listing.finally(() => (settled = true));
        for (let i = 0; i < 400 && !settled; i++) {
          await new Promise((res) => setTimeout(res, 50));
          await locker.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [`reelay:${schema}`]);
        }
        assert.ok(settled, 'the request was answered');
      });
      const res = await listing!;
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.code, 'unavailable');
      assert.match(String(res.body.error), /^The database is unavailable on our side/);
      assert.doesNotMatch(String(res.body.error), /Idempotency-Key/, 'a GET is simply retried');
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal((await api(r.url, r.key, 'GET', '/v2/jobs')).status, 200);
    } finally {
      await locker.close();
    }
  },
);

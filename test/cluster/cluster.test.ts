import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { openPostgres } from '../../src/db/index.js';
import { api, dropSchema, testSchemaName, waitForJob } from '../support/reelay.js';
import { freePort, spawnServe, type ServeProcess } from '../support/process.js';

const procs: ServeProcess[] = [];
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const c of cleanup.reverse()) await c();
});

test(
  'cluster: two API and two worker processes on one PostgreSQL and one S3 server; a worker SIGKILLed mid-render; every job finished once, charged once, its file in the bucket',
  { skip: process.env.DATABASE_URL ? false : 'cluster mode runs on a PostgreSQL server: set DATABASE_URL (CI does)' },
  async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'reelay-cluster-'));
    cleanup.push(() => rm(tmp, { recursive: true, force: true }));
    const s3port = await freePort();
    const s3 = new S3rver({ port: s3port, address: '127.0.0.1', silent: true, directory: join(tmp, 's3'), configureBuckets: [{ name: 'reelay', configs: [] }] });
    await s3.run();
    cleanup.push(() => s3.close());
    const schema = testSchemaName();
    cleanup.push(() => dropSchema(schema));

    const env = {
      DATABASE_URL: process.env.DATABASE_URL!,
      REELAY_DATABASE_SCHEMA: schema,
      REELAY_STORAGE: 's3://reelay/results',
      S3_ENDPOINT: `http://127.0.0.1:${s3port}`,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      REELAY_LEASE_SECONDS: '5',
      REELAY_WORKER_IDLE_POLL_MS: '250',
      REELAY_INITIAL_TEST_CREDITS: '10000',
    };
    const api1 = await spawnServe({ ...env, REELAY_DATA_DIR: join(tmp, 'a1') }, 60_000, ['--role', 'api']);
    procs.push(api1);
    const key = /(rl_test_[1-9A-HJ-NP-Za-km-z]{32})/.exec(api1.output())?.[1];
    assert.ok(key, api1.output());
    const [api2, w1, w2] = await Promise.all([
      spawnServe({ ...env, REELAY_DATA_DIR: join(tmp, 'a2') }, 60_000, ['--role', 'api']),
      spawnServe({ ...env, REELAY_DATA_DIR: join(tmp, 'w1') }, 60_000, ['--role', 'worker']),
      spawnServe({ ...env, REELAY_DATA_DIR: join(tmp, 'w2') }, 60_000, ['--role', 'worker']),
    ]);
    procs.push(api2!, w1!, w2!);
    assert.doesNotMatch(api2!.output(), /rl_test_/, 'only the first process creates the first account');

    const db = await openPostgres(process.env.DATABASE_URL!, { schema });
    cleanup.push(() => db.close());
    // The test polls every job every 250 ms through one key: the roomiest plan, so that the rate
    // limit is not what is tested (a plan change reaches every API process's key cache at once).
    await db.query(`UPDATE accounts SET plan_id = 'enterprise'`);

    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const via = i % 2 === 0 ? api1 : api2!;
      const res = await api(via.url, key!, 'POST', '/v2/videos/generate', { prompt: `cluster clip ${i} [[sandbox:delay=1]]`, model: 'hailuo-2.3' });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(String(res.body.jobId));
    }

    // Wait until worker 1 holds a job that is rendering, then kill it without warning.
    const w1Id = /Reelay worker (wrk_\w+)/.exec(w1!.output())?.[1];
    assert.ok(w1Id, w1!.output());
    let killedJob: string | undefined;
    for (let i = 0; i < 200 && !killedJob; i++) {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM jobs WHERE lease_owner = $1 AND state = 'running' LIMIT 1`, [w1Id]);
      killedJob = rows[0]?.id;
      if (!killedJob) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(killedJob, 'worker 1 took a job');
    w1!.child.kill('SIGKILL');
    assert.equal(await w1!.exited, 'SIGKILL');

    for (const [i, id] of ids.entries()) {
      const job = await waitForJob(i % 2 === 0 ? api2!.url : api1.url, key!, id, { timeoutMs: 180_000 });
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    }
    const { rows: ledger } = await db.query<{ job_id: string; kinds: string }>(
      `SELECT job_id, string_agg(kind, ',' ORDER BY id) AS kinds FROM ledger WHERE job_id IS NOT NULL GROUP BY job_id`,
    );
    assert.equal(ledger.length, ids.length);
    for (const row of ledger) assert.equal(row.kinds, 'hold,capture', `job ${row.job_id} charged exactly once`);
    const { rows: wallet } = await db.query<{ held: number; spent: number }>(`SELECT held, spent FROM wallets WHERE mode = 'test'`);
    assert.deepEqual(wallet, [{ held: 0, spent: 48 * ids.length }]);

    const client = new S3Client({ endpoint: env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    for (const id of ids) {
      // Each attempt stores under its own prefix; the job's result names the one that won.
      const { rows: res } = await db.query<{ key: string }>(`SELECT result->'video'->>'key' AS key FROM jobs WHERE id = $1`, [id]);
      assert.match(res[0]!.key, new RegExp(`^jobs/${id}/att_[1-9A-HJ-NP-Za-km-z]+/video\\.mp4$`));
      const head = await client.send(new HeadObjectCommand({ Bucket: 'reelay', Key: `results/${res[0]!.key}` }));
      assert.ok((head.ContentLength ?? 0) > 10_000, `video of ${id} is in the bucket`);
    }
    const killed = await api(api1.url, key!, 'GET', `/v2/jobs/${killedJob!}`);
    const url = String((killed.body.result as { videoUrl: string }).videoUrl);
    const part = await fetch(url, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    for (const p of [api1, api2!, w2!]) p.child.kill('SIGTERM');
    for (const p of [api1, api2!, w2!]) assert.equal(await p.exited, 0);
  },
);

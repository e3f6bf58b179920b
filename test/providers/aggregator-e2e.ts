/**
 * The end-to-end checks every aggregator must pass, through a real Reelay configured with ONLY
 * that provider's key and base URL (no MiniMax): a live job is routed there, makes a video that
 * completes, is charged exactly once and whose file is stored and served; an image-to-video job
 * carries the image; with PUBLIC_URL the upstream's signed webhook is verified and brings the one
 * poll forward, the image goes as our signed file URL, and a forged webhook is refused with 401.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import { waitForJob, type TestReelay } from '../support/reelay.js';
import { freePort } from '../support/process.js';
import { makeImage } from '../support/images.js';
import type { FakeUpstream, WebhookSent } from '../support/fake-upstream.js';
import { jobRow, ledgerOf, liveAccount, liveWallet, submit, waitRow } from './minimax-helpers.js';
import { startWith } from './aggregator-helpers.js';

export interface E2eSpec<F> {
  provider: string;
  start(): Promise<FakeUpstream<F> & { webhooksSent: WebhookSent[] }>;
  /** Reelay settings that point only at the fake. */
  keys(fake: FakeUpstream<F>): Partial<Record<keyof Config, unknown>>;
  /** The recorded create for a prompt: its upstream model/path, its body and task id. */
  created(fake: FakeUpstream<F>, promptPart: string): { model: string; body: Record<string, unknown>; taskId: string | null } | undefined;
  /** Where the image is in a recorded body. */
  imageOf(body: Record<string, unknown>): unknown;
  /** The name of the fake's status endpoint (counted against the job's polls). */
  statusEndpoint: string;
}

export function e2eSuite<F>(spec: E2eSpec<F>): void {
  let fake: FakeUpstream<F> & { webhooksSent: WebhookSent[] };
  let r: TestReelay;
  let tmp: string;

  before(async () => {
    fake = await spec.start();
    r = await startWith(spec.keys(fake));
    tmp = r.dataDir;
  });
  after(async () => {
    await r.stop();
    await fake.stop();
  });

  test(`with only the ${spec.provider} key set, a live text-to-video job goes to ${spec.provider}, completes, is charged once and its file is stored`, async () => {
    const a = await liveAccount(r);
    const id = await submit(r, a.key, { prompt: `a red fox in snow #${spec.provider}-t2v`, hailuoParams: { duration: 10, resolution: '768p' } });
    const job = await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    const row = await jobRow(r, id);
    assert.equal(row.provider, spec.provider);
    const create = spec.created(fake, `#${spec.provider}-t2v`);
    assert.ok(create, 'the upstream saw the create');
    assert.equal(row.upstream_task_id, create.taskId);
    const result = job.result as Record<string, unknown>;
    const video = await fetch(String(result.videoUrl));
    assert.equal(video.status, 200);
    assert.equal((await video.arrayBuffer()).byteLength, result.bytes);
    assert.equal(result.width, 1366);
    assert.deepEqual(await ledgerOf(r, id), [`hold:${row.price}`, `capture:${row.price}`]);
    assert.deepEqual(await liveWallet(r, a.id), { available: 1000 - row.price, held: 0, spent: row.price });
    assert.equal(fake.count(spec.statusEndpoint, create.taskId!) >= row.upstream_polls, true);
  });

  test(`image-to-video on Hailuo 2.3 Fast through ${spec.provider}: the stored image goes inline (no PUBLIC_URL)`, async () => {
    const a = await liveAccount(r);
    const png = await makeImage(join(tmp, `frame-${spec.provider}.png`), 800, 600);
    const id = await submit(r, a.key, { prompt: `wind in the trees #${spec.provider}-i2v`, model: 'hailuo-2.3-fast', hailuoParams: { image: `data:image/png;base64,${png.toString('base64')}`, duration: 6, resolution: '1080p' } });
    const job = await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    const create = spec.created(fake, `#${spec.provider}-i2v`)!;
    assert.match(String(spec.imageOf(create.body)), /^data:image\/png;base64,/);
  });

  test(`${spec.provider} webhooks through Reelay: a signed one is verified and brings the poll forward, the image goes as our signed URL, a forged one is refused with 401`, async () => {
    const port = await freePort();
    const hooked = await startWith(spec.keys(fake), {
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      // First scheduled poll ~36 s out: a job done within seconds was polled because of the webhook.
      modelTimings: { 'hailuo-2.3': { typicalSeconds: 60 }, 'hailuo-2.3-fast': { typicalSeconds: 60 } },
      upstreamPollMinIntervalMs: 30_000,
    });
    try {
      const a = await liveAccount(hooked);
      const png = await makeImage(join(tmp, `hook-${spec.provider}.png`), 800, 600);
      const id = await submit(hooked, a.key, { prompt: `fireworks #${spec.provider}-hook`, model: 'hailuo-2.3-fast', hailuoParams: { image: `data:image/png;base64,${png.toString('base64')}` } });
      const job = await waitForJob(hooked.url, a.key, id, { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
      const row = await jobRow(hooked, id);
      assert.equal(row.upstream_polls, 1, 'one authenticated poll, the one the webhook asked for');
      const sent = fake.webhooksSent.find((w) => w.taskId === row.upstream_task_id);
      assert.equal(sent?.httpStatus, 200);
      const image = String(spec.imageOf(spec.created(fake, `#${spec.provider}-hook`)!.body));
      assert.match(image, new RegExp(`^http://127\\.0\\.0\\.1:${port}/files/`));
      assert.equal((await fetch(image)).status, 200, 'the upstream can fetch the image from our signed URL');

      (fake as unknown as { badSignatures: number }).badSignatures = 1;
      const forgedId = await submit(hooked, a.key, { prompt: `forged #${spec.provider}-forged` });
      const forgedRow = await waitRow(hooked, forgedId, (x) => x.upstream_task_id !== null);
      for (let i = 0; i < 100 && !fake.webhooksSent.some((w) => w.taskId === forgedRow.upstream_task_id); i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(fake.webhooksSent.find((w) => w.taskId === forgedRow.upstream_task_id)?.httpStatus, 401);
      await new Promise((res) => setTimeout(res, 300));
      assert.equal((await jobRow(hooked, forgedId)).upstream_polls, 0, 'a forged webhook brings nothing forward');
    } finally {
      await hooked.stop();
    }
  });
}

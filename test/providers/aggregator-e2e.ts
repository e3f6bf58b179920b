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
import type { Fault, FakeUpstream, WebhookSent } from '../support/fake-upstream.js';
import { api } from '../support/reelay.js';
import { jobRow, ledgerOf, liveAccount, liveWallet, submit, waitRow } from './minimax-helpers.js';

const COOLDOWN_MS = 2000;
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
  /** The fake's submit endpoint name. */
  submitEndpoint: string;
  /** The vendor's own fault bodies (test/support/<vendor>-server.ts). */
  faults: { rateLimited: (retryAfterSeconds?: number) => Fault; serverError: Fault; balance: Fault };
  /** A task failure the vendor reports for a moderated input or output. */
  moderation: F;
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

  test(`${spec.provider} faults through Reelay: 429 with and without Retry-After on submit, then 5xx and a timeout on status; the job completes, sent once, charged once`, async () => {
    const a = await liveAccount(r);
    fake.inject(spec.submitEndpoint, spec.faults.rateLimited(1));
    fake.inject(spec.submitEndpoint, spec.faults.rateLimited());
    fake.inject(spec.statusEndpoint, spec.faults.serverError);
    fake.inject(spec.statusEndpoint, { kind: 'slow', delayMs: 2500 }); // past upstreamTimeoutMs (2 s)
    const id = await submit(r, a.key, { prompt: `storm #${spec.provider}-transient` });
    const job = await waitForJob(r.url, a.key, id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    const row = await jobRow(r, id);
    assert.equal(spec.created(fake, `#${spec.provider}-transient`)?.taskId, row.upstream_task_id);
    assert.equal([...fake.tasks.values()].filter((t) => String(t.input.prompt).includes(`#${spec.provider}-transient`)).length, 1, 'one upstream task');
    assert.deepEqual(await ledgerOf(r, id), [`hold:${row.price}`, `capture:${row.price}`]);
    fake.clearFaults();
  });

  test(`${spec.provider} moderation fails the job as content_policy, refunded`, async () => {
    const a = await liveAccount(r);
    const plan = fake.plan;
    fake.plan = (input, model) => (String(input.prompt).includes('#moderated') ? { durationMs: 300, failure: spec.moderation } : plan(input, model));
    try {
      const id = await submit(r, a.key, { prompt: `flagged #moderated #${spec.provider}` });
      const job = await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 });
      assert.equal(job.status, 'FAILED', JSON.stringify(job));
      assert.equal(job.errorCode, 'content_policy');
      const { price } = await jobRow(r, id);
      assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `release:${price}`]);
    } finally {
      fake.plan = plan;
    }
  });

  test(`${spec.provider} balance exhausted: the job fails as provider_balance, refunded; ${spec.provider} rests (live submits 503, nothing charged), then serves again`, async () => {
    const a = await liveAccount(r);
    fake.inject(spec.submitEndpoint, spec.faults.balance);
    const id = await submit(r, a.key, { prompt: `no money #${spec.provider}-balance` });
    const job = await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 });
    assert.equal(job.errorCode, 'provider_balance', JSON.stringify(job));
    const { price } = await jobRow(r, id);
    assert.deepEqual(await ledgerOf(r, id), [`hold:${price}`, `release:${price}`]);
    const refused = await api(r.url, a.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'while resting' });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    await new Promise((res) => setTimeout(res, COOLDOWN_MS + 200));
    const ok = await submit(r, a.key, { prompt: `after the rest #${spec.provider}-after` });
    assert.equal((await waitForJob(r.url, a.key, ok, { timeoutMs: 30_000 })).status, 'COMPLETED');
  });
}

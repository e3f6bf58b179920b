import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, dropSchema, testSchemaName } from '../support/reelay.js';
import { spawnServe } from '../support/process.js';
import { Receiver, verifyApiframe, verifyStandard, waitUntil, webhookId } from './support.js';

const dirs: string[] = [];
const schemas: string[] = [];
const receivers: Receiver[] = [];
after(async () => {
  for (const r of receivers) await r.down();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  for (const s of schemas) await dropSchema(s);
});

async function setup(webhookTimeoutMs: number): Promise<Record<string, string>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-whcrash-'));
  dirs.push(dataDir);
  const env: Record<string, string> = {
    REELAY_DATA_DIR: dataDir,
    REELAY_WORKER_IDLE_POLL_MS: '200',
    REELAY_ALLOW_PRIVATE_URLS: 'true',
    REELAY_ALLOW_HTTP_URLS: 'true',
    REELAY_WEBHOOK_TIMEOUT_MS: String(webhookTimeoutMs),
    REELAY_WEBHOOK_RETRY_SCHEDULE_MS: '0,200,200',
  };
  if (process.env.DATABASE_URL) {
    const schema = testSchemaName();
    schemas.push(schema);
    Object.assign(env, { DATABASE_URL: process.env.DATABASE_URL, REELAY_DATABASE_SCHEMA: schema });
  }
  return env;
}

function keyFrom(output: string): string {
  const m = /(rl_test_[1-9A-HJ-NP-Za-km-z]{32})/.exec(output);
  assert.ok(m, output);
  return m[1]!;
}

/** A receiver that holds the first request for each job open and accepts the rest. */
async function holdFirst(): Promise<Receiver> {
  const rx = await new Receiver().up();
  receivers.push(rx);
  rx.reply = (req) => (rx.forJob(JSON.parse(req.body).jobId as string).length === 1 ? 'hang' : { status: 200 });
  return rx;
}

interface LogView {
  webhookStatus: string;
  deliveries: { webhookId: string; attempts: number; status: string; log: { attempt: number; statusCode: number | null; outcome: string }[] }[];
}

test('a worker killed (SIGKILL) mid-delivery: its lease lapses and the next process delivers the same event, same webhook-id', async () => {
  const env = await setup(5000);
  const rx = await holdFirst();
  const first = await spawnServe(env);
  const key = keyFrom(first.output());
  const sub = await api(first.url, key, 'POST', '/v2/videos/generate', {
    model: 'hailuo-2.3',
    prompt: 'x [[sandbox:fail=content_policy]]',
    webhookUrl: rx.url(),
    webhookEvents: ['failed'],
  });
  assert.equal(sub.status, 202);
  const id = String(sub.body.jobId);
  await rx.waitFor(() => rx.forJob(id).length === 1, 60_000, 'the first attempt to arrive');
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');

  const second = await spawnServe(env);
  try {
    await rx.waitFor(() => rx.forJob(id).length === 2, 60_000, 'the delivery to be retried by the second process');
    const [a, b] = rx.forJob(id);
    assert.equal(webhookId(a!), webhookId(b!), 'deduplicable by webhook-id');
    assert.equal(a!.body, b!.body);
    const secret = String((await api(second.url, key, 'GET', '/v2/webhooks/secret')).body.secret);
    for (const x of [a!, b!]) {
      verifyStandard(secret, x);
      assert.ok(verifyApiframe(key, x));
    }
    let log: LogView | undefined;
    await waitUntil(async () => {
      log = (await api(second.url, key, 'GET', `/v2/jobs/${id}/webhooks`)).body as unknown as LogView;
      return log.webhookStatus === 'delivered';
    });
    const [d] = log!.deliveries;
    // The killed attempt left no log line (the process died), but it was counted when claimed.
    assert.equal(d?.attempts, 2);
    assert.deepEqual(d?.log.map((x) => [x.attempt, x.statusCode, x.outcome]), [[2, 200, 'delivered']]);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});

test('a graceful stop (SIGTERM) mid-delivery hands the event back at once: the next process sends it without waiting for the lease', async () => {
  // A 120 s timeout means a 125 s lease: delivery well before that proves the claim was handed back.
  const env = await setup(120_000);
  const rx = await holdFirst();
  const first = await spawnServe(env);
  const key = keyFrom(first.output());
  const sub = await api(first.url, key, 'POST', '/v2/videos/generate', {
    model: 'hailuo-2.3',
    prompt: 'x [[sandbox:fail=timeout]]',
    webhookUrl: rx.url(),
    webhookEvents: ['failed'],
  });
  const id = String(sub.body.jobId);
  await rx.waitFor(() => rx.forJob(id).length === 1, 60_000, 'the first attempt to arrive');
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);

  const second = await spawnServe(env);
  try {
    // Well inside the 125 s lease: only a handed-back claim can be sent this soon.
    await rx.waitFor(() => rx.forJob(id).length === 2, 60_000, 'the handed-back delivery');
    assert.equal(webhookId(rx.forJob(id)[0]!), webhookId(rx.forJob(id)[1]!));
    let log: LogView | undefined;
    await waitUntil(async () => {
      log = (await api(second.url, key, 'GET', `/v2/jobs/${id}/webhooks`)).body as unknown as LogView;
      return log.webhookStatus === 'delivered';
    });
    const [d] = log!.deliveries;
    assert.deepEqual(d?.log.map((x) => x.outcome), ['interrupted', 'delivered']);
    assert.equal(d?.attempts, 1, 'an attempt cut short by our own shutdown is not counted');
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});

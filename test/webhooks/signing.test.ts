import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS, ConfigError, loadConfig } from '../../src/config.js';
import { apiframeSignature, apiframeWebhookFormat } from '../../src/http/dialects/apiframe/webhook.js';
import { newWebhookSecret, parseRetryAfter, retryDelayMs, signStandardWebhook, webhookSecretKey } from '../../src/webhooks/index.js';
import type { Job } from '../../src/jobs/index.js';

// The Standard Webhooks test vector, as published with the reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  ts: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

test('Standard Webhooks: our signature reproduces the published test vector and the reference library agrees', () => {
  assert.equal(signStandardWebhook([VECTOR.secret], VECTOR.id, VECTOR.ts, VECTOR.body), VECTOR.signature);
  assert.equal(new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.ts * 1000), VECTOR.body), VECTOR.signature);
});

test('Standard Webhooks: the reference library verifies fresh signatures, with one secret and with two during a rotation', () => {
  const oldSecret = newWebhookSecret();
  const newSecret = newWebhookSecret();
  assert.match(newSecret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(webhookSecretKey(newSecret).length, 32);
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ event: 'completed', jobId: 'x' });
  const both = signStandardWebhook([newSecret, oldSecret], 'whd_abc', ts, body);
  assert.equal(both.split(' ').length, 2);
  const headers = { 'webhook-id': 'whd_abc', 'webhook-timestamp': String(ts), 'webhook-signature': both };
  assert.deepEqual(new Webhook(newSecret).verify(body, headers), JSON.parse(body));
  assert.deepEqual(new Webhook(oldSecret).verify(body, headers), JSON.parse(body));
  // A third secret, a changed body or a changed id must not verify.
  assert.throws(() => new Webhook(newWebhookSecret()).verify(body, headers));
  assert.throws(() => new Webhook(newSecret).verify(body + ' ', headers));
  assert.throws(() => new Webhook(newSecret).verify(body, { ...headers, 'webhook-id': 'whd_abd' }));
});

test('Standard Webhooks: malformed or short secrets and ids with a "." are refused', () => {
  assert.throws(() => webhookSecretKey('whsec_c2hvcnQ='), /24 to 64 bytes/);
  assert.throws(() => webhookSecretKey('whsec_not base64!'), /base64/);
  assert.throws(() => signStandardWebhook([VECTOR.secret], 'msg.1', 1, '{}'), /must not contain/);
  assert.throws(() => signStandardWebhook([], 'msg_1', 1, '{}'), /at least one/);
});

test('Apiframe: X-Webhook-Signature is HMAC-SHA256 keyed with SHA256(apiKey) raw bytes, computed from our stored key_hash', () => {
  const apiKey = 'rl_test_4f9Yk2mQxWb7cRt1VnZ8pLhD3sJgA6eE';
  const keyHash = createHash('sha256').update(apiKey).digest('hex'); // what api_keys.key_hash holds
  const body = '{"event":"completed","jobId":"0b1c"}';
  const receiverSide = createHmac('sha256', createHash('sha256').update(apiKey).digest()).update(body).digest('hex');
  assert.equal(apiframeSignature(keyHash, body), receiverSide);
  assert.notEqual(apiframeSignature(keyHash, body), createHmac('sha256', keyHash).update(body).digest('hex'), 'the hex text is not the key');
});

function job(over: Partial<Job>): Job {
  return {
    id: '6c8e1c1e-8d3e-4a55-9f59-0d6c3f2d9a11',
    accountId: 'acct_1',
    keyId: 'key_1',
    mode: 'test',
    dialect: 'apiframe',
    model: 'hailuo-2.3',
    input: { model: 'hailuo-2.3', prompt: 'x', image: null, durationSeconds: 6, resolution: '768p', promptOptimizer: true, fastPretreatment: false, modality: null, original: {} },
    state: 'running',
    progress: 50,
    price: 48,
    provider: 'sandbox',
    upstreamTaskId: null,
    errorCode: null,
    errorMessage: null,
    statusReason: null,
    result: null,
    webhookUrl: 'https://example.com/h',
    webhookEvents: null,
    webhookStatus: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    startedAt: null,
    completedAt: null,
    expiredAt: null,
    ...over,
  };
}

test('Apiframe payloads have the documented shapes; a cancellation is a "failed" event with status CANCELLED', () => {
  const ctx = { fileUrl: (k: string) => ({ url: `https://r.example/files/${k}`, expiresAt: new Date(0) }), apiKeyHash: 'ab'.repeat(32), baseUrl: 'https://r.example' };
  const progress = apiframeWebhookFormat.render(job({}), 'progress', 'progress', ctx);
  assert.deepEqual(JSON.parse(progress.body), { event: 'progress', jobId: job({}).id, status: 'PROCESSING', progress: 50, model: 'hailuo-2.3' });
  assert.equal(progress.headers['X-Webhook-Event'], 'progress');
  assert.equal(progress.headers['X-Webhook-Signature'], `sha256=${apiframeSignature('ab'.repeat(32), progress.body)}`);

  const failedJob = job({ state: 'failed', errorCode: 'content_policy', errorMessage: 'flagged' });
  assert.deepEqual(JSON.parse(apiframeWebhookFormat.render(failedJob, 'failed', 'failed', ctx).body), {
    event: 'failed', jobId: failedJob.id, status: 'FAILED', error: 'flagged', errorCode: 'content_policy', model: 'hailuo-2.3',
  });
  assert.equal(apiframeWebhookFormat.eventName('canceled'), 'failed');
  const canceled = job({ state: 'canceled', errorCode: 'canceled', errorMessage: 'Canceled by the caller' });
  assert.equal(JSON.parse(apiframeWebhookFormat.render(canceled, 'canceled', 'failed', ctx).body).status, 'CANCELLED');

  const video = { key: 'jobs/1/video.mp4', contentType: 'video/mp4', bytes: 10, width: 1366, height: 768, fps: 24, durationSeconds: 6, sha256: 'f'.repeat(64), codec: 'h264' };
  const done = job({ state: 'completed', progress: 100, completedAt: new Date('2026-03-15T10:00:32.000Z'), result: { video, poster: { key: 'jobs/1/poster.jpg', contentType: 'image/jpeg', bytes: 1 } } });
  const completed = JSON.parse(apiframeWebhookFormat.render(done, 'completed', 'completed', { ...ctx, apiKeyHash: null }).body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(completed), ['event', 'jobId', 'status', 'progress', 'result', 'model', 'creditCost', 'completedAt']);
  assert.equal((completed.result as { videoUrl: string }).videoUrl, 'https://r.example/files/jobs/1/video.mp4');
  assert.equal(completed.creditCost, 48);
  assert.equal(completed.completedAt, '2026-03-15T10:00:32.000Z');
  assert.equal(apiframeWebhookFormat.render(done, 'completed', 'completed', { ...ctx, apiKeyHash: null }).headers['X-Webhook-Signature'], undefined);
});

test('retry schedule: the default is Standard Webhooks\' ladder (over 24 h), each step jittered by at most 10 %, then give up', () => {
  assert.deepEqual([...DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS], [0, 5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5]);
  assert.ok(DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0) >= 24 * 3600 * 1000);
  const s = [0, 1000, 10_000];
  assert.equal(retryDelayMs(s, 1, () => 0), 900);
  assert.equal(retryDelayMs(s, 1, () => 1), 1100);
  assert.equal(retryDelayMs(s, 2, () => 0.5), 10_000);
  assert.equal(retryDelayMs(s, 3), null, 'three attempts made: give up');
});

test('Retry-After: delta-seconds or an HTTP-date, capped, never negative; garbage is ignored', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('2', now, 60_000), 2000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now, 60_000), 30_000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now + 40_000, 60_000), 0);
  assert.equal(parseRetryAfter('99999', now, 60_000), 60_000);
  assert.equal(parseRetryAfter('soon', now, 60_000), null);
  assert.equal(parseRetryAfter(undefined, now, 60_000), null);
});

test('config: webhook settings come from the environment (a comma list for the schedule) and bad ones are reported', () => {
  const c = loadConfig({ REELAY_WEBHOOK_RETRY_SCHEDULE_MS: '0, 100,2000', REELAY_WEBHOOK_TIMEOUT_MS: '750', REELAY_WEBHOOK_SECRET_ROTATION_WINDOW_SECONDS: '60' }, { dataDir: '/tmp/x' });
  assert.deepEqual(c.webhookRetryScheduleMs, [0, 100, 2000]);
  assert.equal(c.webhookTimeoutMs, 750);
  assert.equal(c.webhookSecretRotationWindowSeconds, 60);
  const d = loadConfig({}, { dataDir: '/tmp/x' });
  assert.equal(d.webhookTimeoutMs, 15_000);
  assert.equal(d.webhookSecretRotationWindowSeconds, 86_400);
  assert.equal(d.webhookHostConcurrency, 4);
  assert.throws(
    () => loadConfig({ REELAY_WEBHOOK_RETRY_SCHEDULE_MS: '0,soon' }, { dataDir: '/tmp/x' }),
    (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.includes('REELAY_WEBHOOK_RETRY_SCHEDULE_MS')),
  );
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../src/errors.js';
import type { ResolvedAddress, UrlPolicy } from '../../src/net/index.js';
import { checkWebhookUrl } from '../../src/webhooks/index.js';
import { deliveryLog } from '../../src/webhooks/repo.js';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import { deliveries, emit, insertJob, openTestDb, Receiver, testDispatcher, testOutbox, type TestDb } from './support.js';

const FLAG_OFF: UrlPolicy = { allowPrivateNetworks: false, allowHttp: true };
const PRIVATE = ['127.0.0.1', '169.254.169.254', '10.0.0.7', '::1', '::ffff:127.0.0.1', '::ffff:a00:1', 'fd00::1', '100.64.0.1'];

const resolvesTo =
  (...ips: string[]) =>
  async (): Promise<ResolvedAddress[]> =>
    ips.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, policy: UrlPolicy, lookup?: () => Promise<ResolvedAddress[]>): Promise<string> {
  try {
    await checkWebhookUrl(url, { policy, field: 'webhookUrl', lookup });
  } catch (err) {
    assert.ok(isAppError(err), String(err));
    assert.equal(err.code, 'url_not_allowed');
    assert.ok(err.fields?.webhookUrl?.[0], 'details.webhookUrl carries the reason');
    return err.message;
  }
  throw new Error(`${url} was allowed`);
}

test('submit-time check: literal private, loopback, link-local, metadata and IPv4-mapped addresses are refused with the flag off', async () => {
  for (const url of [
    'http://127.0.0.1:8080/h',
    'http://169.254.169.254/latest/meta-data',
    'http://10.1.2.3/h',
    'http://[::1]/h',
    'http://[::ffff:127.0.0.1]/h',
    'http://[::ffff:a9fe:a9fe]/h',
    'http://0x7f.1/h',
    'http://2130706433/h',
    'http://metadata.google.internal/h',
  ]) {
    await refusal(url, FLAG_OFF);
  }
});

test('submit-time check: a name that resolves to any private address is refused; a public one passes', async () => {
  for (const ip of PRIVATE) assert.match(await refusal('https://hooks.test/h', FLAG_OFF, resolvesTo(ip)), /resolves to/);
  // One bad answer among good ones is enough to refuse: the attacker picks which one we would use.
  await refusal('https://hooks.test/h', FLAG_OFF, resolvesTo('93.184.216.34', '127.0.0.1'));
  await checkWebhookUrl('https://hooks.test/h', { policy: FLAG_OFF, field: 'webhookUrl', lookup: resolvesTo('93.184.216.34', '2606:2800:220:1::1') });
  await refusal('https://nowhere.test/h', FLAG_OFF, async () => {
    throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
  });
});

test('submit-time check: bad syntax, other schemes, credentials and plain http (unless allowed) are refused; metadata even with the flag on', async () => {
  for (const url of ['not a url', '', 'ftp://hooks.test/h', 'javascript:alert(1)', 'http://user:pw@hooks.test/h', `https://hooks.test/${'a'.repeat(2100)}`]) {
    await refusal(url, FLAG_OFF, resolvesTo('93.184.216.34'));
  }
  assert.match(await refusal('http://hooks.test/h', { allowPrivateNetworks: false, allowHttp: false }, resolvesTo('93.184.216.34')), /https/);
  const flagOn: UrlPolicy = { allowPrivateNetworks: true, allowHttp: true };
  await checkWebhookUrl('http://127.0.0.1:9/h', { policy: flagOn, field: 'webhookUrl' });
  await refusal('http://169.254.169.254/h', flagOn);
  await refusal('https://hooks.test/h', flagOn, resolvesTo('169.254.169.254'));
});

let t: TestDb;
let rx: Receiver;
before(async () => {
  t = await openTestDb();
  rx = await new Receiver().up();
});
after(async () => {
  await rx.down();
  await t.close();
});

test('delivery-time check: a URL that passed at submit but now resolves to a private address is refused on every attempt, and nothing is sent', async () => {
  const outbox = testOutbox();
  const url = `http://hooks.test:${rx.port}/h`;
  await checkWebhookUrl(url, { policy: FLAG_OFF, field: 'webhookUrl', lookup: resolvesTo('93.184.216.34') });
  for (const ip of ['127.0.0.1', '169.254.169.254', '10.0.0.7', '::1', '::ffff:127.0.0.1']) {
    const job = await insertJob(t, { webhookUrl: url });
    await emit(t, outbox, job.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
    // DNS rebinding: the name now answers with an internal address.
    const d = testDispatcher(t.db, { policy: FLAG_OFF, lookup: resolvesTo(ip), retryScheduleMs: [0, 10] });
    await d.runOnce();
    await new Promise((r) => setTimeout(r, 30));
    await d.runOnce();
    const { attempts } = await deliveryLog(t.db, job.id);
    assert.deepEqual(attempts.map((a) => [a.error_kind, a.outcome]), [['url_not_allowed', 'retry'], ['url_not_allowed', 'gave_up']], ip);
    assert.match(attempts[0]!.error_message ?? '', /resolves to/);
  }
  assert.equal(rx.requests.length, 0, 'the receiver on 127.0.0.1 was never reached');

  // Control: the same name and address with the operator flag on is delivered, so the refusal above is the policy at work.
  const job = await insertJob(t, { webhookUrl: url });
  await emit(t, outbox, job.id, 'failed', { state: 'failed', error_code: 'timeout', error_message: 'late' });
  await testDispatcher(t.db, { policy: { allowPrivateNetworks: true, allowHttp: true }, lookup: resolvesTo('127.0.0.1') }).runOnce();
  assert.equal(rx.forJob(job.id).length, 1);
  assert.equal((await deliveries(t.db, job.id))[0]?.state, 'delivered');
});

let r: TestReelay;
before(async () => {
  r = await startReelay({ allowPrivateUrls: false, allowHttpUrls: true });
});
after(async () => r.stop());

test('POST /v2/videos/generate: a refused webhook URL is a 400 url_not_allowed with details, and nothing is created or charged', async () => {
  const me = async () => (await api(r.url, r.key, 'GET', '/v2/me')).body.credits;
  const creditsBefore = await me();
  const cases: [string, string][] = [
    ['webhookUrl', 'http://127.0.0.1:9/h'],
    ['webhookUrl', 'http://169.254.169.254/latest'],
    ['webhookUrl', 'http://10.0.0.7/h'],
    ['webhookUrl', 'http://[::1]/h'],
    ['webhookUrl', 'http://[::ffff:127.0.0.1]/h'],
    ['webhookUrl', 'http://localhost:9/h'],
    ['webhookUrl', 'not a url'],
    ['webhookUrl', 'ftp://hooks.test/h'],
    ['webhook_url', 'http://127.0.0.1:9/h'],
  ];
  for (const [field, url] of cases) {
    const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'a lighthouse', model: 'hailuo-2.3', [field]: url });
    assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, 'url_not_allowed', url);
    assert.ok((res.body.details as Record<string, string[]>)[field]?.[0], `${url}: details.${field}`);
    assert.equal(typeof res.body.error, 'string');
  }
  const { rows } = await r.reelay.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  assert.equal(rows[0]?.n, 0);
  assert.deepEqual(await me(), creditsBefore);
});

/**
 * /metrics is not public: on the API port it takes the admin token; with METRICS_PORT it moves to
 * a port of its own. (It once answered anyone: job counts and credits held, to a stranger.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReelay, api } from '../support/reelay.js';
import { freePort } from '../support/process.js';

const ADMIN = 'admin-token-for-metrics-tests';

async function expectMetrics(res: Response): Promise<void> {
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.match(text, /reelay_http_requests_total\{method="GET",route="\/v2\/models",status="200"\} [1-9]/);
  assert.match(text, /# TYPE reelay_jobs gauge/);
  assert.match(text, /reelay_jobs_due \d+/);
  assert.match(text, /reelay_process_resident_memory_bytes \d+/);
}

test('/metrics on the API port needs the admin token; an API key or nothing gets no figures', async () => {
  const r = await startReelay({ adminToken: ADMIN });
  try {
    await api(r.url, r.key, 'GET', '/v2/models');
    const anonymous = await fetch(`${r.url}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.doesNotMatch(await anonymous.text(), /reelay_/);
    const withKey = await fetch(`${r.url}/metrics`, { headers: { authorization: `Bearer ${r.key}` } });
    assert.equal(withKey.status, 401);
    await expectMetrics(await fetch(`${r.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } }));
  } finally {
    await r.stop();
  }
});

test('/metrics without an admin token or METRICS_PORT is not served, and says how to enable it', async () => {
  const r = await startReelay();
  try {
    const res = await api(r.url, null, 'GET', '/metrics');
    assert.equal(res.status, 404);
    assert.match(String(res.body.error), /METRICS_PORT/);
  } finally {
    await r.stop();
  }
});

test('METRICS_PORT serves /metrics on its own port, and the API port no longer does', async () => {
  const port = await freePort();
  const r = await startReelay({ adminToken: ADMIN, metricsPort: port });
  try {
    await api(r.url, r.key, 'GET', '/v2/models');
    await expectMetrics(await fetch(`http://127.0.0.1:${port}/metrics`));
    const onApi = await fetch(`${r.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(onApi.status, 404);
  } finally {
    await r.stop();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the metrics port closes with the app');
});

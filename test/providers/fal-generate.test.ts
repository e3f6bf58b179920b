import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitForJob } from '../support/reelay.js';
import { startWith } from './aggregator-helpers.js';
import { jobRow, ledgerOf, liveAccount, submit } from './minimax-helpers.js';
import { FAL_CONTENT_POLICY, FAL_FAULTS, startFakeFal, type FakeFal } from '../support/fal-server.js';
import { e2eSuite } from './aggregator-e2e.js';

const KEY = 'fal-live-id:fal-live-secret';

e2eSuite({
  provider: 'fal',
  start: () => startFakeFal({ apiKey: KEY, taskMs: 1200 }),
  keys: (fake) => ({ falKey: KEY, falBaseUrl: fake.url, falJwksUrl: `${fake.url}/.well-known/jwks.json` }),
  created: (fake, part) => (fake as FakeFal).submits.find((s) => String(s.body.prompt ?? '').includes(part)),
  imageOf: (body) => body.image_url,
  statusEndpoint: 'status',
  submitEndpoint: 'submit',
  faults: FAL_FAULTS,
  moderation: FAL_CONTENT_POLICY,
});

test('through Reelay, fal answering with another app\'s status URL fails the job as provider_unavailable, refunded; the create is kept as one of unknown outcome and fal rests', async () => {
  const fake = await startFakeFal({ apiKey: KEY, taskMs: 600 });
  const r = await startWith({ falKey: KEY, falBaseUrl: fake.url, falJwksUrl: `${fake.url}/.well-known/jwks.json` }, { providerCooldownSeconds: 60 });
  try {
    fake.app = 'fal-ai/minimax-v2';
    const a = await liveAccount(r);
    const id = await submit(r, a.key, { prompt: 'moved app #fal-moved-e2e' });
    const job = await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 });
    assert.equal(job.status, 'FAILED', JSON.stringify(job));
    assert.match(String(job.error), /status URL under fal-ai\/minimax-v2, not under fal-ai\/minimax:/);
    const row = await jobRow(r, id);
    assert.equal(row.error_code, 'provider_unavailable');
    assert.deepEqual(await ledgerOf(r, id), [`hold:${row.price}`, `release:${row.price}`]);
    const { rows } = await r.reelay.db.query<{ provider: string; outcome: string }>('SELECT provider, outcome FROM upstream_submits WHERE job_id = $1', [id]);
    assert.deepEqual(rows.map((s) => `${s.provider}:${s.outcome}`), ['fal:ambiguous']);
    assert.equal(fake.taskFor('#fal-moved-e2e')?.canceled, true);
    // fal rests (every job of this model would meet the same): a live submit is refused, uncharged.
    const refused = await api(r.url, a.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'while resting' });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
  } finally {
    fake.app = 'fal-ai/minimax';
    await r.stop();
    await fake.stop();
  }
});

/**
 * The margins report: live videos only, revenue = credits × usdPerCredit, cost = what the serving
 * provider's cost table said at delivery (the operator's override here), per day, model and
 * provider — through the admin API and the CLI's remote path alike.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, waitForJob, type TestReelay } from '../support/reelay.js';
import { startFakeMinimax, type FakeMinimax } from '../support/minimax-server.js';
import { ADMIN, MM_KEY, liveAccount, startLive, submit } from '../providers/minimax-helpers.js';
import { parseSince } from '../../src/billing/index.js';
import { HttpAdmin } from '../../src/cli/http-admin.js';

let fake: FakeMinimax;
let r: TestReelay;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelay-margins-'));
  const book = join(dir, 'prices.json');
  await writeFile(book, JSON.stringify({ upstreamCosts: { minimax: { 't2v-768p-6s': 0.28, 't2v-768p-10s': 0.56 } } }));
  fake = await startFakeMinimax({ apiKey: MM_KEY, taskMs: 500 });
  r = await startLive(fake, { priceBookFile: book, usdPerCredit: 0.01 });
});
after(async () => {
  await r.stop();
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

test('revenue against upstream cost per day, model and provider; test jobs and failures do not count', async () => {
  const a = await liveAccount(r, 5000);
  const six = await submit(r, a.key, { prompt: 'margins six', hailuoParams: { duration: 6, resolution: '768p' } });
  const ten = await submit(r, a.key, { prompt: 'margins ten', hailuoParams: { duration: 10, resolution: '768p' } });
  for (const id of [six, ten]) assert.equal((await waitForJob(r.url, a.key, id, { timeoutMs: 30_000 })).status, 'COMPLETED');
  // A test job (sandbox, free to us) and a failed live job add nothing.
  const t = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'test mode' });
  await waitForJob(r.url, r.key, String(t.body.jobId));
  fake.inject('create', { kind: 'code', code: 1026, msg: 'sensitive' });
  const failed = await submit(r, a.key, { prompt: 'margins refused' });
  assert.equal((await waitForJob(r.url, a.key, failed, { timeoutMs: 30_000 })).status, 'FAILED');

  const res = await api(r.url, null, 'GET', '/admin/reports/margins?since=1d', undefined, { authorization: `Bearer ${ADMIN}` });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const report = res.body as { rows: { model: string; provider: string; jobs: number; credits: number; revenueUsd: number; costUsd: number; marginUsd: number; marginRatio: number }[]; totals: { jobs: number; revenueUsd: number; costUsd: number; marginUsd: number; uncosted: number } };
  // One row per UTC day: two only if the test straddles midnight.
  assert.ok(report.rows.every((x) => x.provider === 'minimax' && x.model === 'hailuo-2.3'), JSON.stringify(report.rows));
  assert.equal(report.rows.reduce((n, x) => n + x.credits, 0), 48 + 96);
  const tot = report.totals;
  assert.deepEqual([tot.jobs, tot.revenueUsd, tot.costUsd, tot.marginUsd, tot.uncosted], [2, 1.44, 0.84, 0.6, 0]);
  if (report.rows.length === 1) assert.equal(report.rows[0]!.marginRatio, 0.417);
  // The CLI's remote path reads the same report.
  const viaCli = await new HttpAdmin(r.url, ADMIN).margins('1d');
  assert.deepEqual(viaCli.totals, report.totals);
});

test('since: relative spans and dates; anything else is a 400', async () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  assert.equal(parseSince('7d', now).toISOString(), '2026-11-22T12:00:00.000Z');
  assert.equal(parseSince('90m', now).toISOString(), '2026-11-29T10:30:00.000Z');
  assert.equal(parseSince('2026-11-01').toISOString(), '2026-11-01T00:00:00.000Z');
  const bad = await api(r.url, null, 'GET', '/admin/reports/margins?since=last%20week', undefined, { authorization: `Bearer ${ADMIN}` });
  assert.equal(bad.status, 400);
});

/**
 * The Studio's live-job and operator views in real Chromium: a live job waiting on its upstream
 * (engine badge, the reason it waits, followed by its event stream), the polling fallback when the
 * stream is unavailable, and the operator's Providers and Margins pages. Health and margins are
 * seeded in SQL on the test's own database: provider events and completed live jobs with their
 * upstream cost, as the workers record them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { startReelay, api, type TestReelay } from '../support/reelay.js';
import { ensureStudioBuilt, launchChromium, openStudio, screenshot, signIn, waitForPlayableVideo, DESKTOP, PHONE, horizontalOverflow } from './support.js';

const TOKEN = 'operator-token-for-health-tests';
let r: TestReelay;
let browser: Browser | null;

before(async () => {
  await ensureStudioBuilt();
  browser = await launchChromium();
  // MiniMax configured (never called: its jobs here are seeded rows) so that routes show it.
  r = await startReelay({ adminToken: TOKEN, minimaxApiKey: 'mm-key-never-used', minimaxBaseUrl: 'http://127.0.0.1:9' });
  // Enterprise's limits without its monthly grant: the sweeper once granted it mid-test, and the
  // wallet read 105,000 where 5,000 was expected.
  const plan = await api(r.url, null, 'PUT', '/admin/plans/studio-live', { name: 'Studio live', monthlyCredits: 0, concurrency: 100, rateLimitPerMinute: 100_000 }, { authorization: `Bearer ${TOKEN}` });
  assert.equal(plan.status, 200, JSON.stringify(plan.body));
});
after(async () => {
  await browser?.close();
  await r?.stop();
});

const auth = { authorization: `Bearer ${TOKEN}` };

async function liveAccount(): Promise<{ id: string; key: string }> {
  const res = await api(r.url, null, 'POST', '/admin/accounts', { name: `live-${randomUUID().slice(0, 6)}`, plan: 'studio-live', liveCredits: 5000, withKey: 'live' }, auth);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: String((res.body.account as { id: string }).id), key: String(res.body.key) };
}

/** A live job row as the worker leaves it; `due` in the far future keeps every worker off it. */
async function seedLiveJob(accountId: string, j: { state: string; provider: string; price: number; costUsd?: number; daysAgo?: number; reason?: string; model?: string }): Promise<string> {
  const id = randomUUID();
  const at = new Date(Date.now() - (j.daysAgo ?? 0) * 86_400_000);
  await r.reelay.db.query(
    `INSERT INTO jobs (id, account_id, mode, dialect, model, input, state, progress, price, provider, deadline_at, next_run_at,
                       created_at, updated_at, completed_at, upstream_cost_usd, status_reason)
     VALUES ($1, $2, 'live', 'apiframe', $3, $4, $5, $6, $7, $8, '2100-01-01', '2100-01-01', $9, $9, $10, $11, $12)`,
    [
      id,
      accountId,
      j.model ?? 'hailuo-2.3',
      JSON.stringify({ model: j.model ?? 'hailuo-2.3', image: null, original: { model: j.model ?? 'hailuo-2.3', prompt: `seeded ${j.state} job` } }),
      j.state,
      j.state === 'running' ? 35 : 0,
      j.price,
      j.provider,
      at,
      j.state === 'completed' ? at : null,
      j.costUsd ?? null,
      j.reason ?? null,
    ],
  );
  return id;
}

test('a live job waiting on MiniMax shows its engine and why it waits, followed by the event stream', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const acct = await liveAccount();
  const reason = 'MiniMax is rate limiting: retrying in 20 s';
  const id = await seedLiveJob(acct.id, { state: 'running', provider: 'minimax', price: 48, reason });
  const viaApi = await api(r.url, acct.key, 'GET', `/v2/jobs/${id}`);
  assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
  assert.equal(viaApi.body.engine, 'minimax');
  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, acct.key);
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    await page.goto(`${r.url}/studio/jobs/${id}`);
    await page.locator('[data-transport="stream"]').waitFor();
    assert.equal(await page.locator('.job-title [data-engine]').textContent(), 'MiniMax');
    assert.equal(await page.locator('.job-title .status-reason').textContent(), reason);
    await screenshot(page, 'job-live-waiting');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await row.waitFor();
    assert.equal(await row.locator('[data-engine]').textContent(), 'MiniMax');
    assert.equal(await row.locator('.status-reason').textContent(), reason);
    await screenshot(page, 'jobs-live-waiting');

    // The account page says which mode this key is and shows only that wallet.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.locator('[data-key-mode="live"]').waitFor();
    assert.equal(await page.locator('[data-wallet]').count(), 1);
    assert.equal((await page.locator('[data-wallet="live"]').textContent())?.replace(/\D/g, ''), '5000');
    await page.locator('[data-mode-note="live"]').waitFor();
    await screenshot(page, 'account-live-key');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('the job page falls back to polling when the event stream answers 404, and still reaches COMPLETED', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const submit = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'a windmill at noon [[sandbox:delay=3]]' });
  assert.equal(submit.status, 202, JSON.stringify(submit.body));
  const id = String(submit.body.jobId);
  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    let streamTries = 0;
    await page.route('**/v2/jobs/*/events', (route) => {
      streamTries += 1;
      return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"Route not found","code":"not_found"}' });
    });
    await signIn(page, r.url, r.key);
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    await page.goto(`${r.url}/studio/jobs/${id}`);
    await page.locator('[data-transport="polling"]').waitFor();
    await waitForPlayableVideo(page, 60_000);
    await page.getByText('Completed', { exact: true }).first().waitFor();
    assert.equal(streamTries, 1, 'the stream was tried once, then the page polled');
    // The 404 the page provoked on purpose is the only console noise allowed.
    assert.deepEqual(s.unexpected([/404/]), []);
  } finally {
    await s.close();
  }
});

test('operator: Providers shows each provider, the routes and health per provider and model; Margins charts revenue against cost', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const acct = await liveAccount();
  // Health over the last hour: 4 accepted (0.8-2.4 s), 3 delivered (60-120 s), 1 failed, 1 refused.
  const events: [string, string, string, string | null, number | null][] = [
    ['minimax', 'hailuo-2.3', 'accepted', null, 800],
    ['minimax', 'hailuo-2.3', 'accepted', null, 1200],
    ['minimax', 'hailuo-2.3', 'accepted', null, 1600],
    ['minimax', 'hailuo-2.3', 'accepted', null, 2400],
    ['minimax', 'hailuo-2.3', 'succeeded', null, 60_000],
    ['minimax', 'hailuo-2.3', 'succeeded', null, 90_000],
    ['minimax', 'hailuo-2.3', 'succeeded', null, 120_000],
    ['minimax', 'hailuo-2.3', 'failed', 'upstream_error', null],
    ['minimax', 'hailuo-2.3', 'refused', 'rate_limited', null],
    ['minimax', 'hailuo-2.3-fast', 'accepted', null, 700],
    ['minimax', 'hailuo-2.3-fast', 'succeeded', null, 45_000],
  ];
  for (const [provider, model, event, errorClass, ms] of events) {
    await r.reelay.db.query('INSERT INTO provider_events (provider, model, event, error_class, ms) VALUES ($1, $2, $3, $4, $5)', [provider, model, event, errorClass, ms]);
  }
  // Margins: completed live jobs over three days, one sold below cost.
  await seedLiveJob(acct.id, { state: 'completed', provider: 'minimax', price: 48, costUsd: 0.28, daysAgo: 2 });
  await seedLiveJob(acct.id, { state: 'completed', provider: 'minimax', price: 96, costUsd: 0.56, daysAgo: 1 });
  await seedLiveJob(acct.id, { state: 'completed', provider: 'minimax', price: 48, costUsd: 0.28, daysAgo: 1, model: 'hailuo-2.3-fast' });
  await seedLiveJob(acct.id, { state: 'completed', provider: 'minimax', price: 10, costUsd: 0.49, daysAgo: 0 });

  const providers = await api(r.url, null, 'GET', '/admin/providers', undefined, auth);
  const h1 = (providers.body.stats as { provider: string; model: string; window: string; successRate: number | null; acceptMsP50: number | null }[]).find((x) => x.model === 'hailuo-2.3' && x.window === '1h');
  assert.ok(h1 && h1.successRate !== null, JSON.stringify(providers.body.stats));
  const margins = await api(r.url, null, 'GET', '/admin/reports/margins?since=7d', undefined, auth);
  const totals = margins.body.totals as { revenueUsd: number; costUsd: number; jobs: number };
  assert.equal(totals.jobs, 4);

  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, TOKEN, 'admin');
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Providers' }).click();
    await page.getByRole('heading', { name: 'Providers', level: 1 }).waitFor();
    await page.locator('.provider-list [data-provider="minimax"]').getByText('Available').waitFor();
    assert.match((await page.locator('.routes-table tr[data-model="hailuo-2.3"] ol.route').textContent()) ?? '', /MiniMax/);
    const row1h = page.locator('.health-table tr[data-provider="minimax"][data-model="hailuo-2.3"][data-window="1h"]');
    await row1h.waitFor();
    assert.equal(await row1h.locator('[data-cell="success"]').textContent(), `${(h1.successRate * 100).toFixed(h1.successRate === 1 ? 0 : 1)}%`);
    const rowText = (await row1h.textContent()) ?? '';
    assert.ok(rowText.includes(`${(h1.acceptMsP50! / 1000).toFixed(1)} s`), `accept p50 ${h1.acceptMsP50} ms in the row: ${rowText}`);
    assert.match(rowText, /upstream_error ×1/);
    assert.match(rowText, /rate_limited ×1/);
    assert.equal(await page.locator('.health-table tr[data-model="hailuo-2.3-fast"]').count(), 2, 'the Fast model has its own 1h and 24h rows');
    await screenshot(page, 'admin-providers-desktop');

    await nav.getByRole('link', { name: 'Margins' }).click();
    await page.getByRole('heading', { name: 'Margins', level: 1 }).waitFor();
    const chart = page.locator('svg[data-chart="margins"]');
    await chart.waitFor();
    // 7 days back to today: 8 day groups, each with a revenue and a cost bar; 4 days carry sales.
    assert.equal(await chart.locator('g[data-day]').count(), 8);
    const revenueBars = await chart.locator('rect.bar-revenue').evaluateAll((els) => els.map((e) => Number(e.getAttribute('height'))));
    assert.equal(revenueBars.filter((h) => h > 0).length, 3, `bars with revenue: ${revenueBars.join(',')}`);
    assert.equal(await chart.locator('path.line-margin').count(), 1);
    assert.equal(await page.locator('[data-total="revenue"]').textContent(), `$${totals.revenueUsd.toFixed(2)}`);
    assert.equal(await page.locator('.margins-table tbody tr').count(), (margins.body.rows as unknown[]).length);
    assert.ok(await page.locator('.margins-table td.negative').count() >= 1, 'a day sold below cost shows its margin in red');
    await screenshot(page, 'admin-margins-desktop');

    // 24h keeps only today's job; 30d draws 31 days.
    await page.locator('label[for="since-24h"]').click();
    await page.locator('.margins-table tbody tr').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.margins-table tbody tr').length === 1);
    await page.locator('label[for="since-30d"]').click();
    await page.waitForFunction(() => document.querySelectorAll('svg[data-chart="margins"] g[data-day]').length === 31);
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }

  const phone = await openStudio(browser, PHONE);
  try {
    await signIn(phone.page, r.url, TOKEN, 'admin');
    await phone.page.getByRole('heading', { name: 'Accounts' }).waitFor();
    await phone.page.goto(`${r.url}/studio/admin/margins`);
    await phone.page.locator('svg[data-chart="margins"]').waitFor();
    await screenshot(phone.page, 'admin-margins-phone');
    assert.equal(await horizontalOverflow(phone.page), 0, 'nothing sticks out sideways on a phone');
    await phone.page.goto(`${r.url}/studio/admin/providers`);
    await phone.page.locator('.health-table').waitFor();
    await screenshot(phone.page, 'admin-providers-phone');
    assert.equal(await horizontalOverflow(phone.page), 0);
  } finally {
    await phone.close();
  }
});

/** The operator's console in real Chromium: accounts, credits, plans, through `/admin`. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startReelay, api, type TestReelay } from '../support/reelay.js';
import { ensureStudioBuilt, launchChromium, openStudio, screenshot, signIn, DESKTOP, PHONE, horizontalOverflow } from './support.js';

const TOKEN = 'operator-token-for-studio-tests';
let r: TestReelay;
let browser: Browser | null;

before(async () => {
  await ensureStudioBuilt();
  browser = await launchChromium();
  r = await startReelay({ adminToken: TOKEN });
});
after(async () => {
  await browser?.close();
  await r?.stop();
});

async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await api(r.url, null, method, path, body, { authorization: `Bearer ${TOKEN}` });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status}`);
  return res.body;
}

test('operator: create an account with a key, add credits with a reason, change its plan, disable it', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, TOKEN, 'admin');
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    await page.locator('tr[data-account-id]').first().waitFor();

    await page.getByLabel('Name').fill('acme films');
    await page.getByLabel('Plan').selectOption('pro');
    await page.getByLabel('Test credits').fill('1200');
    await page.getByRole('button', { name: 'Create account' }).click();
    const key = (await page.locator('[data-new-key]').textContent())!.trim();
    assert.match(key, /^rl_test_/);
    const me = await api(r.url, key, 'GET', '/v2/me');
    assert.equal(me.status, 200, 'the first key works');
    assert.deepEqual((me.body.account as { plan: string }).plan, 'pro');
    await screenshot(page, 'admin-accounts-desktop');

    await page.getByRole('link', { name: 'acme films' }).click();
    await page.getByRole('heading', { name: /acme films/ }).waitFor();
    assert.equal((await page.locator('[data-wallet="test"]').textContent())?.replace(/\D/g, ''), '1200');
    await page.getByLabel('Wallet').selectOption('live');
    await page.getByLabel('Amount').fill('250');
    await page.getByLabel('Reason').fill('invoice 42');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Added 250 live credits.').waitFor();
    await page.locator('[data-wallet="live"]').getByText('250').waitFor();
    await page.locator('.ledger-table').getByText('invoice 42').waitFor();

    // A removal beyond the balance is the API's 409, shown in place.
    await page.getByLabel('Amount').fill('-5000');
    await page.getByLabel('Reason').fill('too much');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('The account does not have that many available credits to remove').waitFor();

    await page.getByLabel('Plan').selectOption('enterprise');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const id = page.url().split('/').pop()!;
    assert.equal((await admin('GET', `/admin/accounts/${id}`)).plan, 'enterprise');

    await page.getByRole('button', { name: 'Disable account' }).click();
    await page.getByRole('button', { name: /^Disable: / }).click();
    await page.getByRole('button', { name: 'Enable account' }).waitFor();
    assert.equal((await api(r.url, key, 'GET', '/v2/me')).status, 401, 'a disabled account is locked out');
    await screenshot(page, 'admin-account-desktop');
    assert.deepEqual(s.unexpected([/status of 409/]), [], 'only the refused removal');
  } finally {
    await s.close();
  }
});

test('operator: edit a plan in place; phone width fits', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const s = await openStudio(browser, PHONE);
  const { page } = s;
  try {
    await signIn(page, r.url, TOKEN, 'admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plans' }).click();
    const free = page.getByRole('form', { name: 'Plan Free' });
    await free.getByLabel('Requests / min').fill('90');
    await free.getByRole('button', { name: 'Save' }).click();
    await free.getByText('Saved').waitFor();
    const plans = (await admin('GET', '/admin/plans')).plans as { id: string; rateLimitPerMinute: number }[];
    assert.equal(plans.find((p) => p.id === 'free')?.rateLimitPerMinute, 90);
    assert.equal(await horizontalOverflow(page), 0);
    await screenshot(page, 'admin-plans-phone');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

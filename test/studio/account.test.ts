/**
 * The Studio's account page in real Chromium: balances, plan, keys (created once, revoked),
 * webhook secret, ledger; and keyboard use. Screenshots go to test-results/studio/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startReelay, api, waitForJob, type TestReelay } from '../support/reelay.js';
import { ensureStudioBuilt, launchChromium, openStudio, screenshot, signIn, DESKTOP, PHONE, horizontalOverflow } from './support.js';

let r: TestReelay;
let browser: Browser | null;
let jobId: string;

before(async () => {
  await ensureStudioBuilt();
  browser = await launchChromium();
  r = await startReelay();
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'ledger fodder' });
  jobId = String(sub.body.jobId);
  await waitForJob(r.url, r.key, jobId);
});
after(async () => {
  await browser?.close();
  await r?.stop();
});

test('account: balances, plan, ledger; a new key is shown once, works, and is revoked', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, r.key);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Plan: Enterprise' }).waitFor();
    const me = (await api(r.url, r.key, 'GET', '/v2/me')).body as { credits: { test: { available: number } } };
    assert.equal((await page.locator('[data-wallet="test"]').textContent())?.replace(/\D/g, ''), String(me.credits.test.available));
    await page.getByText('3,000', { exact: true }).waitFor();
    const ledgerLink = page.locator('.ledger-table').getByRole('link', { name: `job ${jobId.slice(0, 8)}` });
    assert.equal(await ledgerLink.count(), 2, 'the hold and the capture of the job');

    await page.getByLabel('Name').fill('ci runner');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('[data-new-key]');
    await shown.waitFor();
    const newKey = (await shown.textContent())!.trim();
    assert.match(newKey, /^rl_test_/);
    assert.equal((await api(r.url, newKey, 'GET', '/v2/me')).status, 200, 'the new key works');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByText(newKey).count(), 0, 'the plaintext is gone from the page');

    const keys = (await api(r.url, r.key, 'GET', '/v2/keys')).body.keys as { id: string; name: string }[];
    const created = keys.find((k) => k.name === 'ci runner')!;
    const row = page.locator(`tr[data-key-id="${created.id}"]`);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText(/^Revoked/).waitFor();
    assert.equal((await api(r.url, newKey, 'GET', '/v2/me')).status, 401, 'the revoked key is refused');

    const secret = (await api(r.url, r.key, 'GET', '/v2/webhooks/secret')).body.secret as string;
    await page.getByRole('button', { name: 'Reveal' }).click();
    assert.equal(await page.locator('[data-secret]').textContent(), secret);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByText(/The previous secret keeps signing/).waitFor();
    const rotated = (await api(r.url, r.key, 'GET', '/v2/webhooks/secret')).body.secret as string;
    assert.notEqual(rotated, secret);
    assert.equal(await page.locator('[data-secret]').textContent(), rotated);
    await page.getByRole('button', { name: 'Hide' }).click();
    await screenshot(page, 'account-desktop');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('keyboard: sign in with Enter, insert a camera move and reach every control without a mouse', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    await page.goto(`${r.url}/studio/`);
    await page.waitForFunction(() => document.activeElement?.id === 'credential'); // the key field has focus on arrival
    await page.keyboard.type(r.key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Generate' }).waitFor();

    await page.locator('#prompt').focus();
    await page.keyboard.type('harbour at night');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.includes('Camera moves')), true);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
    assert.notEqual(outline, 'none', 'a focused control shows a focus ring');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#prompt').inputValue(), 'harbour at night [Truck left]');
    await page.waitForFunction(() => document.activeElement?.id === 'prompt'); // focus returns to the prompt to type on

    // Arrow keys move within a radio group: 768p → 1080p, and the duration follows.
    await page.locator('#resolution-768p').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('#resolution-1080p').isChecked(), true);
    assert.equal(await page.locator('#duration-10').isDisabled(), true);

    const tags = await page.evaluate(() => document.querySelectorAll('[onclick], div[role=button], span[role=button], a:not([href])').length);
    assert.equal(tags, 0, 'buttons are buttons');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('revoking the key in use signs out with a notice; a wrong key is refused next to the field', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const second = (await api(r.url, r.key, 'POST', '/v2/keys', { name: 'doomed' })).body as { id: string; key: string };
  const s = await openStudio(browser, PHONE);
  const { page } = s;
  try {
    await signIn(page, r.url, second.key);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    const row = page.locator(`tr[data-key-id="${second.id}"]`);
    await row.getByText('this session').waitFor();
    assert.equal(await horizontalOverflow(page), 0);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke and sign out' }).click();
    await page.getByText('You revoked the key you were signed in with.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'the key is forgotten');

    await page.getByLabel('API key').fill(second.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#credential-error').getByText('Invalid or revoked API key').waitFor();
    await screenshot(page, 'signin-error-phone');
    assert.deepEqual(s.unexpected([/status of 401/]), [], 'only the refused sign-in');
  } finally {
    await s.close();
  }
});

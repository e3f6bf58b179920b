/** A job's webhook deliveries in the Studio: submitted with a URL from the form, delivered, logged, redelivered. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startReelay, type TestReelay } from '../support/reelay.js';
import { Receiver } from '../webhooks/support.js';
import { ensureStudioBuilt, launchChromium, openStudio, screenshot, signIn, waitForPlayableVideo, DESKTOP } from './support.js';

let r: TestReelay;
let browser: Browser | null;
const receiver = new Receiver();

before(async () => {
  await ensureStudioBuilt();
  browser = await launchChromium();
  await receiver.up();
  // The receiver is on loopback over plain http: allowed here, refused by default.
  r = await startReelay({ allowPrivateUrls: true, allowHttpUrls: true });
});
after(async () => {
  await browser?.close();
  await r?.stop();
  await receiver.down();
});

test('webhook deliveries are listed with their attempts, and "Redeliver all" sends them again', async (t) => {
  if (!browser) return t.skip('Chromium is not installed');
  const s = await openStudio(browser, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, r.key);
    await page.getByRole('textbox', { name: 'Prompt' }).fill('waves on a pebble beach [Static shot]');
    await page.getByText('Webhook', { exact: true }).click();
    await page.getByLabel('Webhook URL').fill(receiver.url());
    await page.getByRole('button', { name: 'Generate video' }).click();
    await page.waitForURL(/\/studio\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    await waitForPlayableVideo(page, 90_000);

    const panel = page.getByRole('region', { name: 'Webhook deliveries' });
    await panel.getByText(receiver.url()).waitFor();
    const completed = panel.locator('.delivery', { hasText: 'completed' });
    await completed.getByText('delivered', { exact: true }).waitFor({ timeout: 30_000 });
    await completed.getByText(/last: HTTP 200 in \d+ ms/).waitFor();
    await receiver.waitFor(() => receiver.forJob(jobId).some((x) => x.body.includes('"COMPLETED"')), 30_000, 'the completed event');
    const before = receiver.forJob(jobId).length;
    await screenshot(page, 'job-webhooks-desktop');

    await panel.getByRole('button', { name: 'Redeliver all' }).click();
    await panel.getByText(/^Queued \d+ events? again\.$/).waitFor();
    await receiver.waitFor(() => receiver.forJob(jobId).length > before, 30_000, 'a redelivery');
    assert.ok(receiver.forJob(jobId).length > before);
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

/**
 * The Studio in real Chromium against a real Reelay: sign in, generate from a prompt and from an
 * uploaded image, watch the jobs complete live, play the results. Screenshots go to
 * test-results/studio/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startReelay, api, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';
import { ensureStudioBuilt, launchChromium, openStudio, screenshot, signIn, waitForPlayableVideo, DESKTOP, PHONE, horizontalOverflow } from './support.js';

let r: TestReelay;
let browser: Browser | null;
let tmp: string;

before(async () => {
  await ensureStudioBuilt();
  browser = await launchChromium();
  r = await startReelay();
  tmp = await mkdtemp(join(tmpdir(), 'reelay-studio-'));
});
after(async () => {
  await browser?.close();
  await r?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Clicks a segmented control's option by its label, as a pointer user does. */
async function choose(page: Page, id: string): Promise<void> {
  await page.locator(`label[for="${id}"]`).click();
}

function needBrowser(t: { skip(msg: string): void }): Browser | null {
  if (!browser) t.skip('Chromium is not installed (see test/studio/support.ts)');
  return browser;
}

test('text-to-video: sign in, camera move at the cursor, price, submit, live progress, play', async (t) => {
  const b = needBrowser(t);
  if (!b) return;
  const s = await openStudio(b, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, r.key);
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'the key is kept in sessionStorage');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'and nowhere else');

    const prompt = page.getByLabel('Prompt', { exact: true });
    await prompt.fill('a lighthouse on a cliff at dusk');
    // Put the caret after "lighthouse" and insert a camera move there.
    await prompt.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(12, 12));
    await page.getByRole('button', { name: /Camera moves/ }).click();
    const chips = page.getByRole('group', { name: 'Insert a camera move at the cursor' }).getByRole('button');
    assert.equal(await chips.count(), 15, 'all 15 MiniMax camera commands');
    await chips.filter({ hasText: '[Pan left]' }).click();
    assert.equal(await prompt.inputValue(), 'a lighthouse [Pan left] on a cliff at dusk');
    await page.getByRole('button', { name: '[Push in]' }).click();
    assert.equal(await prompt.inputValue(), 'a lighthouse [Pan left] [Push in] on a cliff at dusk', 'the caret stayed after the inserted command');
    assert.equal((await page.locator('#prompt-counter').textContent())?.trim(), '52 / 2,000');

    assert.equal(await page.locator('#price-credits').textContent(), '48');
    await choose(page, 'duration-10');
    assert.equal(await page.locator('#price-credits').textContent(), '96');
    await choose(page, 'duration-6');
    await screenshot(page, 'generate-desktop');

    // Every API request the page makes from here on: the job must be followed by its event stream.
    const requests: string[] = [];
    page.on('request', (req) => requests.push(`${req.method()} ${new URL(req.url()).pathname}`));
    await page.getByRole('button', { name: 'Generate video' }).click();
    await page.waitForURL(/\/studio\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    // The page follows the job without a reload until the player appears.
    const video = await waitForPlayableVideo(page, 90_000);
    assert.ok(video.readyState >= 2);
    assert.deepEqual([video.width, video.height], [1366, 768]);
    assert.ok(Math.abs(video.duration - 6) < 0.2, `duration ${video.duration}`);
    await page.getByText('Completed', { exact: true }).first().waitFor();
    assert.ok(requests.includes(`GET /v2/jobs/${jobId}/events`), `the page opened the job's event stream: ${requests.join(', ')}`);
    assert.equal(requests.filter((l) => l === `GET /v2/jobs/${jobId}`).length, 1, 'one read, then no polling while the stream works');
    assert.equal(await page.locator('.job-title [data-engine]').textContent(), 'Sandbox preview', 'a test key\'s job says it is a sandbox preview');
    assert.equal(await page.locator('[data-meta="engine"]').textContent(), 'Sandbox preview');
    assert.equal(await page.locator('[data-meta="dimensions"]').textContent(), '1366×768');
    const sha = await page.locator('code.hash').textContent();
    const job = await api(r.url, r.key, 'GET', `/v2/jobs/${jobId}`);
    assert.equal(sha, (job.body.result as { sha256: string }).sha256, 'the page shows the job the API has');
    assert.equal(await page.getByRole('link', { name: 'Download MP4' }).getAttribute('download'), `reelay-${jobId}.mp4`);
    const curl = await page.locator('pre.code').first().textContent();
    assert.match(curl ?? '', /-H "X-API-Key: \$REELAY_API_KEY"/);
    assert.match(curl ?? '', /\[Pan left\] \[Push in\]/);
    assert.ok(!(curl ?? '').includes(r.key), 'the key is never printed into copyable text');
    await page.getByText('No webhook for this job.').waitFor();
    await screenshot(page, 'job-desktop');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'COMPLETED');
    assert.equal(await row.locator('[data-engine="sandbox"]').textContent(), 'Sandbox preview');
    await screenshot(page, 'jobs-desktop');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('the invalid combination is impossible: 1080p disables 10 s, and the Fast model needs an image', async (t) => {
  const b = needBrowser(t);
  if (!b) return;
  const s = await openStudio(b, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, r.key);
    const ten = page.getByRole('radio', { name: /^10 s/ });
    await choose(page, 'duration-10');
    assert.equal(await ten.isChecked(), true);
    await choose(page, 'resolution-1080p');
    assert.equal(await ten.isDisabled(), true, '10 s is disabled at 1080p');
    assert.equal(await ten.isChecked(), false, 'and the duration moved to 6 s');
    assert.equal(await page.getByRole('radio', { name: '6 s', exact: true }).isChecked(), true);
    assert.equal(await page.locator('#price-credits').textContent(), '84');
    assert.match((await page.locator('#duration-hint').textContent()) ?? '', /^1080p renders 6-second clips only/);
    await choose(page, 'resolution-768p');
    assert.equal(await ten.isDisabled(), false);

    await page.getByRole('radio', { name: /Hailuo 2.3 Fast/ }).check();
    const submit = page.getByRole('button', { name: 'Generate video' });
    assert.equal(await submit.isDisabled(), true, 'Fast without an image cannot be submitted');
    await page.getByText('Add an image: Hailuo 2.3 Fast is image-to-video only.').waitFor();
    assert.equal(await page.locator('#price-credits').textContent(), '32');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('image-to-video: a bad image is refused in the browser, a good one is previewed, sent and animated', async (t) => {
  const b = needBrowser(t);
  if (!b) return;
  const small = join(tmp, 'small.png');
  const portrait = join(tmp, 'portrait.png');
  await makeImage(small, 320, 240);
  await makeImage(portrait, 900, 1600);
  const s = await openStudio(b, DESKTOP);
  const { page } = s;
  let requests = 0;
  page.on('request', (req) => {
    if (req.url().endsWith('/v2/videos/generate')) requests += 1;
  });
  try {
    await signIn(page, r.url, r.key);
    await page.getByRole('radio', { name: /Hailuo 2.3 Fast/ }).check();
    await page.locator('#image-file').setInputFiles(small);
    await page.getByText('The image is 320×240; its short side must be at least 300 px.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Generate video' }).isDisabled(), true);

    await page.locator('#image-file').setInputFiles(portrait);
    await page.getByAltText('Preview of portrait.png').waitFor();
    await page.getByText(/900×1600 ·/).waitFor();
    await page.getByRole('textbox', { name: /^Prompt/ }).fill('a dancer turns slowly [Zoom in]');
    await screenshot(page, 'generate-image-desktop');
    assert.equal(requests, 0, 'nothing was sent for the refused image');

    await page.getByRole('button', { name: 'Generate video' }).click();
    await page.waitForURL(/\/studio\/jobs\/[0-9a-f-]{36}$/);
    const video = await waitForPlayableVideo(page, 90_000);
    assert.deepEqual([video.width, video.height], [768, 1366], 'portrait image, portrait video');
    assert.equal(requests, 1);
    const jobId = page.url().split('/').pop()!;
    const job = await api(r.url, r.key, 'GET', `/v2/jobs/${jobId}`);
    assert.equal(job.body.model, 'hailuo-2.3-fast');
    assert.equal(job.body.creditCost, 32);
    assert.match(String((job.body.input as { hailuoParams: { image: string } }).hailuoParams.image), /^data:image\/png/);
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

test('errors from the API appear next to the control they concern', async (t) => {
  const b = needBrowser(t);
  if (!b) return;
  const s = await openStudio(b, DESKTOP);
  const { page } = s;
  try {
    await signIn(page, r.url, r.key);
    await page.getByLabel('Prompt', { exact: true }).fill('a quiet harbour');
    await page.getByText('Webhook', { exact: true }).click();
    // Loopback is refused by the server's URL policy; the answer's details name `webhookUrl`.
    await page.getByLabel('Webhook URL').fill('https://127.0.0.1/hook');
    await page.getByRole('button', { name: 'Generate video' }).click();
    const err = page.locator('#webhook-url-error');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /\S/);
    assert.equal(await page.getByLabel('Webhook URL').getAttribute('aria-describedby'), 'webhook-url-hint webhook-url-error');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'webhook-url', 'focus moved to the field in error');
    assert.equal(await page.getByRole('button', { name: 'Generate video' }).isEnabled(), true, 'the form can be fixed and sent again');
    await screenshot(page, 'generate-error-desktop');
    assert.deepEqual(s.unexpected([/status of 400/]), [], 'only the 400 this step provoked');
    assert.equal(s.problems.length, 1, 'exactly one refused request');
  } finally {
    await s.close();
  }
});

test('phone width: every page fits 390 px, the job plays', async (t) => {
  const b = needBrowser(t);
  if (!b) return;
  const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'a red kite over green hills [Tracking shot]' });
  assert.equal(sub.status, 202);
  const s = await openStudio(b, PHONE);
  const { page } = s;
  try {
    await signIn(page, r.url, r.key);
    await page.getByRole('heading', { name: 'Generate' }).waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'generate');
    await screenshot(page, 'generate-phone');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.locator(`tr[data-job-id="${String(sub.body.jobId)}"]`).waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'jobs');
    await screenshot(page, 'jobs-phone');
    await page.locator(`tr[data-job-id="${String(sub.body.jobId)}"] a`).click();
    await waitForPlayableVideo(page, 90_000);
    assert.equal(await horizontalOverflow(page), 0, 'job');
    await screenshot(page, 'job-phone');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: /^Plan/ }).waitFor();
    await page.getByText('No credit movements yet.').or(page.locator('.ledger-table')).first().waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'account');
    await screenshot(page, 'account-phone');
    assert.deepEqual(s.unexpected(), []);
  } finally {
    await s.close();
  }
});

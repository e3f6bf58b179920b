/**
 * Browser tests drive the built Studio in Debian's Chromium through playwright-core (never a
 * downloaded browser). On CI a missing Chromium is a failure with the install command in the
 * message; on a developer machine the browser tests skip with the same message.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const run = promisify(execFile);

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS_DIR = join('test-results', 'studio');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const MISSING = `Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (the Studio's browser tests use Debian's Chromium through playwright-core)`;

/** Builds the Studio unless its build is newer than its sources (the script takes a lock). */
export async function ensureStudioBuilt(): Promise<void> {
  await run(process.execPath, ['scripts/build-studio.mjs', '--if-stale'], { timeout: 180_000 });
}

/**
 * Launches headless Chromium, or returns null after skipping `t` when it is missing off CI.
 *
 * @example
 * const browser = await launchChromium(t); if (!browser) return;
 */
export async function launchChromium(t?: TestContext): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(MISSING);
    t?.skip(MISSING);
    return null;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface StudioPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and failed requests seen so far. */
  problems: string[];
  /** Problems other than those matching `expected` (for steps that provoke an API error on purpose). */
  unexpected(expected?: RegExp[]): string[];
  close(): Promise<void>;
}

/** A fresh context (its own sessionStorage) at `viewport`, recording every console error. */
export async function openStudio(browser: Browser, viewport: { width: number; height: number } = DESKTOP): Promise<StudioPage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: viewport.width < 500, hasTouch: viewport.width < 500 });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Aborted polls (a page left mid-request) and media range requests the player cancels are normal.
    const f = r.failure()?.errorText ?? '';
    if (!f.includes('ERR_ABORTED')) problems.push(`requestfailed: ${r.url()} ${f}`);
  });
  return {
    page,
    context,
    problems,
    unexpected: (expected = []) => problems.filter((p) => !expected.some((re) => re.test(p))),
    close: () => context.close(),
  };
}

/** Saves a full-page screenshot under test-results/studio/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SHOTS_DIR, { recursive: true });
  const path = join(SHOTS_DIR, `${name}.png`);
  // A full-page shot of a scrolled page paints the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, base: string, secret: string, as: 'key' | 'admin' = 'key'): Promise<void> {
  await page.goto(`${base}/studio/`);
  if (as === 'admin') await page.locator('label[for="signin-kind-admin"]').click();
  await page.getByLabel(as === 'admin' ? 'Admin token' : 'API key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the page's first <video> has decoded a frame (readyState ≥ HAVE_CURRENT_DATA). */
export async function waitForPlayableVideo(page: Page, timeoutMs = 30_000): Promise<{ readyState: number; width: number; height: number; duration: number }> {
  await page.waitForFunction(() => {
    const v = document.querySelector('video');
    return v !== null && v.readyState >= 2;
  }, undefined, { timeout: timeoutMs });
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    return { readyState: v.readyState, width: v.videoWidth, height: v.videoHeight, duration: v.duration };
  });
}

/** The page's width overflow in CSS pixels (0 when nothing sticks out sideways). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

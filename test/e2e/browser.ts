import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, installed by scripts/ensure-chromium.sh; Playwright's own download needs internet. */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOT_DIR = resolve(__dirname, '../../test-results/e2e');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Launches the browser once per test file. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * A fresh page in a fixed locale and time zone, so the test knows how times must read, and with every
 * page error collected: a console that throws is a failed test even if the screen looks right.
 */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number },
  timezoneId = 'Asia/Shanghai',
): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { page, pageErrors };
}

/** Saves a test artifact under test-results/e2e/ (git-ignored). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}

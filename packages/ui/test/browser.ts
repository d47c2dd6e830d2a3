import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from '@planalign/sync-tools/browser';

export const SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));

/** A headless Chromium found the way findChromium looks (PLANALIGN_CHROMIUM first); Playwright's download is not needed. */
export async function launchChromium(): Promise<Browser> {
  const found = findChromium();
  return chromium.launch({
    executablePath: found.executablePath,
    env: { ...process.env, ...found.env },
    headless: true,
    // a closed network: no background services, no component updates, no QUIC
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

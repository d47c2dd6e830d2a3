import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { findChromium, packagedChromium } from '@planalign/sync-tools/browser';

/** How the dashboard tests find a browser on a machine with only Node and git. */
describe('finding a browser', () => {
  it('PLANALIGN_CHROMIUM comes first, and a wrong one is named', () => {
    const saved = process.env.PLANALIGN_CHROMIUM;
    try {
      process.env.PLANALIGN_CHROMIUM = '/nowhere/chromium';
      expect(() => findChromium()).toThrow(/PLANALIGN_CHROMIUM is set to "\/nowhere\/chromium"/);
      process.env.PLANALIGN_CHROMIUM = process.execPath;
      expect(findChromium()).toMatchObject({ executablePath: process.execPath, source: 'PLANALIGN_CHROMIUM' });
    } finally {
      if (saved === undefined) delete process.env.PLANALIGN_CHROMIUM;
      else process.env.PLANALIGN_CHROMIUM = saved;
    }
  });

  // @sparticuz/chromium ships a build for Linux x64 only; elsewhere an installed browser is used.
  it.runIf(process.platform === 'linux' && process.arch === 'x64')('the Chromium npm ci brings starts with its own libraries and renders a page', async () => {
    const found = packagedChromium();
    expect(found?.source).toBe('@sparticuz/chromium');
    const browser = await chromium.launch({
      executablePath: found!.executablePath,
      env: { ...process.env, ...found!.env },
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      await page.setContent('<main><h1>Workspaces</h1><p>3 synced</p></main>');
      expect(await page.textContent('h1')).toBe('Workspaces');
      expect((await page.screenshot()).length).toBeGreaterThan(1000);
    } finally {
      await browser.close();
    }
  });
});

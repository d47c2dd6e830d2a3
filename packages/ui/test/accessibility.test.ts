import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AxeResults } from 'axe-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical findings on the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run: (context: Document) => Promise<AxeResults> } }).axe.run(document));
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** Every view of the dashboard passes axe-core without a serious or critical violation. */
describe('the dashboard for assistive technology', () => {
  let git: GitServer;
  let root: string;
  let generated: GeneratedRoot;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-axe-'));
    git = await startGitServer();
    const remote = await git.createRepo('axe', { defaultBranch: 'main' });
    const other = path.join(base, 'other', 'workspaces');
    root = path.join(base, 'this', 'workspaces');
    generated = await generateWorkspaces({ root: other, ...PRESETS.demo });
    await new SyncService(other).init({ remote });
    await new SyncService(other).push();
    await new SyncService(root).init({ remote });
    api = await startApiProcess({ root, args: ['--no-pull-on-start'] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  const views: { name: string; hash: string; ready: (page: Page) => Promise<unknown> }[] = [
    { name: 'Workspaces', hash: '#/workspaces', ready: (p) => p.getByTestId('workspace-card').first().waitFor() },
    { name: 'Results', hash: '#/results', ready: (p) => p.getByRole('heading', { name: 'Results' }).waitFor() },
    { name: 'History', hash: '#/history', ready: (p) => p.getByTestId('history').waitFor() },
    { name: 'Conflicts', hash: '#/conflicts', ready: (p) => p.getByRole('heading', { name: 'Conflicts' }).waitFor() },
    {
      name: 'Health',
      hash: '#/health',
      ready: async (p) => {
        await p.getByTestId('health-check').click();
        await p.getByTestId('health-findings').waitFor({ timeout: 60_000 });
      },
    },
  ];

  for (const view of views) {
    it(`has no serious violations on ${view.name}`, async () => {
      await page.goto(`${api.url}/${view.hash}`);
      await view.ready(page);
      await page.waitForTimeout(300);
      await screenshot(page, `axe-${view.name.toLowerCase()}`);
      expect(await seriousViolations(page)).toEqual([]);
    });
  }

  it('has no serious violations in the Settings dialog', async () => {
    await page.goto(`${api.url}/`);
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByTestId('settings-dialog');
    await expect.poll(() => dialog.getByLabel('Repository address').inputValue()).not.toBe('');
    await screenshot(page, 'axe-settings');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
  });

  it("has no serious violations in a workspace's details", async () => {
    await page.goto(`${api.url}/#/workspaces/${generated.workspaceIds[0]}`);
    await page.getByTestId('workspace-detail').waitFor();
    await page.getByTestId('share').getByLabel('Sharing link').waitFor();
    await page.getByTestId('branches').getByRole('heading').first().waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'axe-workspace-details');
    expect(await seriousViolations(page)).toEqual([]);
  });
});

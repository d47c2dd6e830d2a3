import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

const USER = 'planner';
const TOKEN = 'tok-health-2c7d5e9f1a';

/**
 * The dashboard's health panel in headless Chromium, served by the real API binary on a root
 * synced through a real Git server that wants a token.
 */
describe('the sync health panel in a browser', () => {
  let git: GitServer;
  let root: string;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  const finding = (check: string) => page.locator(`[data-testid="health-finding"][data-check="${check}"]`);
  const check = async () => {
    await page.getByTestId('health-check').click();
    await expect.poll(() => page.getByTestId('health-check').isEnabled(), { timeout: 30_000 }).toBe(true);
  };

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-health-'));
    git = await startGitServer({ auth: { username: USER, password: TOKEN } });
    const remote = await git.createRepo('health', { defaultBranch: 'main' });
    root = path.join(base, 'workspaces');
    await generateWorkspaces({ root, ...PRESETS.demo });
    const env = { PLANALIGN_SYNC_USERNAME: USER, PLANALIGN_SYNC_TOKEN: TOKEN };
    Object.assign(process.env, env);
    const sync = new SyncService(root);
    await sync.init({ remote });
    await sync.push();
    api = await startApiProcess({ root, args: ['--no-pull-on-start'], env });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    await page.goto(`${api.url}/#/health`);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  it('checks a healthy root and says everything is in order', async () => {
    await expect.poll(() => page.getByRole('heading', { name: 'Sync health' }).isVisible()).toBe(true);
    await check();
    await expect.poll(() => page.getByTestId('health-verdict').textContent()).toBe('Everything sync needs is in order.');
    expect(await page.getByTestId('health-finding').count()).toBe(12);
    expect(await finding('credentials').textContent()).toContain('The shared copy accepts this computer’s access.');
    expect(await page.locator('[data-testid="health-finding"][data-status="problem"], [data-testid="health-finding"][data-status="warning"]').count()).toBe(0);
    await screenshot(page, 'health');
  });

  it("lists what needs attention in a planner's words, each with what to do", async () => {
    const lock = path.join(root, '.git', 'planalign-sync', 'sync.lock');
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('close', resolve));
    await fsp.writeFile(lock, JSON.stringify({ pid: child.pid, host: os.hostname(), operation: 'push', started_at: new Date().toISOString() }));
    expect(spawnSync('git', ['update-index', '--split-index'], { cwd: root }).status).toBe(0);
    // The token this computer has no longer opens the shared copy.
    git.setAuth({ username: USER, password: 'rotated-token' });

    await check();
    await expect.poll(() => page.getByTestId('health-verdict').textContent()).toBe('3 things need attention.');
    await expect.poll(() => finding('credentials').getAttribute('data-status')).toBe('problem');
    expect(await finding('credentials').getByTestId('health-next').textContent()).toContain('Get a new access token for the shared copy');
    expect(await finding('credentials').getByRole('button', { name: 'Update access token' }).isVisible()).toBe(true);
    expect(await finding('lock').getAttribute('data-status')).toBe('warning');
    expect(await finding('lock').getByTestId('health-next').textContent()).toContain('the next sync clears it by itself');
    expect(await finding('index').getAttribute('data-status')).toBe('warning');
    expect(await finding('index').textContent()).toContain('Sync still works, only more slowly');

    // What a planner reads first has no Git in it; Git's own terms wait under Details.
    for (const item of await page.getByTestId('health-finding').all()) {
      const plain = await item.evaluate((element) => {
        const copy = element.cloneNode(true) as HTMLElement;
        copy.querySelector('details')?.remove();
        return copy.textContent ?? '';
      });
      expect(plain).not.toMatch(/\bgit\b|\bindex\b|repository|\bcommit|\block\b|PLANALIGN_/i);
    }
    await finding('index').getByText('Details').click();
    await expect.poll(() => finding('index').textContent()).toContain('split index');
    await screenshot(page, 'health-attention');
    expect(await page.content()).not.toContain(TOKEN);

    // The workspaces still show, as of the last sync, while the shared copy refuses the token.
    await page.goto(`${page.url().split('#')[0]}#/workspaces`);
    await expect.poll(() => page.getByTestId('workspace-card').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // It says so in a planner's words, with Update access token, not the server's sentence about variables.
    await expect.poll(() => page.getByTestId('access-refused-note').textContent()).toContain('as of the last sync');
    expect(await page.locator('main').innerText()).not.toContain('PLANALIGN_SYNC_TOKEN');
  });
});

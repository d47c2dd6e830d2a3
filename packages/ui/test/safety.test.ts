import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

const remoteFolders = (repository: string) =>
  spawnSync('git', ['-C', repository, 'ls-tree', '--name-only', 'main'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);

/**
 * Sync in the dashboard asks before what cannot be taken back: another computer's change that
 * clashes with this one, and removing a workspace from every computer.
 */
describe('the dashboard asks before a sync that clashes or removes', () => {
  let git: GitServer;
  let other: string;
  let root: string;
  let generated: GeneratedRoot;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  const question = () => page.getByTestId('sync-check');
  const syncButton = () => page.getByTestId('sync-button');

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-safety-'));
    git = await startGitServer();
    const remote = await git.createRepo('safety', { defaultBranch: 'main' });
    other = path.join(base, 'other', 'workspaces');
    root = path.join(base, 'this', 'workspaces');
    generated = await generateWorkspaces({ root: other, ...PRESETS.demo });
    await new SyncService(other).init({ remote });
    await new SyncService(other).push();
    await new SyncService(root).init({ remote });
    api = await startApiProcess({ root, args: ['--no-pull-on-start'] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 1200 } });
    await page.goto(api.url);
    await syncButton().waitFor({ timeout: 20_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  it('shows a setting changed on both computers, by name and value, before syncing, and syncs only when told', async () => {
    const workspace = generated.workspaceIds[0];
    const scenario = (await fsp.readdir(path.join(root, workspace, 'scenarios'))).sort()[0];
    await editScenario(other, workspace, scenario, { name: 'Hiring Freeze (other)' });
    await new SyncService(other).push();
    await editScenario(root, workspace, scenario, { name: 'Hiring Freeze (here)' });
    const file = path.join(root, workspace, 'scenarios', scenario, 'scenario.json');
    const before = await fsp.readFile(file, 'utf8');

    await syncButton().click();
    await expect.poll(() => question().isVisible(), { timeout: 20_000 }).toBe(true);
    const text = await question().textContent();
    expect(text).toContain('Name is “Hiring Freeze (here)” here and “Hiring Freeze (other)” on the other computer');
    expect(text).toContain('the newest change wins');
    expect(text).not.toMatch(/\b(push|pull|remote|branch)\b/i);
    await screenshot(page, 'sync-check-clash');
    await question().getByRole('button', { name: 'Not now' }).click();
    await expect.poll(() => question().count()).toBe(0);
    expect(await fsp.readFile(file, 'utf8')).toBe(before);

    await syncButton().click();
    await expect.poll(() => question().isVisible(), { timeout: 20_000 }).toBe(true);
    await question().getByRole('button', { name: 'Sync now' }).click();
    // Newest change wins, as the question said: this computer's name, now on every computer.
    const shared = () =>
      spawnSync('git', ['-C', git.repoPath('safety'), 'show', `main:${workspace}/scenarios/${scenario}/scenario.json`], { encoding: 'utf8' }).stdout;
    await expect.poll(shared, { timeout: 20_000 }).toContain('Hiring Freeze (here)');
    await expect.poll(() => syncButton().isEnabled(), { timeout: 20_000 }).toBe(true);
    expect(JSON.parse(await fsp.readFile(file, 'utf8')).name).toBe('Hiring Freeze (here)');
  });

  it('asks before removing a workspace from every computer, and keeps it there unless confirmed', async () => {
    const workspace = generated.workspaceIds[1];
    const name = JSON.parse(await fsp.readFile(path.join(root, workspace, 'workspace.json'), 'utf8')).name as string;
    await fsp.rm(path.join(root, workspace), { recursive: true });

    await syncButton().click();
    await expect.poll(() => question().isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await question().getByRole('heading').textContent()).toBe(`This would remove “${name}” from every computer`);
    await screenshot(page, 'sync-check-removal');
    await question().getByRole('button', { name: 'Not now' }).click();
    expect(remoteFolders(git.repoPath('safety'))).toContain(workspace);
    // the page says what that means
    const notice = page.getByTestId('notice');
    await expect.poll(() => notice.textContent()).toContain(`Nothing was sent: the other computers keep “${name}”.`);
    expect(await notice.textContent()).toContain('each sync stops here and asks again');

    // put back: this computer gets the workspace again, byte for byte as last synced
    const shared = (file: string) => spawnSync('git', ['-C', git.repoPath('safety'), 'show', `main:${workspace}/${file}`], { encoding: 'utf8' }).stdout;
    await syncButton().click();
    await expect.poll(() => question().isVisible(), { timeout: 20_000 }).toBe(true);
    await question().getByRole('button', { name: 'Put them back on this computer' }).click();
    await expect.poll(() => notice.textContent(), { timeout: 20_000 }).toContain(`“${name}” is back on this computer, as of the last sync.`);
    expect(await fsp.readFile(path.join(root, workspace, 'workspace.json'), 'utf8')).toBe(shared('workspace.json'));
    await expect.poll(() => page.getByTestId('workspace-card').filter({ hasText: name }).count()).toBe(1);

    await fsp.rm(path.join(root, workspace), { recursive: true });
    await syncButton().click();
    await expect.poll(() => question().isVisible(), { timeout: 20_000 }).toBe(true);
    await question().getByRole('button', { name: 'Remove from every computer' }).click();
    await expect.poll(() => remoteFolders(git.repoPath('safety')), { timeout: 20_000 }).not.toContain(workspace);
  });
});

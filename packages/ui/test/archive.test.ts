import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

/** Words a planner should not meet in the dashboard's account of archiving. */
const DEVELOPER_WORDS = /\b(push|pull|remote|branch|refs?|commit|git)\b/i;

/** A workspace's files, path → bytes as base64, for a byte-for-byte comparison. */
async function folderBytes(root: string, workspace: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (relative: string) => {
    for (const entry of await fsp.readdir(path.join(root, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      else if (/\.(json|ya?ml)$/.test(entry.name)) files[child] = (await fsp.readFile(path.join(root, child))).toString('base64');
    }
  };
  await walk(workspace);
  return files;
}

/**
 * Archiving in the dashboard of machine B (the real API binary, headless Chromium), with
 * machine A following through the core and a real Git server between them.
 */
describe('archiving a workspace in the dashboard', () => {
  let git: GitServer;
  let bare: string;
  let machineA: string;
  let machineB: string;
  let workspace: string;
  let name: string;
  let before: Record<string, string>;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  const card = () => page.locator(`[data-testid="workspace-card"][data-workspace-id="${workspace}"]`);
  const notice = () => page.getByTestId('notice').first();

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-archive-'));
    git = await startGitServer();
    const remote = await git.createRepo('archive', { defaultBranch: 'main' });
    bare = git.repoPath('archive');
    machineA = path.join(base, 'a', 'workspaces');
    machineB = path.join(base, 'b', 'workspaces');
    const generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    workspace = generated.workspaceIds[0];
    name = JSON.parse(await fsp.readFile(path.join(machineA, workspace, 'workspace.json'), 'utf8')).name;
    await new SyncService(machineA).init({ remote });
    await new SyncService(machineA).push();
    await new SyncService(machineB).init({ remote });
    before = await folderBytes(machineA, workspace);
    api = await startApiProcess({ root: machineB });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${api.url}/?refresh=1`);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  it('asks first, in plain words, and Escape keeps the workspace', async () => {
    await expect.poll(() => card().getByTestId('sync-badge').textContent(), { timeout: 30_000 }).toContain('Synced');
    await card()
      .getByRole('button', { name: `Archive ${name}` })
      .click();
    const confirm = page.getByTestId('archive-confirm');
    await expect.poll(() => confirm.isVisible()).toBe(true);
    const words = (await confirm.textContent()) ?? '';
    expect(words).toContain(`Archive “${name}”?`);
    expect(words).toContain('Nothing is deleted');
    expect(words).toMatch(/\d+ scenarios and \d+ runs are put away/);
    expect(words).not.toMatch(DEVELOPER_WORDS);
    // the safe default is not the focused button's opposite: Archive has the focus, Escape cancels
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Archive workspace');
    await screenshot(page, 'archive-confirm');
    await page.keyboard.press('Escape');
    await expect.poll(() => confirm.count()).toBe(0);
    expect(existsSync(path.join(machineB, workspace, 'workspace.json'))).toBe(true);
  });

  it('archives it: the card goes, the archived list shows it, and the other computer puts it away when it syncs', async () => {
    await card()
      .getByRole('button', { name: `Archive ${name}` })
      .click();
    await page.getByRole('button', { name: 'Archive workspace' }).click();
    await expect.poll(() => notice().textContent(), { timeout: 30_000 }).toContain(`“${name}” is archived`);
    expect(await notice().textContent()).not.toMatch(DEVELOPER_WORDS);
    await expect.poll(() => card().count()).toBe(0);
    const archived = page.getByTestId('archived');
    await expect.poll(() => archived.getByTestId('archived-workspace').count()).toBe(1);
    const row = (await archived.textContent()) ?? '';
    expect(row).toContain(name);
    expect(row).toMatch(/\d+ scenarios · \d+ runs · Archived just now/);
    expect(row).not.toMatch(DEVELOPER_WORDS);
    await screenshot(page, 'archived-list');
    expect(existsSync(path.join(machineB, workspace, 'workspace.json'))).toBe(false);

    const a = new SyncService(machineA);
    await a.pull();
    expect(existsSync(path.join(machineA, workspace, 'workspace.json'))).toBe(false);
    expect((await a.archived()).archived.map((entry) => entry.name)).toEqual([name]);
  });

  it('brings it back with one click; the other computer gets it back byte for byte', async () => {
    await page.getByRole('button', { name: `Bring back ${name}` }).click();
    await expect.poll(() => notice().textContent(), { timeout: 30_000 }).toContain(`“${name}” is back`);
    expect(await notice().textContent()).not.toMatch(DEVELOPER_WORDS);
    await expect.poll(() => card().getByTestId('sync-badge').textContent()).toContain('Synced');
    await expect.poll(() => page.getByTestId('archived').count()).toBe(0);
    expect(await folderBytes(machineB, workspace)).toEqual(before);

    await new SyncService(machineA).pull();
    expect(await folderBytes(machineA, workspace)).toEqual(before);
    const fsck = spawnSync('git', ['-C', bare, 'fsck', '--full', '--strict', '--no-dangling'], { encoding: 'utf8' });
    expect({ status: fsck.status, stderr: fsck.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });
});

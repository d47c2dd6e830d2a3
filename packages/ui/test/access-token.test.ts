import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

const TOKEN = 'tok-dashboard-4b81e6c0f2a9';
const ROTATED = 'tok-rotated-93d0c5a7e1b4';
const GIT_WORDS = /\b(commits?|committed|push(es|ed)?|origin|remotes?|merge[sd]?|refs?)\b/i;

/**
 * Connecting from the dashboard to a shared copy that wants a token: the token is typed once,
 * checked, and kept on this computer (a file only the user can read here, with no credential
 * helper); when the shared copy later refuses it, Update access token takes a new one.
 */
describe('the access token, from the dashboard', () => {
  let git: GitServer;
  let remote: string;
  let home: string;
  let root: string;
  let generated: GeneratedRoot;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    home = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-token-'));
    await fsp.writeFile(path.join(home, '.gitconfig'), '');
    git = await startGitServer({ auth: { username: 'planalign-sync', password: TOKEN } });
    remote = await git.createRepo('token', { defaultBranch: 'main' });
    root = path.join(home, 'workspaces');
    generated = await generateWorkspaces({ root, ...PRESETS.demo });
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
      GIT_CONFIG_NOSYSTEM: '1',
      PLANALIGN_SYNC_TOKEN: '',
    };
    api = await startApiProcess({ root, env });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await page.goto(api.url);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  it('is entered once in the set-up form, checked, and kept in a file only this user can read', async () => {
    const file = path.join(home, 'config', 'planalign-sync', 'credentials.json');
    await expect.poll(() => page.getByTestId('setup-form').isVisible()).toBe(true);
    // A host known from the address gets a link to its page for tokens, and what to allow.
    await page.getByLabel('Repository address').fill('https://github.com/you/plans.git');
    await expect.poll(() => page.getByTestId('token-link').getAttribute('href')).toBe('https://github.com/settings/personal-access-tokens/new');
    expect(await page.locator('#setup-token-help').textContent()).toContain('only the repository you/plans and the permission “Contents: Read and write”');

    await page.getByLabel('Repository address').fill(remote);
    await page.getByRole('button', { name: 'Connect and sync' }).click();
    await expect.poll(() => page.locator('#setup-token-help').textContent(), { timeout: 15_000 }).toContain('needs an access token');

    await page.getByTestId('access-token').fill(`${TOKEN}-wrong`);
    await page.getByRole('button', { name: 'Connect and sync' }).click();
    await expect.poll(() => page.locator('#setup-token-help').textContent(), { timeout: 15_000 }).toContain("This token can't write to that repository.");
    expect(existsSync(file)).toBe(false);
    await screenshot(page, 'setup-token');

    await page.getByTestId('access-token').fill(TOKEN);
    await page.getByRole('button', { name: 'Connect and sync' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Workspaces' }).isVisible(), { timeout: 30_000 }).toBe(true);
    // the first sync follows, with the token just kept
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('Synced:');
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
    expect(await page.content()).not.toContain(TOKEN);
  });

  it('offers Update access token when the shared copy refuses it later, and syncs with the new one', async () => {
    git.setAuth({ username: 'planalign-sync', password: ROTATED });
    const workspace = generated.workspaceIds[0];
    const scenario = (await fsp.readdir(path.join(root, workspace, 'scenarios'))).sort()[0];
    await editScenario(root, workspace, scenario, { description: 'edited after the token changed' });
    await page.getByTestId('sync-button').click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('did not accept');
    await expect.poll(() => page.getByTestId('update-token').isVisible()).toBe(true);
    // Dismissed, the notice leaves a note in its place, with the same way out; never the server's sentence about variables.
    await page.getByTestId('notice').getByRole('button', { name: 'Dismiss' }).click();
    const note = page.getByTestId('access-refused-note');
    await expect.poll(() => note.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('main').innerText()).not.toContain('PLANALIGN_SYNC_TOKEN');
    await note.getByRole('button', { name: 'Update access token' }).click();

    const dialog = page.getByTestId('update-token-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByTestId('access-token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Save token' }).click();
    await expect.poll(() => dialog.locator('#update-token-help').textContent(), { timeout: 15_000 }).toContain("This token can't write to that repository.");
    expect(await dialog.innerText()).not.toMatch(GIT_WORDS);
    await screenshot(page, 'update-token');
    await dialog.getByTestId('access-token').fill(ROTATED);
    await dialog.getByRole('button', { name: 'Save token' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 15_000 }).toContain('The access token works');
    await expect.poll(() => dialog.count()).toBe(0);

    await page.getByTestId('sync-button').click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('Synced');
    const saved = await fsp.readFile(path.join(home, 'config', 'planalign-sync', 'credentials.json'), 'utf8');
    expect(saved).toContain(ROTATED);
    expect(saved).not.toContain(TOKEN);
  });
});

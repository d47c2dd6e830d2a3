import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SyncService, TeamService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

/**
 * Team work in the dashboard: machine A (Ana, through the core) and machine B (Bea, in the
 * browser, served by the real API binary) share a real Git remote; a third, empty machine
 * imports a workspace from the link B copies.
 */
describe('team work in the dashboard', () => {
  let git: GitServer;
  let remote: string;
  let machineA: string;
  let machineB: string;
  let machineC: string;
  let workspace: string;
  let workspaceName: string;
  let ownWorkspace: string;
  let scenario: string;
  let scenarioName: string;
  let api: ApiProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let sharedLink = '';

  const description = async (root: string) =>
    JSON.parse(await fsp.readFile(path.join(root, workspace, 'scenarios', scenario, 'scenario.json'), 'utf8')).description as string;
  const detail = () => page.getByTestId('workspace-detail');
  const branchRow = (name: string) => page.locator(`[data-testid="branch"][data-branch="${name}"]`);
  const branchNotice = () => page.getByTestId('branches').getByTestId('notice').first();
  const scenarioPicker = () => page.getByLabel('Scenario', { exact: true });
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent?.trim());
  const syncNow = async () => {
    await detail().getByRole('button', { name: 'Sync', exact: true }).click();
    await expect.poll(() => page.getByTestId('notice').first().textContent(), { timeout: 30_000 }).toMatch(/Synced|Pushed|up to date/i);
    await expect.poll(() => detail().getByTestId('sync-badge').textContent(), { timeout: 15_000 }).toContain('Synced');
  };

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-team-'));
    git = await startGitServer();
    remote = await git.createRepo('team', { defaultBranch: 'main' });
    machineA = path.join(base, 'a', 'workspaces');
    machineB = path.join(base, 'b', 'workspaces');
    machineC = path.join(base, 'c', 'workspaces');
    await fsp.mkdir(machineC, { recursive: true });
    const generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    workspace = generated.workspaceIds[0];
    workspaceName = JSON.parse(await fsp.readFile(path.join(machineA, workspace, 'workspace.json'), 'utf8')).name;
    scenario = (await fsp.readdir(path.join(machineA, workspace, 'scenarios'))).sort()[0];
    scenarioName = JSON.parse(await fsp.readFile(path.join(machineA, workspace, 'scenarios', scenario, 'scenario.json'), 'utf8')).name;

    // Ana sets sync up and makes the first change; every commit of A carries her name
    const before = { ...process.env };
    process.env.PLANALIGN_SYNC_AUTHOR_NAME = 'Ana Lima';
    process.env.PLANALIGN_SYNC_AUTHOR_EMAIL = 'ana@example.com';
    try {
      const a = new SyncService(machineA);
      await a.init({ remote });
      await editScenario(machineA, workspace, scenario, { description: 'Ana: first review' });
      await a.push();
    } finally {
      for (const key of ['PLANALIGN_SYNC_AUTHOR_NAME', 'PLANALIGN_SYNC_AUTHOR_EMAIL']) {
        if (before[key] === undefined) delete process.env[key];
        else process.env[key] = before[key];
      }
    }
    await new SyncService(machineB).init({ remote });
    // Bea has just made a workspace of her own: it is not on the remote yet
    const own = await generateWorkspaces({ root: path.join(base, 'b-new', 'workspaces'), workspaces: 1, scenarios: 1, runs: 0, seed: 99 });
    ownWorkspace = own.workspaceIds[0];
    await fsp.rename(path.join(own.root, ownWorkspace), path.join(machineB, ownWorkspace));
    const ownFile = path.join(machineB, ownWorkspace, 'workspace.json');
    await fsp.writeFile(ownFile, JSON.stringify({ ...JSON.parse(await fsp.readFile(ownFile, 'utf8')), name: 'Bea’s sandbox' }, null, 2));

    // B's name comes from the dashboard, not from the environment
    api = await startApiProcess({ root: machineB, env: { PLANALIGN_SYNC_AUTHOR_NAME: '', PLANALIGN_SYNC_AUTHOR_EMAIL: '' } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    await page.goto(`${api.url}/?refresh=1`);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  it('opens a workspace’s details from its card, and records changes under the name Bea sets', async () => {
    // a workspace only on this computer cannot be shared yet, and the page says so
    await page.getByRole('link', { name: 'Details of Bea’s sandbox' }).click();
    await expect.poll(() => page.getByTestId('not-on-remote').textContent()).toContain('Not in the shared copy yet');
    expect(await page.getByTestId('share').getByLabel('Sharing link').inputValue()).toContain(`workspace=${ownWorkspace}`);
    await page.getByRole('link', { name: '← All workspaces' }).click();

    await page.getByRole('link', { name: `Details of ${workspaceName}` }).click();
    await expect.poll(() => detail().getByRole('heading', { name: workspaceName, level: 1 }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('detail-heading');
    await expect.poll(() => branchRow('main').textContent()).toContain('Shown here');
    await expect.poll(() => branchRow('main').textContent()).toContain('Last changed by Ana Lima, ');
    // the scenario picked first is the one changed last
    await expect.poll(() => scenarioPicker().inputValue()).toBe(scenario);

    const author = page.getByTestId('author');
    await author.getByRole('button', { name: 'Change' }).click();
    await author.getByLabel('Your name').fill('Bea <Costa>');
    await author.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => author.getByText('without “<” or “>”').isVisible()).toBe(true);
    await author.getByLabel('Your name').fill('Bea Costa');
    await author.getByLabel('E-mail (optional)').fill('bea@example.com');
    await author.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => author.textContent()).toContain('recorded as Bea Costa');
  });

  it('starts a branch, checking its name as it is typed, and shares it with a sync', async () => {
    const name = page.getByLabel('Start a what-if version');
    const help = page.locator('#new-branch-help');
    for (const [typed, problem] of [
      ['-what-if', 'Start with a letter or a digit.'],
      ['what/if', 'no slashes'],
      ['what..if', 'Two dots in a row'],
      ['main', 'is the main version'],
      ['x'.repeat(64), 'at most 63'],
    ]) {
      await name.fill(typed);
      await expect.poll(() => help.textContent()).toContain(problem);
      expect(await name.getAttribute('aria-invalid')).toBe('true');
    }
    // spaces are typed as people name things, and kept as dashes
    await name.fill('what if');
    await expect.poll(() => help.textContent()).toContain('Named “what-if”. Starts from what the folder shows now');
    expect(await name.getAttribute('aria-invalid')).toBe('false');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => branchNotice().textContent()).toContain('Started the what-if version “what-if”');
    await expect.poll(() => branchRow('what-if').textContent()).toContain('Shown here');
    await expect.poll(() => detail().getByTestId('branch-badge').textContent()).toContain('what-if');
    await expect.poll(() => branchRow('what-if').textContent()).toContain('Only on this computer');

    // Bea tries the what-if in PlanAlign: the scenario file changes on disk, on the branch
    await editScenario(machineB, workspace, scenario, { description: 'Bea: what if growth doubles' });
    await expect.poll(() => detail().getByTestId('sync-badge').textContent(), { timeout: 15_000 }).toContain('↑ 1 change');
    await syncNow();
    await expect.poll(() => branchRow('what-if').textContent(), { timeout: 15_000 }).toContain('Here and in the shared copy');
    await expect.poll(() => branchRow('what-if').textContent()).toContain('Last changed by Bea Costa, just now');
    // Ana's machine sees Bea's branch on the remote
    const onA = await new TeamService(machineA).branches(workspace);
    expect(onA.branches.find((b) => b.name === 'what-if')).toMatchObject({ where: 'remote', last_changed_by: { name: 'Bea Costa' } });

    // the card in the list says which branch the folder shows
    await page.getByRole('link', { name: '← All workspaces' }).click();
    const card = page.locator(`[data-testid="workspace-card"][data-workspace-id="${workspace}"]`);
    await expect.poll(() => card.getByTestId('branch-badge').textContent()).toContain('what-if');
    await screenshot(page, 'team-card-branch');
    await card.getByRole('link', { name: `Details of ${workspaceName}` }).click();
    await expect.poll(() => branchRow('what-if').isVisible()).toBe(true);
  });

  it('switches back to the main line, then merges the branch, choosing which line wins', async () => {
    await branchRow('main').getByRole('button', { name: 'Switch to the main version' }).click();
    await expect.poll(() => branchNotice().textContent()).toContain('now shows the main version');
    await expect.poll(() => branchRow('main').textContent()).toContain('Shown here');
    expect(await description(machineB)).toBe('Ana: first review');
    await expect.poll(() => detail().getByTestId('branch-badge').count()).toBe(0);

    // the main line changes the same setting meanwhile
    await editScenario(machineB, workspace, scenario, { description: 'Bea: main line edit' });
    await branchRow('what-if').getByRole('button', { name: 'Bring into the main version… the what-if version what-if' }).click();
    const form = branchRow('what-if').locator('form');
    await form.getByRole('radio', { name: /Stop and tell me/ }).check();
    await form.getByRole('button', { name: 'Bring in what-if' }).click();
    const stopped = form.getByTestId('notice');
    await expect.poll(() => stopped.textContent(), { timeout: 15_000 }).toContain('changed the same file');
    const said = (await stopped.textContent()) ?? '';
    expect(said).toContain(`${scenarioName} › scenario.json`);
    expect(said).toContain('Nothing was brought in');
    expect(said).toContain('The what-if version wins');
    expect(await description(machineB)).toBe('Bea: main line edit');
    await screenshot(page, 'team-merge-conflict');

    await form.getByRole('radio', { name: /The what-if version wins/ }).check();
    await form.getByRole('button', { name: 'Bring in what-if' }).click();
    await expect.poll(() => branchNotice().textContent(), { timeout: 15_000 }).toContain('“what-if” is now part of the main version');
    expect(await description(machineB)).toBe('Bea: what if growth doubles');
    await syncNow();
  });

  it('shows who changed the workspace, how often, when and in which scenarios', async () => {
    const people = page.getByTestId('contributor');
    await expect
      .poll(async () => (await people.allTextContents()).join(' | '), { timeout: 15_000 })
      .toMatch(/Bea Costa.*\| .*Ana Lima|Ana Lima.*\| .*Bea Costa/);
    const bea = people.filter({ hasText: 'Bea Costa' });
    expect(await bea.textContent()).toMatch(/\d+ changes? · last just now/);
    expect(await bea.textContent()).toContain(scenarioName);
    await expect.poll(() => page.getByTestId('recent-changes').locator('li').first().textContent()).toContain('Bea Costa');
  });

  it('lists the versions of a scenario, compares one with now, and restores it after confirming', async () => {
    await page.getByLabel('Scenario', { exact: true }).selectOption({ label: scenarioName });
    const versions = page.getByTestId('version');
    await expect.poll(() => versions.count()).toBeGreaterThanOrEqual(3);
    // what the merge brought from the branch is what the folder holds
    await expect.poll(() => versions.filter({ hasText: 'Current' }).textContent()).toContain('(what-if version “what-if”)');
    const anas = versions.filter({ hasText: 'Ana Lima' }).first();
    const anaLabel = (await anas.getByRole('button', { name: /^Compare with now: the version of / }).getAttribute('aria-label'))!.replace(
      /^Compare with now: the version of (.+)$/,
      '$1',
    );
    // the id is a detail; the version is named by who saved it and when
    expect(anaLabel).toMatch(/^Ana Lima, /);

    await anas.getByRole('button', { name: `Compare with now: the version of ${anaLabel}` }).click();
    const diff = page.getByTestId('scenario-diff');
    await expect.poll(() => diff.isVisible()).toBe(true);
    const row = diff.getByTestId('change').filter({ hasText: 'description' });
    await expect
      .poll(() => row.textContent())
      .toMatch(/the scenario’s details\s*Description\s*Changed\s*“Ana: first review”\s*→ “Bea: what if growth doubles”/);
    await diff.getByText('Show the exact text changes').click();
    await expect.poll(() => diff.locator('pre').textContent()).toContain('-  "description": "Ana: first review"');

    await anas.getByRole('button', { name: `Restore the version of ${anaLabel}` }).click();
    const confirm = page.getByRole('group', { name: `Restore the version of ${anaLabel}?` });
    await expect.poll(() => confirm.textContent()).toContain('kept as a backup');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Restore this version');
    expect(await description(machineB)).toBe('Bea: what if growth doubles');
    await page.setViewportSize({ width: 1280, height: 1400 });
    await screenshot(page, 'team-detail');
    await confirm.getByRole('button', { name: 'Restore this version' }).click();
    await expect.poll(() => page.getByTestId('scenario-history').getByTestId('notice').textContent()).toMatch(/is back to the version Ana Lima saved/);
    expect(await description(machineB)).toBe('Ana: first review');
    await expect.poll(() => diff.textContent()).toContain('No setting differs');
    await syncNow();
    // the restore is the newest version; Ana's, which it brought back, holds what the folder holds
    await expect.poll(() => versions.first().textContent()).toContain('Current');
    await anas.getByRole('button', { name: `Compare with now: the version of ${anaLabel}` }).click();
    await expect.poll(() => diff.textContent()).toContain('No setting differs');
  });

  it('picks from every scenario in the folder, one never synced too', async () => {
    // a scenario just made in PlanAlign: no version or history has it
    const fresh = randomUUID();
    const folder = path.join(machineB, workspace, 'scenarios', fresh);
    await fsp.mkdir(folder);
    await fsp.writeFile(
      path.join(folder, 'scenario.json'),
      JSON.stringify({ id: fresh, workspace_id: workspace, name: 'Aardvark plan', status: 'not_run', last_run_at: null }, null, 2),
    );
    const names: string[] = [];
    for (const id of await fsp.readdir(path.join(machineB, workspace, 'scenarios'))) {
      names.push(JSON.parse(await fsp.readFile(path.join(machineB, workspace, 'scenarios', id, 'scenario.json'), 'utf8')).name);
    }
    names.sort((a, b) => a.localeCompare(b));
    expect(names.length).toBeGreaterThan(2);
    await expect.poll(() => scenarioPicker().locator('option').allTextContents(), { timeout: 15_000 }).toEqual(names);
    // what people chose stays chosen while the list is read again
    expect(await scenarioPicker().inputValue()).toBe(scenario);

    await scenarioPicker().selectOption({ label: 'Aardvark plan' });
    await expect.poll(() => page.getByTestId('scenario-history').textContent()).toContain('This scenario is in no version yet');
    expect(await page.getByTestId('versions').count()).toBe(0);

    // gone from the folder, gone from the picker, which falls back to the scenario changed last
    await fsp.rm(folder, { recursive: true });
    await expect.poll(() => scenarioPicker().locator('option').allTextContents(), { timeout: 15_000 }).toEqual(names.filter((n) => n !== 'Aardvark plan'));
    await expect.poll(() => scenarioPicker().inputValue()).toBe(scenario);
    await expect.poll(() => page.getByTestId('version').count()).toBeGreaterThan(1);
    expect(await page.getByTestId('scenario-history').getByTestId('notice').count()).toBe(0);
    await expect.poll(() => detail().getByTestId('sync-badge').textContent(), { timeout: 15_000 }).toContain('Synced');
  });

  it('copies the share link, and an empty second computer imports the workspace from it', async () => {
    const share = page.getByTestId('share');
    await expect.poll(() => share.textContent()).toContain('In the shared copy');
    sharedLink = await share.getByLabel('Sharing link').inputValue();
    expect(sharedLink).toMatch(new RegExp(`^planalign://import\\?remote=.+&branch=main&workspace=${workspace}`));
    await share.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => share.getByTestId('copy-status').textContent()).toContain('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(sharedLink);

    const other = await startApiProcess({ root: machineC });
    const tab = await context.newPage();
    try {
      await tab.goto(`${other.url}/`);
      await tab.getByRole('button', { name: 'Import a shared workspace' }).click();
      const dialog = tab.getByTestId('import-dialog');
      await expect.poll(() => dialog.isVisible()).toBe(true);
      const source = dialog.getByLabel('Sharing link or repository address');
      await source.fill(sharedLink.replace('remote=http%3A%2F%2F', 'remote=http%3A%2F%2Fbea%3As3cret%40'));
      await dialog.getByRole('button', { name: 'Import' }).click();
      await expect.poll(() => dialog.textContent()).toContain('This link carries a password or token');
      expect(existsSync(path.join(machineC, '.git'))).toBe(false);

      await source.fill(sharedLink);
      await expect.poll(() => dialog.textContent()).toContain(`“${workspaceName}”`);
      await screenshot(tab, 'team-import');
      await dialog.getByRole('button', { name: 'Import' }).click();
      await expect.poll(() => tab.getByTestId('notice').first().textContent(), { timeout: 30_000 }).toContain(`“${workspaceName}” is on this computer now`);
      await expect.poll(() => dialog.isVisible()).toBe(false);
      await expect.poll(() => tab.getByTestId('workspace-card').count()).toBe(1);
      expect(await description(machineC)).toBe('Ana: first review');
      expect((await fsp.readdir(machineC)).filter((f) => !f.startsWith('.'))).toEqual([workspace]);
      await screenshot(tab, 'team-imported');
      // this computer has no remote of its own: it shares through the one the link named
      await tab.getByRole('link', { name: `Details of ${workspaceName}` }).click();
      await expect.poll(() => tab.getByTestId('share').textContent()).toContain('In the shared copy');
      expect(await tab.getByTestId('share').getByLabel('Sharing link').inputValue()).toBe(sharedLink);
    } finally {
      await tab.close();
      await other.stop();
    }
  });

  it('deletes a merged branch once confirmed, here and on the remote; Escape cancels', async () => {
    const open = branchRow('what-if').getByRole('button', { name: 'Delete the what-if version what-if' });
    // neither the main line nor the line shown can be deleted
    expect(
      await branchRow('main')
        .getByRole('button', { name: /^Delete/ })
        .count(),
    ).toBe(0);
    await open.click();
    const confirm = page.getByRole('group', { name: 'Delete the what-if version what-if?' });
    await expect.poll(() => confirm.textContent()).toContain('on this computer and on the shared copy, for everyone?');
    expect(await focused()).toBe('Delete it');
    await page.keyboard.press('Escape');
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await focused()).toBe('Delete the what-if version what-if');

    // all from the keyboard: open it again, then confirm
    await page.keyboard.press('Enter');
    await expect.poll(() => focused()).toBe('Delete it');
    await page.keyboard.press('Enter');
    await expect.poll(() => branchNotice().textContent(), { timeout: 15_000 }).toContain('Deleted the what-if version “what-if” of');
    await expect.poll(() => branchRow('what-if').count()).toBe(0);
    expect(await branchRow('main').textContent()).toContain('Shown here');
    const onA = await new TeamService(machineA).branches(workspace);
    expect(onA.branches.map((b) => b.name)).toEqual(['main']);
  });

  it('says when a branch has work the main line lacks, and deletes it only with “Delete anyway”', async () => {
    await page.getByLabel('Start a what-if version').fill('dead-end');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => branchRow('dead-end').textContent()).toContain('Shown here');
    expect(
      await branchRow('dead-end')
        .getByRole('button', { name: /^Delete/ })
        .count(),
    ).toBe(0);
    // an edit on the branch, kept on it when the folder goes back to the main line
    await editScenario(machineB, workspace, scenario, { description: 'Bea: a dead end' });
    await branchRow('main').getByRole('button', { name: 'Switch to the main version' }).click();
    await expect.poll(() => branchRow('main').textContent()).toContain('Shown here');
    const onMainLine = await description(machineB);
    expect(onMainLine).not.toBe('Bea: a dead end');

    await branchRow('dead-end').getByRole('button', { name: 'Delete the what-if version dead-end' }).click();
    const confirm = page.getByRole('group', { name: 'Delete the what-if version dead-end?' });
    await confirm.getByRole('button', { name: 'Delete it' }).click();
    await expect.poll(() => confirm.getByRole('alert').textContent()).toContain('“dead-end” has 1 change that the main version does not have.');
    const said = (await confirm.textContent()) ?? '';
    expect(said).toContain('throws that change away');
    expect(said).toContain('bring it into the main version first');
    expect(said).not.toContain('--force');
    // nothing is deleted yet, and the safe choice has the focus
    expect(await focused()).toBe('Keep it');
    expect(await branchRow('dead-end').count()).toBe(1);
    await screenshot(page, 'team-delete-unmerged');

    await confirm.getByRole('button', { name: 'Delete anyway' }).click();
    await expect.poll(() => branchNotice().textContent(), { timeout: 15_000 }).toContain('Deleted the what-if version “dead-end” of');
    await expect.poll(() => branchRow('dead-end').count()).toBe(0);
    expect(await description(machineB)).toBe(onMainLine);
  });

  it('fits a 390 px screen and works from the keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await expect.poll(() => branchRow('main').isVisible()).toBe(true);
    await page.getByLabel('Scenario', { exact: true }).selectOption({ label: scenarioName });
    await page
      .getByTestId('versions')
      .getByRole('button', { name: /^Compare with now/ })
      .first()
      .click();
    await expect.poll(() => page.getByTestId('change').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'team-narrow');

    // from the heading the view starts on, Tab reaches the branch form; Enter starts the branch
    await page.locator('#detail-heading').focus();
    let reached = '';
    for (let step = 0; step < 40 && reached !== 'new-branch'; step += 1) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    expect(reached).toBe('new-branch');
    await page.keyboard.type('from-keyboard');
    await page.keyboard.press('Enter');
    await expect.poll(() => branchNotice().textContent()).toContain('Started the what-if version “from-keyboard”');
  });
});

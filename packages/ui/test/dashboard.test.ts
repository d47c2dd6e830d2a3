import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { configureSimulator, setSimulatorBehaviour } from '@planalign/sync-tools/simulator';
import { editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

/**
 * The dashboard in headless Chromium, served by the real API binary on "machine B", with
 * "machine A" changing things through the core and a real Git server between them.
 */
describe('the sync dashboard in a browser', () => {
  let git: GitServer;
  let remote: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  const card = (workspaceId: string) => page.locator(`[data-testid="workspace-card"][data-workspace-id="${workspaceId}"]`);
  const badge = (workspaceId: string) => card(workspaceId).getByTestId('sync-badge');
  const firstScenario = async (root: string, workspaceId: string) => (await fsp.readdir(path.join(root, workspaceId, 'scenarios')))[0];
  const readScenario = async (root: string, workspaceId: string, scenarioId: string) =>
    JSON.parse(await fsp.readFile(path.join(root, workspaceId, 'scenarios', scenarioId, 'scenario.json'), 'utf8'));

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-'));
    git = await startGitServer();
    remote = await git.createRepo('dashboard', { defaultBranch: 'main' });
    machineA = path.join(base, 'a', 'workspaces');
    machineB = path.join(base, 'b', 'workspaces');
    generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    const a = new SyncService(machineA);
    await a.init({ remote });
    await a.push();
    await generateWorkspaces({ root: machineB, workspaces: 1, scenarios: 2, runs: 2, seed: 99 });
    api = await startApiProcess({ root: machineB });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    // status refreshes every second, so changes made elsewhere show up while the test watches
    await page.goto(`${api.url}/?refresh=1`);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await git?.stop();
  });

  it('guides a root without sync through set-up, checking the address first', async () => {
    await expect.poll(() => page.getByTestId('setup-form').isVisible()).toBe(true);
    await expect.poll(() => page.getByText('are only on this computer').isVisible()).toBe(true);
    await screenshot(page, 'setup');

    // checked on leaving the field, before anything is sent; the branch waits under Advanced
    expect(await page.getByLabel('Branch').isVisible()).toBe(false);
    await page.getByLabel('Repository address').fill('https://me:ghp_secret@example.com/r.git');
    await page.getByLabel('Repository address').press('Tab');
    await expect.poll(() => page.getByText('Remove the password or token').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Connect and sync' }).click();
    await expect(fsp.access(path.join(machineB, '.git'))).rejects.toThrow();

    await page.getByLabel('Repository address').fill(remote);
    await page.getByRole('button', { name: 'Connect and sync' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Workspaces' }).isVisible(), { timeout: 30_000 }).toBe(true);
    // A's workspaces came down, and B's own one went up with the first sync: every card is synced
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('Synced:');
    for (const id of generated.workspaceIds) await expect.poll(() => badge(id).textContent()).toContain('Synced');
    await expect.poll(() => page.getByTestId('workspace-card').count()).toBe(generated.workspaceIds.length + 1);
    await expect.poll(() => page.getByText('○ Not synced').count()).toBe(0);
    await expect.poll(() => card(generated.workspaceIds[0]).textContent()).toMatch(/\d+ scenarios? · Last run: /);
  });

  it('shows local changes and changes from another machine on their cards as they happen', async () => {
    const [first, second] = generated.workspaceIds;
    const scenarioB = await firstScenario(machineB, first);
    await editScenario(machineB, first, scenarioB, { description: 'edited on B' });
    await expect.poll(() => badge(first).textContent(), { timeout: 15_000 }).toContain('↑ 1 change');

    const scenarioA = await firstScenario(machineA, second);
    await editScenario(machineA, second, scenarioA, { description: 'edited on A' });
    await new SyncService(machineA).push();
    await expect.poll(() => badge(second).textContent(), { timeout: 15_000 }).toContain('↓ Changes to get');
    await screenshot(page, 'workspaces');
    // changed here and there at once: the card says both
    const otherScenario = (await fsp.readdir(path.join(machineA, first, 'scenarios'))).find((id) => id !== scenarioB)!;
    await editScenario(machineA, first, otherScenario, { description: 'edited on A too' });
    await new SyncService(machineA).push();
    await expect.poll(() => badge(first).textContent(), { timeout: 15_000 }).toContain('↑↓ 1 change · changes to get');
  });

  it('syncs with one button, showing progress, then every card is synced', async () => {
    // a slow remote, so the progress indicator is on screen long enough to be seen
    git.setLatency(400);
    await page.getByTestId('sync-button').click();
    await expect.poll(() => page.getByTestId('sync-progress').isVisible(), { timeout: 5_000, interval: 50 }).toBe(true);
    await expect.poll(() => page.getByTestId('sync-button').isDisabled()).toBe(true);
    await screenshot(page, 'syncing');
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('Synced');
    git.setLatency(0);
    await expect.poll(() => page.getByTestId('sync-progress').count()).toBe(0);
    await expect.poll(async () => (await page.getByTestId('sync-badge').allTextContents()).every((text) => text.includes('Synced'))).toBe(true);
    const pulled = await readScenario(machineB, generated.workspaceIds[1], await firstScenario(machineB, generated.workspaceIds[1]));
    expect(pulled.description).toBe('edited on A');
    await new SyncService(machineA).pull();
    const pushed = await readScenario(machineA, generated.workspaceIds[0], await firstScenario(machineA, generated.workspaceIds[0]));
    expect(pushed.description).toBe('edited on B');
  });

  it('lists what was synced in the history view', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    const history = page.getByTestId('history');
    await expect.poll(() => history.isVisible()).toBe(true);
    const text = await history.textContent();
    expect(text).toMatch(/Shared changes to .+ with the other computers/);
    expect(text).toMatch(/Got changes to .+ from the other computers/);
    await screenshot(page, 'history');
    await page.getByRole('link', { name: 'Workspaces' }).click();
  });

  it('validates settings before saving, then saves them to .planalign-sync.yaml', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByTestId('settings-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect.poll(() => dialog.getByLabel('Repository address').inputValue()).toBe(remote);
    await dialog.getByLabel('Sync automatically').check();
    await dialog.getByLabel('Every (minutes)').fill('0');
    await dialog.getByRole('radio', { name: /Ask me/ }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.getByText('from 1 to 1440').isVisible()).toBe(true);
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).toContain('auto_sync: false');

    await dialog.getByLabel('Every (minutes)').fill('5');
    await screenshot(page, 'settings');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    const saved = await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8');
    expect(saved).toContain('auto_sync: true');
    expect(saved).toContain('auto_sync_interval_minutes: 5');
    expect(saved).toContain('conflict_strategy: ask-user');
    expect(saved).toContain(`remote: ${remote}`);

    // the server now syncs by itself, and the page says so; it can be turned off in one click
    const auto = page.getByTestId('auto-sync');
    await expect.poll(() => auto.textContent(), { timeout: 10_000 }).toContain('Auto-sync on');
    await expect.poll(() => auto.textContent(), { timeout: 10_000 }).toMatch(/every 5 min/);
    await screenshot(page, 'auto-sync-on');
    await auto.getByRole('button', { name: 'Turn off for every computer' }).click();
    // turning off waits for an automatic sync under way to finish (seconds on a busy machine)
    await expect.poll(() => auto.textContent(), { timeout: 30_000 }).toContain('Auto-sync off');
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).toContain('auto_sync: false');
  });

  it('shows a conflict side by side and resolves it with one click', async () => {
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = await firstScenario(machineA, workspaceId);
    await editScenario(machineA, workspaceId, scenarioId, { name: 'Named on A' });
    await new SyncService(machineA).push();
    await editScenario(machineB, workspaceId, scenarioId, { name: 'Named on B' });

    await page.getByTestId('sync-button').click();
    // ask-user leaves the clash to the person: the sync stops on it and points to Conflicts, without asking first
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('changed on two computers');
    await expect.poll(() => badge(workspaceId).textContent()).toContain('⚠ Conflict');
    await page.getByRole('link', { name: /Conflicts/ }).click();
    const detail = page.getByTestId('conflict-detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    // what differs leads, by name and value; the files are behind a disclosure
    expect((await detail.getByTestId('difference').textContent())?.replace(/\s+/g, ' ')).toContain(
      'Name is “Named on B” here and “Named on A” on the other computer',
    );
    await detail.getByText('Show both files as they are written').click();
    expect(await page.getByTestId('local-version').textContent()).toContain('Named on B');
    expect(await page.getByTestId('remote-version').textContent()).toContain('Named on A');
    await screenshot(page, 'conflicts');

    await page.getByTestId('use-remote').click();
    await expect.poll(() => page.getByTestId('no-conflicts').isVisible(), { timeout: 30_000 }).toBe(true);
    expect((await readScenario(machineB, workspaceId, scenarioId)).name).toBe('Named on A');
    // the losing version is kept, says why, and can be put back after a second click
    await expect.poll(() => page.getByRole('button', { name: 'Restore' }).count()).toBeGreaterThan(0);
    expect(await page.getByTestId('kept-because').allTextContents()).toContain('It lost a conflict.');
    await page.getByRole('button', { name: 'Restore' }).first().click();
    const confirm = page.getByRole('group', { name: /^Restore the scenario’s details of .+\?$/ });
    await expect.poll(() => confirm.isVisible()).toBe(true);
    expect((await readScenario(machineB, workspaceId, scenarioId)).name).toBe('Named on A');
    await screenshot(page, 'restore-confirm');
    await confirm.getByRole('button', { name: 'Restore this version' }).click();
    await expect.poll(async () => (await readScenario(machineB, workspaceId, scenarioId)).name).toBe('Named on B');
    // What the restore replaced is listed too, with its reason.
    await expect.poll(() => page.getByTestId('kept-because').allTextContents()).toContain('A restore replaced it.');
    await page.getByRole('link', { name: 'Workspaces' }).click();
    await page.getByTestId('sync-button').click();
    await expect.poll(() => badge(workspaceId).textContent(), { timeout: 15_000 }).toContain('Synced');
  });

  it('asks before moving this computer to another branch, naming the one the others use', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByTestId('settings-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByLabel('Branch').fill('HEAD');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.getByText('git keeps for itself').isVisible()).toBe(true);
    await dialog.getByLabel('Branch').fill('Main');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const confirm = dialog.getByTestId('branch-change');
    await expect.poll(() => confirm.isVisible()).toBe(true);
    expect(await confirm.textContent()).toContain('The other computers sync “main”');
    await screenshot(page, 'branch-change');
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).toContain('branch: main');
    await confirm.getByRole('button', { name: /Keep “main”/ }).click();
    expect(await dialog.getByLabel('Branch').inputValue()).toBe('main');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).toContain('branch: main');
  });

  it('excludes a workspace from sync from its card, and includes it again', async () => {
    const workspaceId = generated.workspaceIds[1];
    await card(workspaceId)
      .getByRole('button', { name: /Stop syncing/ })
      .click();
    await expect.poll(() => badge(workspaceId).textContent()).toContain('Not synced from this computer');
    // This computer's choice only: the shared settings, which the other computers follow, are unchanged.
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).not.toContain(`${workspaceId}:`);
    expect(await fsp.readFile(path.join(machineB, '.git', 'planalign-sync', 'selection.json'), 'utf8')).toContain(workspaceId);
    await screenshot(page, 'excluded');
    await card(workspaceId)
      .getByRole('button', { name: /Sync again/ })
      .click();
    await expect.poll(() => badge(workspaceId).textContent()).not.toContain('Not synced');
    expect(await fsp.readFile(path.join(machineB, '.git', 'planalign-sync', 'selection.json'), 'utf8')).not.toContain(workspaceId);
  });

  it('rebuilds results that are not on this computer, with live progress and a log', async () => {
    await configureSimulator(machineB);
    const missingLink = card(generated.workspaceIds[0]).getByRole('link', { name: /Results of \d+ runs? not on this computer/ });
    await expect.poll(() => missingLink.isVisible(), { timeout: 10_000 }).toBe(true);
    // the current run of the first scenario listed takes its time, so its progress can be watched
    const { missing } = (await (await fetch(`${api.url}/api/sync/regen`)).json()) as {
      missing: { workspace_id: string; scenario_id: string; run_id: string }[];
    };
    const first = missing[0];
    await setSimulatorBehaviour(path.join(machineB, first.workspace_id, 'scenarios', first.scenario_id, 'runs', first.run_id), 'slow');

    await missingLink.click();
    await expect.poll(() => page.getByTestId('missing-results').isVisible()).toBe(true);
    await page
      .getByTestId('missing-results')
      .getByRole('button', { name: /^Rebuild / })
      .first()
      .click();
    const running = page.locator('[data-testid="job"][data-job-status="running"]');
    await expect.poll(() => running.count(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(async () => Number((await running.locator('.job-status').textContent())?.match(/(\d+) %/)?.[1] ?? 0), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await screenshot(page, 'results');
    await expect.poll(() => page.locator('[data-testid="job"][data-job-status="succeeded"]').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('[data-testid="job"][data-job-status="running"], [data-testid="job"][data-job-status="queued"]').count(), { timeout: 30_000 })
      .toBe(0);
    await page.locator('[data-testid="job"]').first().getByRole('button', { name: 'Log' }).click();
    await expect.poll(() => page.getByTestId('job-log').textContent()).toContain('Simulating year');
    expect(existsSync(path.join(machineB, first.workspace_id, 'scenarios', first.scenario_id, 'runs', first.run_id, 'simulation.duckdb'))).toBe(true);
    await page.getByRole('link', { name: 'Workspaces' }).click();
  });

  it('asks for the access token of a server started with one, and keeps it out of lasting storage', async () => {
    const guarded = await startApiProcess({ root: machineB, env: { PLANALIGN_SYNC_API_TOKEN: 'dashboard-token-4821' } });
    const tab = await browser.newPage();
    try {
      await tab.goto(`${guarded.url}/`);
      await expect.poll(() => tab.getByText('This sync server is protected').isVisible()).toBe(true);
      await tab.getByLabel('Access token').fill('not-the-token');
      await tab.getByRole('button', { name: 'Continue' }).click();
      await expect.poll(() => tab.getByText('That access token is not the right one.').isVisible()).toBe(true);
      await tab.getByLabel('Access token').fill('dashboard-token-4821');
      await tab.getByRole('button', { name: 'Continue' }).click();
      await expect.poll(() => tab.getByTestId('workspace-card').count()).toBe(generated.workspaceIds.length + 1);
      expect(await tab.evaluate(() => JSON.stringify(localStorage))).not.toContain('dashboard-token-4821');
      expect(tab.url()).not.toContain('dashboard-token-4821');
    } finally {
      await tab.close();
      await guarded.stop();
    }
  });

  it('is usable from the keyboard and at a narrow width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await expect.poll(() => page.getByTestId('workspace-card').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'narrow');

    const focused = async () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    let reached = '';
    for (let step = 0; step < 10 && !reached.startsWith('Settings'); step += 1) {
      await page.keyboard.press('Tab');
      reached = await focused();
    }
    expect(reached).toBe('Settings');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('settings-dialog').isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('settings-dialog').isVisible()).toBe(false);
  });
});

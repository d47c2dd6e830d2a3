import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { configureSimulator } from '@planalign/sync-tools/simulator';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

/** Git's words, which a planner should not meet outside an "Advanced" or details area. */
const GIT_WORDS = /\b(commits?|committed|push(es|ed)?|pull request|origin|remotes?|merge[sd]?|rebase[sd]?|refs?)\b|\b(HEAD|SHA)\b/i;

/** The page's visible text, leaving out the areas marked as advanced and closed or open details. */
async function plainText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const hidden: [HTMLElement, string][] = [];
    for (const element of Array.from(document.querySelectorAll<HTMLElement>('[data-advanced], details'))) {
      hidden.push([element, element.style.display]);
      element.style.display = 'none';
    }
    const text = document.body.innerText;
    for (const [element, display] of hidden) element.style.display = display;
    return text;
  });
}

async function expectNoGitWords(page: Page, where: string): Promise<void> {
  const text = await plainText(page);
  const found = text.split('\n').filter((line) => GIT_WORDS.test(line) && !/^[a-z0-9.:-]+\/[^\s]*$/i.test(line.trim()));
  expect(found, `Git words on ${where}`).toEqual([]);
}

/**
 * The dashboard in a planner's words: conflicts by setting and value, the history by workspace
 * and scenario, versions by who and when, rebuilds by date and years, and no Git words outside
 * the advanced areas of any view.
 */
describe('the dashboard in a planner’s words', () => {
  let git: GitServer;
  let remote: string;
  let machineA: string;
  let machineB: string;
  let machineC: string;
  let api: ApiProcess;
  let apiC: ApiProcess;
  let browser: Browser;
  let page: Page;
  let workspace: string;
  let workspaceName: string;
  let scenario: string;
  let scenarioName: string;

  const configFile = (root: string) => path.join(root, workspace, 'scenarios', scenario, 'config.yaml');
  const setCola = async (root: string, value: string) => {
    const text = await fsp.readFile(configFile(root), 'utf8');
    await fsp.writeFile(configFile(root), text.replace(/cola_rate: [0-9.]+/, `cola_rate: ${value}`));
  };

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-words-'));
    git = await startGitServer();
    remote = await git.createRepo('words', { defaultBranch: 'main' });
    machineA = path.join(base, 'a', 'workspaces');
    machineB = path.join(base, 'b', 'workspaces');
    machineC = path.join(base, 'c', 'workspaces');
    await fsp.mkdir(machineC, { recursive: true });
    const generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    workspace = generated.workspaceIds[0];
    workspaceName = JSON.parse(await fsp.readFile(path.join(machineA, workspace, 'workspace.json'), 'utf8')).name;
    scenario = (await fsp.readdir(path.join(machineA, workspace, 'scenarios'))).sort()[0];
    scenarioName = JSON.parse(await fsp.readFile(path.join(machineA, workspace, 'scenarios', scenario, 'scenario.json'), 'utf8')).name;
    const a = new SyncService(machineA);
    await a.init({ remote });
    await a.push();
    const b = new SyncService(machineB);
    await b.init({ remote });
    // a set-up retried leaves the same line in the log again: the History says it once
    const journal = path.join(machineB, '.git', 'planalign-sync', 'journal.jsonl');
    const lines = (await fsp.readFile(journal, 'utf8')).trim().split('\n');
    const init = lines.find((line) => JSON.parse(line).operation === 'init')!;
    await fsp.appendFile(journal, `${init}\n${init}\n`);
    await b.configure({ conflict_strategy: 'ask-user' });
    api = await startApiProcess({ root: machineB });
    apiC = await startApiProcess({ root: machineC });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${api.url}/?refresh=1`);
    await page.getByTestId('workspace-card').first().waitFor({ timeout: 15_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await apiC?.stop();
    await git?.stop();
  });

  it('leads a conflict with the setting that differs, by name and value, with the files one click away', async () => {
    await setCola(machineA, '0.045');
    await new SyncService(machineA).push();
    await setCola(machineB, '0.025');
    await page.getByTestId('sync-button').click();
    // ask-user: the sync stops on the clash and points to Conflicts (the look before a sync is in safety.test.ts)
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('changed on two computers');
    await page.getByRole('link', { name: /Conflicts/ }).click();
    const detail = page.getByTestId('conflict-detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    expect(await detail.getByRole('heading').first().textContent()).toBe(`${scenarioName} in ${workspaceName}`);
    expect(await page.getByRole('tab').first().textContent()).toContain(scenarioName);
    const rows = detail.getByTestId('difference');
    expect(await rows.count()).toBe(1);
    expect((await rows.first().textContent())?.replace(/\s+/g, ' ').trim()).toBe(`${scenarioName}: COLA rate is 2.5 % here and 4.5 % on the other computer`);
    // the raw files wait behind a disclosure
    expect(await page.getByTestId('local-version').isVisible()).toBe(false);
    await expectNoGitWords(page, 'Conflicts');
    await screenshot(page, 'words-conflict');
    await detail.getByText('Show both files as they are written').click();
    await expect.poll(() => page.getByTestId('local-version').textContent()).toContain('cola_rate: 0.025');
    // the line after a marked one starts on its own line, at the box's left edge, not pushed out of view
    const box = (await page.getByTestId('local-version').boundingBox())!;
    const next = (await page.getByTestId('local-version').locator('span', { hasText: 'merit_budget' }).boundingBox())!;
    expect(next.x - box.x).toBeLessThan(20);
    expect(next.y).toBeLessThan(box.y + box.height);
    await screenshot(page, 'words-conflict-files');

    await page.getByTestId('use-remote').click();
    await expect.poll(() => page.getByTestId('no-conflicts').isVisible(), { timeout: 30_000 }).toBe(true);
    // "No conflicts" waits for the choice to be in place, and the notice says it went to every computer
    expect(await page.getByTestId('notice').textContent()).toContain('Done: every computer gets the version you chose.');
    expect(await fsp.readFile(configFile(machineB), 'utf8')).toContain('cola_rate: 0.045');
    const kept = page.getByTestId('backup').first();
    expect(await kept.textContent()).toContain(`${scenarioName} in ${workspaceName}`);
    expect(await kept.textContent()).toContain('the simulation settings');
  });

  it('tells the history by workspace, scenario and setting, links the version not kept, and says a set-up once', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    const history = page.getByTestId('history');
    await expect.poll(() => history.isVisible()).toBe(true);
    const conflicts = page.getByTestId('history-conflict');
    await expect.poll(() => conflicts.allTextContents()).toContainEqual(expect.stringContaining(`${scenarioName} in ${workspaceName}: COLA rate`));
    const settled = conflicts.filter({ hasText: 'kept (as you chose)' }).first();
    expect(await settled.textContent()).toContain(`${scenarioName} in ${workspaceName}: COLA rate, the other computer’s value kept (as you chose).`);
    const lines = await page.getByTestId('history-line').allTextContents();
    expect(lines.filter((line) => line.includes('Set up sync on this computer'))).toHaveLength(1);
    expect(lines.find((line) => line.includes('Set up sync'))).toContain('3 times in a row');
    await expectNoGitWords(page, 'History');
    await screenshot(page, 'words-history');

    await settled.getByRole('link', { name: 'See the version not kept' }).click();
    await expect.poll(() => page.locator('[data-testid="backup"].linked').count()).toBe(1);
    expect(await page.locator('[data-testid="backup"].linked').textContent()).toContain(scenarioName);
  });

  it('labels scenario versions by who saved them and when, with ids only as a detail', async () => {
    await page.goto(`${api.url}/?refresh=1#/workspaces/${encodeURIComponent(workspace)}`);
    const history = page.getByTestId('scenario-history');
    await expect.poll(() => history.isVisible(), { timeout: 15_000 }).toBe(true);
    await history.getByLabel('Scenario').selectOption(scenario);
    const versions = page.getByTestId('version');
    await expect.poll(() => versions.count(), { timeout: 15_000 }).toBeGreaterThan(1);
    const id = (await versions.last().getAttribute('data-version'))!;
    expect(await plainText(page)).not.toContain(id);
    await versions
      .last()
      .getByRole('button', { name: /^Compare with now: the version of .+$/ })
      .click();
    const diff = page.getByTestId('scenario-diff');
    await expect.poll(() => diff.isVisible()).toBe(true);
    expect(await diff.getByRole('heading').textContent()).toMatch(/^From the version .+ saved .+ to now$/);
    await expect.poll(() => diff.getByText('Show the exact text changes').isVisible()).toBe(true);
    expect(await diff.textContent()).toContain('COLA rate');
    await expectNoGitWords(page, 'workspace details');
    await screenshot(page, 'words-versions');
  });

  it('names rebuilds by date and years, and gives each group the years of all its runs', async () => {
    await configureSimulator(machineB);
    await page.getByRole('link', { name: 'Results' }).click();
    await expect.poll(() => page.getByTestId('missing-results').isVisible(), { timeout: 15_000 }).toBe(true);
    const { missing } = (await (await fetch(`${api.url}/api/sync/regen`)).json()) as {
      missing: { scenario_name: string; workspace_name: string; start_year: number; end_year: number }[];
    };
    for (const item of await page.getByTestId('missing-results').locator('li').all()) {
      const name = (await item.locator('strong').textContent())!;
      const where = (await item.locator('strong + .muted').textContent())!.replace(/^in /, '');
      const runs = missing.filter((m) => m.scenario_name === name && m.workspace_name === where);
      const first = Math.min(...runs.map((r) => r.start_year));
      const last = Math.max(...runs.map((r) => r.end_year));
      expect(await item.textContent()).toContain(first === last ? `${first}` : `${first}–${last}`);
    }
    await page.getByTestId('rebuild-all').click();
    await expect.poll(() => page.getByTestId('job').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const labels = await page.getByTestId('job-label').allTextContents();
    for (const label of labels) {
      expect(label).not.toMatch(/run [0-9a-f]{6,}/);
      expect(label).toMatch(/ · \d{4}–\d{4} · (earlier )?run of /);
    }
    await expectNoGitWords(page, 'Results');
    await screenshot(page, 'words-rebuilds');
  });

  it('says no Git words on any view, the settings and the import dialog outside their advanced areas', async () => {
    await page.goto(`${api.url}/?refresh=1`);
    await expect.poll(() => page.getByTestId('workspace-card').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expectNoGitWords(page, 'Workspaces');
    for (const view of ['Results', 'History', 'Conflicts', 'Health']) {
      await page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('link', { name: new RegExp(`^${view}`) })
        .click();
      await expect.poll(() => page.getByRole('heading', { level: 1, name: view }).isVisible()).toBe(true);
      await page.waitForTimeout(300);
      await expectNoGitWords(page, view);
    }
    await page.getByRole('button', { name: 'Check sync health' }).click();
    await expect.poll(() => page.getByTestId('health-findings').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expectNoGitWords(page, 'Health after a check');
    await screenshot(page, 'words-health');
    await page.getByRole('link', { name: 'Workspaces' }).click();
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => page.getByTestId('settings-dialog').isVisible()).toBe(true);
    await expectNoGitWords(page, 'Settings');
    await page.keyboard.press('Escape');
  });

  it('offers the shared copy’s workspaces to pick from when an import names none', async () => {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await tab.goto(`${apiC.url}/`);
      await tab.getByRole('button', { name: 'Import a shared workspace' }).click();
      const dialog = tab.getByTestId('import-dialog');
      await dialog.getByLabel('Sharing link or repository address').fill(remote);
      await dialog.getByRole('button', { name: 'Import' }).click();
      const choices = dialog.getByTestId('workspace-choices');
      await expect.poll(() => choices.isVisible(), { timeout: 30_000 }).toBe(true);
      expect(await choices.getByRole('radio').count()).toBe(2);
      expect(await dialog.textContent()).not.toContain('Pick one:');
      await screenshot(tab, 'words-import-choice');
      await choices.getByLabel(workspaceName).check();
      await dialog.getByRole('button', { name: 'Import' }).click();
      await expect.poll(() => tab.getByTestId('notice').first().textContent(), { timeout: 30_000 }).toContain(`“${workspaceName}” is on this computer now`);
    } finally {
      await tab.close();
    }
  });
  it('lets each setting changed on both computers keep its own side, and keeps what each changed elsewhere', async () => {
    const set = async (root: string, key: string, value: string) => {
      const text = await fsp.readFile(configFile(root), 'utf8');
      await fsp.writeFile(configFile(root), text.replace(new RegExp(`${key}: [0-9.]+`), `${key}: ${value}`));
    };
    const a = new SyncService(machineA);
    await a.pull();
    await set(machineA, 'cola_rate', '0.05');
    await set(machineA, 'merit_budget', '0.051');
    await set(machineA, 'target_growth_rate', '0.009');
    await a.push();
    await set(machineB, 'cola_rate', '0.03');
    await set(machineB, 'merit_budget', '0.035');
    await set(machineB, 'random_seed', '4242');
    await page.goto(`${api.url}/?refresh=1`);
    await page.getByTestId('sync-button').click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('changed on two computers');
    await page.getByRole('link', { name: /Conflicts/ }).click();
    const detail = page.getByTestId('conflict-detail');
    await expect.poll(() => detail.getByTestId('difference').count()).toBe(2);
    const keep = detail.getByTestId('use-chosen');
    expect(await keep.isDisabled()).toBe(true);
    await detail.getByRole('group', { name: 'Which COLA rate to keep' }).getByLabel('Keep 3 % (this computer)').check();
    expect(await keep.isDisabled()).toBe(true);
    await detail.getByRole('group', { name: 'Which Merit budget to keep' }).getByLabel('Keep 5.1 % (the other computer)').check();
    await expectNoGitWords(page, 'Conflicts, setting by setting');
    await screenshot(page, 'words-conflict-by-setting');
    await keep.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('no-conflicts').isVisible(), { timeout: 30_000 }).toBe(true);
    // the keyboard is not dropped to the page: focus is on the view's heading
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('conflicts-heading');
    expect(await page.getByTestId('notice').textContent()).toContain('Done: every computer gets the version you chose.');
    const kept = await fsp.readFile(configFile(machineB), 'utf8');
    for (const value of ['cola_rate: 0.03', 'merit_budget: 0.051', 'target_growth_rate: 0.009', 'random_seed: 4242']) expect(kept).toContain(value);
    // the other computer gets the same file with its next sync
    await a.pull();
    expect(await fsp.readFile(configFile(machineA), 'utf8')).toBe(kept);
    await page.getByRole('link', { name: 'History' }).click();
    await expect
      .poll(() => page.getByTestId('history-conflict').allTextContents())
      .toContainEqual(
        expect.stringContaining(`${scenarioName} in ${workspaceName}: COLA rate, Merit budget, each value kept as you chose, setting by setting.`),
      );
  });
});

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { SyncService } from '@planalign/sync-core';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { startFaultProxy, type FaultProxy } from '@planalign/sync-tools/fault-proxy';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { launchChromium, screenshot } from './browser.js';

/**
 * What goes wrong, as a benefits planner meets it: the shared copy offline, a wrong address, an
 * SSH address, a server that hangs, the sync service stopping. Each is said once, in plain
 * words, with a way out; and the page fits a phone.
 */
describe('errors in the dashboard, once, in plain words, with a way out', () => {
  let git: GitServer;
  let proxy: FaultProxy;
  let other: string;
  let root: string;
  let generated: GeneratedRoot;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;

  const syncButton = () => page.getByTestId('sync-button');
  /** What the page says below its header (the header names the shared copy's address on purpose). */
  const bodyText = async () => (await page.locator('main').textContent()) ?? '';
  const occurrences = async (text: string) => (await bodyText()).split(text).length - 1;
  /** Wholly inside the window, not cut off at its edges. */
  const inView = async (locator: Locator) => {
    const box = await locator.boundingBox();
    const size = page.viewportSize();
    return !!box && !!size && box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 0.5 && box.y + box.height <= size.height + 0.5;
  };

  beforeAll(async () => {
    const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-ui-errors-'));
    git = await startGitServer();
    const remote = await git.createRepo('errors', { defaultBranch: 'main' });
    proxy = await startFaultProxy(git.baseUrl);
    other = path.join(base, 'other', 'workspaces');
    root = path.join(base, 'this', 'workspaces');
    generated = await generateWorkspaces({ root: other, ...PRESETS.demo });
    await new SyncService(other).init({ remote });
    await new SyncService(other).push();
    // this computer reaches the shared copy through the proxy, which can refuse or hang
    await new SyncService(root).init({ remote: remote.replace(git.baseUrl, proxy.baseUrl) });
    api = await startApiProcess({ root, args: ['--no-pull-on-start'], env: { PLANALIGN_SYNC_STALL_TIMEOUT_MS: '15000' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${api.url}/?refresh=2`);
    await syncButton().waitFor({ timeout: 20_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await proxy?.stop();
    await git?.stop();
  });

  it('says once, in plain words, that the shared copy cannot be reached, and the share panel does not claim it is there', async () => {
    await proxy.refuse();
    await syncButton().click();
    const notice = page.getByTestId('notice');
    await expect.poll(() => notice.textContent(), { timeout: 30_000 }).toContain('Could not reach the shared copy.');
    await expect.poll(() => page.locator('.offline').count()).toBe(1);
    expect(await occurrences('Could not reach the shared copy.')).toBe(1);
    expect(await bodyText()).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|\(connection failed\)/);
    await screenshot(page, 'errors-offline-sync');

    // dismissed, the page still says it, once, from the state it read
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByTestId('offline-note').isVisible()).toBe(true);
    expect(await occurrences('Could not reach the shared copy.')).toBe(1);
    expect(await bodyText()).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    await screenshot(page, 'errors-offline');

    await page.goto(`${api.url}/?refresh=2#/workspaces/${generated.workspaceIds[0]}`);
    const share = page.getByTestId('share');
    await expect.poll(() => share.getByTestId('share-offline').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await share.textContent()).not.toContain('✓ On the remote');
    await screenshot(page, 'errors-share-offline');
    await proxy.resume();
    await page.goto(`${api.url}/?refresh=2`);
    await expect.poll(() => page.getByTestId('offline-note').count(), { timeout: 20_000 }).toBe(0);
  });

  it('says when automatic sync tries again offline as a time ahead, never one past', async () => {
    await proxy.refuse();
    const turnOn = await fetch(`${api.url}/api/sync/config`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auto_sync: true, auto_sync_interval_minutes: 5 }),
    });
    expect(turnOn.ok).toBe(true);
    // a change starts an automatic sync, which finds the shared copy offline
    const workspace = generated.workspaceIds[0];
    const scenario = (await fsp.readdir(path.join(root, workspace, 'scenarios'))).sort()[0];
    await editScenario(root, workspace, scenario, { description: 'changed while offline' });
    const auto = page.getByTestId('auto-sync');
    try {
      await expect.poll(() => auto.textContent(), { timeout: 60_000 }).toMatch(/Offline; trying again (shortly|in \d+ min)\./);
      expect(await auto.textContent()).not.toMatch(/ago|just now/);
      await screenshot(page, 'errors-auto-offline');
    } finally {
      await proxy.resume();
      await fetch(`${api.url}/api/sync/config`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ auto_sync: false }) });
    }
    await expect.poll(() => auto.textContent(), { timeout: 30_000 }).toContain('Auto-sync off');
  });

  it('tells an import address that cannot be reached from one that holds no shared workspace', async () => {
    await page.getByRole('button', { name: 'Import shared workspace' }).click();
    const dialog = page.getByTestId('import-dialog');
    const source = dialog.getByLabel('Sharing link or repository address');
    await source.fill('http://127.0.0.1:9/team/plans.git');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => dialog.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('That address could not be reached.');
    expect(await dialog.textContent()).not.toMatch(/sync later|ECONNREFUSED/);
    await screenshot(page, 'errors-import-unreachable');

    await source.fill(`${git.baseUrl}/nothing-here.git`);
    await dialog.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => dialog.getByTestId('notice').textContent(), { timeout: 30_000 }).toContain('There is no shared workspace at that address.');
    expect(await dialog.textContent()).not.toMatch(/internet connection|sync later/);
    await screenshot(page, 'errors-import-not-shared');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('says at entry what an SSH address needs, keeps Save in view, and confirms a save', async () => {
    await page.setViewportSize({ width: 390, height: 640 });
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByTestId('settings-dialog');
    const address = dialog.getByLabel('Repository address');
    await expect.poll(() => address.inputValue()).toContain(proxy.baseUrl);
    const kept = await address.inputValue();
    await address.fill('git@github.com:benefits/plans.git');
    await expect.poll(() => dialog.getByTestId('remote-note').textContent()).toContain('SSH key');
    expect(await dialog.getByTestId('remote-note').textContent()).toContain('https://github.com/benefits/plans.git');
    await screenshot(page, 'errors-ssh-address');

    await address.fill('not an address');
    await dialog.getByLabel('Branch').fill('HEAD');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.locator('.field-error').count()).toBe(2);
    expect(await inView(dialog.getByRole('button', { name: 'Save' }))).toBe(true);
    await screenshot(page, 'errors-settings-save-in-view');

    // an address nobody answers at is about the address, not about being offline
    await dialog.getByLabel('Branch').fill('main');
    await address.fill('http://127.0.0.1:1/nope.git');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.textContent(), { timeout: 20_000 }).toContain('That address could not be reached.');
    expect(await dialog.textContent()).not.toContain('offline. Your work');
    // one at which the server has no repository
    await address.fill(`${proxy.baseUrl}/no-such-repository.git`);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.textContent(), { timeout: 20_000 }).toContain('No shared copy was found at that address.');
    expect(await dialog.textContent()).not.toContain('under Settings');

    await address.fill(kept);
    await dialog.getByRole('radio', { name: /Ask me/ }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('Settings saved.');
    await screenshot(page, 'errors-settings-saved');
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('clears finished rebuilds from the list', async () => {
    // without PlanAlign on this computer every rebuild fails: finished jobs to clear
    const queued = await fetch(`${api.url}/api/sync/regen`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"all_missing":true}' });
    expect(queued.ok).toBe(true);
    await page.goto(`${api.url}/?refresh=2#/results`);
    const jobs = page.getByTestId('job');
    await expect.poll(() => jobs.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-job-status="queued"], [data-job-status="running"]').count(), { timeout: 60_000 }).toBe(0);
    // why they failed, in a planner's words: no PATH, no variable names
    const said = (await page.getByTestId('job').first().textContent()) ?? '';
    expect(said).toContain('PlanAlign is not installed on this computer, so results cannot be rebuilt here.');
    expect(said).not.toMatch(/PATH|PLANALIGN_CLI|\.yaml/);
    const clear = page.getByTestId('clear-finished');
    await expect.poll(() => clear.isVisible()).toBe(true);
    await screenshot(page, 'errors-finished-jobs');
    await clear.click();
    await expect.poll(() => jobs.count()).toBe(0);
    await page.reload();
    await expect.poll(() => page.getByTestId('missing-results').isVisible()).toBe(true);
    expect(await jobs.count()).toBe(0);
  });

  it('fits a phone: every tab with its count, and the job actions', async () => {
    await fetch(`${api.url}/api/sync/regen`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"all_missing":true}' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${api.url}/?refresh=2#/results`);
    await expect.poll(() => page.getByTestId('job').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    for (const tab of await page.getByRole('navigation', { name: 'Views' }).getByRole('link').all()) expect(await inView(tab)).toBe(true);
    await expect.poll(() => page.locator('.tabs .count').count()).toBeGreaterThan(0);
    for (const count of await page.locator('.tabs .count').all()) expect(await inView(count)).toBe(true);
    await expect.poll(() => page.locator('[data-job-status="queued"], [data-job-status="running"]').count(), { timeout: 60_000 }).toBe(0);
    for (const log of await page.getByTestId('job').getByRole('button', { name: 'Log' }).all()) {
      // the list refreshes every 2 s and may move under a scroll: scrolled to again until it stays in view
      await expect
        .poll(async () => {
          await log.scrollIntoViewIfNeeded();
          return inView(log);
        })
        .toBe(true);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'errors-narrow-results');
    await page.getByTestId('clear-finished').click();
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('shows how long an unanswered sync has waited, and Cancel stops waiting, saying the sync may still finish', async () => {
    await page.goto(`${api.url}/?refresh=2`);
    await syncButton().waitFor();
    proxy.setFault({ kind: 'stall' });
    await syncButton().click();
    const progress = page.getByTestId('sync-progress');
    await expect.poll(() => progress.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(async () => Number((await progress.getByTestId('elapsed').textContent())?.match(/(\d+) s/)?.[1] ?? 0), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    await screenshot(page, 'errors-waiting');
    await progress.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('Stopped waiting; the sync may still finish in the background.');
    await expect.poll(() => progress.count()).toBe(0);
    await screenshot(page, 'errors-stopped-waiting');
    // the stalled request ends; the server's sync finishes (here: fails) by itself
    proxy.setFault({ kind: 'none' });
    await proxy.refuse();
    await proxy.resume();
    await expect.poll(() => syncButton().isEnabled(), { timeout: 30_000 }).toBe(true);
  });

  it('notices at once that the sync service stopped: one banner, and the page greyed out', async () => {
    await page.goto(`${api.url}/?refresh=600`);
    await syncButton().waitFor();
    await expect.poll(() => page.getByTestId('auto-sync').isVisible()).toBe(true);
    await api.stop();
    // the event stream closing says so, long before the next read of the state
    await expect.poll(() => page.locator('[data-stale]').count(), { timeout: 8_000 }).toBe(1);
    await expect.poll(() => occurrences('The sync service is not running.')).toBe(1);
    expect(await syncButton().isDisabled()).toBe(true);
    await screenshot(page, 'errors-service-stopped');
    await syncButton().click({ force: true });
    expect(await occurrences('The sync service is not running.')).toBe(1);
  });
});

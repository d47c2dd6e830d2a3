import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot } from './browser.js';

const DEMO = fileURLToPath(new URL('../../../tools/dist/bin/demo.js', import.meta.url));

/** `npm start`: the walkthrough through the real CLI, then machine B's dashboard until stopped. */
describe('npm start', () => {
  let browser: Browser | undefined;
  let demo: ChildProcess | undefined;
  // A failed expectation must not leave the demo (and its dashboard server) running.
  afterAll(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      const gone = new Promise((resolve) => demo!.once('exit', resolve));
      demo.kill('SIGTERM');
      const stubborn = setTimeout(() => demo!.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(stubborn);
    }
  });

  it('walks through two machines, then serves a dashboard with a change waiting on each side, and cleans up on SIGTERM', async () => {
    demo = spawn(process.execPath, [DEMO, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    demo.stdout!.on('data', (chunk) => (output += chunk));
    demo.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', resolve));
    await expect.poll(() => /dashboard: (http\S+)\//.test(output), { timeout: 60_000, interval: 200 }).toBe(true);
    const url = /dashboard: (http\S+)\//.exec(output)![1];
    const base = /planalign-sync demo in (\S+)/.exec(output)![1];
    expect(output).toContain('$ planalign --root machine-b/workspaces sync pull');
    expect(output).toMatch(/Synced 2 workspaces/);

    const status = (await (await fetch(`${url}/api/sync/status`)).json()) as { workspaces: { state: string }[] };
    expect(status.workspaces.map((w) => w.state).sort()).toEqual(['pull_available', 'push_needed']);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 520 } });
    await page.goto(`${url}/`);
    await expect.poll(() => page.getByText('↓ Changes to get').isVisible()).toBe(true);
    await expect.poll(() => page.getByText('↑ 1 change').isVisible()).toBe(true);
    await screenshot(page, 'demo-dashboard');

    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(base)).toBe(false);
  });
});

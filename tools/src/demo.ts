import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiProcess } from './api-process.js';
import { startGitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, generateWorkspaces, PRESETS } from './workspace-generator.js';

/**
 * The embedded demo behind `npm start`: sample workspaces on "machine A", a loopback Git
 * remote, and "machine B" getting them back — all through the real `planalign` command, in a
 * temporary folder, with no account and no network. Then machine B's dashboard is served
 * until Ctrl-C, with one change waiting on each side. Its command line is `src/bin/demo.ts`.
 */
const CLI = fileURLToPath(new URL('../../packages/cli/bin/planalign.cjs', import.meta.url));

/** Runs the real CLI in a child process; asynchronously, since the Git server lives in this process. */
function planalign(root: string, ...args: string[]): Promise<string> {
  const shown = `planalign --root ${path.basename(path.dirname(root))}/workspaces ${args.join(' ')}`;
  process.stdout.write(`\n$ ${shown}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--root', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`planalign ${args.join(' ')} exited with ${code}`));
    });
  });
}

/** Serves machine B's dashboard (on `port`, or any free one when it is taken) until Ctrl-C or SIGTERM. */
async function serveDashboard(machineB: string, port: number): Promise<void> {
  // Without the usual pull on start, so the change from machine A waits for the Sync button.
  const args = ['--no-pull-on-start'];
  const api = await startApiProcess({ root: machineB, port, args }).catch(() =>
    // the usual port is taken (another demo, or Studio): any free one will do
    startApiProcess({ root: machineB, port: 0, args }),
  );
  process.stdout.write(
    `\nMachine B's dashboard: ${api.url}/\n` +
      `One workspace has a change from machine A to pull (↓), another an edit made on B to push (↑).\n` +
      `Press Sync in the dashboard to settle both. Ctrl-C stops the demo.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    api.child.once('exit', resolve);
  });
  await api.stop();
}

export interface DemoOptions {
  /** the dashboard's port; 0: any free one */
  port: number;
  /** false: stop after the walkthrough */
  dashboard: boolean;
  /** keep the temporary folder afterwards */
  keep: boolean;
}

/** The walkthrough, then (with `dashboard`) machine B's dashboard until Ctrl-C or SIGTERM. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { keep, dashboard } = options;
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-sync-demo-'));
  const machineA = path.join(base, 'machine-a', 'workspaces');
  const machineB = path.join(base, 'machine-b', 'workspaces');
  const server = await startGitServer({ projectRoot: path.join(base, 'git-server') });
  try {
    const url = await server.createRepo('planalign-workspaces', { defaultBranch: 'main' });
    const generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    process.stdout.write(
      `planalign-sync demo in ${base}\n` +
        `Machine A has ${generated.workspaces} workspaces, ${generated.scenarios} scenarios and ${generated.runs} runs ` +
        `(with their large simulation.duckdb files, which never leave the machine).\n` +
        `The Git remote is a loopback server: ${url}\n`,
    );
    await planalign(machineA, 'sync', 'init', '--remote', url);
    await planalign(machineA, 'sync', 'push');
    await planalign(machineB, 'sync', 'init', '--remote', url);
    await planalign(machineB, 'sync', 'status');

    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    await addRun(machineA, workspaceId, scenarioId, { status: 'completed' });
    process.stdout.write('\n# A simulation finishes on machine A: a new run appears.\n');
    await planalign(machineA, 'sync', 'push');
    await planalign(machineB, 'sync', 'status');
    await planalign(machineB, 'sync', 'pull');
    await planalign(machineB, 'sync', 'log');

    if (dashboard) {
      const [first, second] = generated.workspaceIds;
      const firstScenario = (await fsp.readdir(path.join(machineB, first, 'scenarios')))[0];
      await editScenario(machineB, first, firstScenario, { description: 'Edited on machine B' });
      const secondScenario = (await fsp.readdir(path.join(machineA, second, 'scenarios')))[0];
      await editScenario(machineA, second, secondScenario, { description: 'Edited on machine A' });
      await planalign(machineA, 'sync', 'push', '-m', 'Edit a scenario on machine A');
      await serveDashboard(machineB, options.port);
    }
    process.stdout.write(`\nDone. ${keep ? `Everything is kept in ${base}.` : 'Run with -- --keep to keep the folders.'}\n`);
  } finally {
    await server.stop();
    if (!keep) await fsp.rm(base, { recursive: true, force: true });
  }
}

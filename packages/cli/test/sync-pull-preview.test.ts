import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { nativeGit, readJson, runCli, runJson, twoMachines } from './harness.js';

/** Every byte of a root that a pull may change: its files (the repository aside), the index and the branch. */
async function rootSnapshot(root: string): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  for (const entry of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, full);
    if (relative === '.git' || relative.startsWith(`.git${path.sep}`)) continue;
    snapshot.set(relative, entry.isFile() ? (await fsp.readFile(full)).toString('base64') : entry.isDirectory() ? 'folder' : 'other');
  }
  snapshot.set('.git/index', (await fsp.readFile(path.join(root, '.git', 'index'))).toString('base64'));
  snapshot.set('HEAD', nativeGit(root, ['rev-parse', 'HEAD']).stdout);
  return snapshot;
}

describe('sync pull --dry-run', () => {
  let server: GitServer;
  let url: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;

  beforeAll(async () => {
    ({ server, url, machineA, machineB, generated } = await twoMachines('pull-preview'));
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('tells what a pull would bring and what would conflict, changing nothing but the remote-tracking ref', async () => {
    const workspace = generated.workspaceIds[0];
    const [first, second] = (await fsp.readdir(path.join(machineA, workspace, 'scenarios'))).sort();
    const scenarioName = async (root: string, id: string) => (await readJson(path.join(root, workspace, 'scenarios', id, 'scenario.json'))).name;
    const secondName = await scenarioName(machineA, second);
    // A: renames the first scenario and adds a run to the second, and shares that.
    await editScenario(machineA, workspace, first, { name: 'Renamed on A' });
    const run = await addRun(machineA, workspace, second, { status: 'completed' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const remoteHead = nativeGit(server.repoPath('pull-preview'), ['rev-parse', 'main']).stdout.trim();
    // B, later and not yet recorded: renames the same scenario otherwise.
    await editScenario(machineB, workspace, first, { name: 'Renamed on B' });

    const before = await rootSnapshot(machineB);
    const preview = await runJson(['--root', machineB, 'sync', 'pull', '--dry-run']);
    expect(preview.code).toBe(0);
    expect(await rootSnapshot(machineB)).toEqual(before);
    // The one thing that moved: where this computer knows origin's branch to be.
    expect(nativeGit(machineB, ['rev-parse', 'refs/remotes/origin/main']).stdout.trim()).toBe(remoteHead);

    expect(preview.body).toMatchObject({ up_to_date: false, local_changes: 1, other_files: 0, backed_up_before_removal: [] });
    expect(preview.body.workspaces).toEqual([
      expect.objectContaining({ id: workspace, change: 'changed', scenarios: { added: [], changed: [secondName], removed: [] } }),
    ]);
    expect(preview.body.workspaces[0].runs.added).toBeGreaterThan(0);
    expect(preview.body.conflicts).toEqual([
      {
        path: `${workspace}/scenarios/${first}/scenario.json`,
        label: expect.stringContaining('scenario.json'),
        keys: [{ key: 'name', local: 'Renamed on B', remote: 'Renamed on A' }],
        outcomes: { 'last-write-wins': 'local', 'ask-user': 'ask', 'keep-local': 'local', 'keep-remote': 'remote' },
        strategy: 'last-write-wins',
      },
    ]);
    const text = await runCli(['--root', machineB, 'sync', 'pull', '--dry-run']);
    expect(text.stdout).toMatch(/Nothing was changed here/);
    expect(text.stdout).toMatch(/name: "Renamed on B" here, "Renamed on A" on the remote/);
    expect(await rootSnapshot(machineB)).toEqual(before);

    // The pull then does what the preview said.
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    expect(await scenarioName(machineB, first)).toBe('Renamed on B');
    expect(await fsp.readdir(path.join(machineB, workspace, 'scenarios', second, 'runs'))).toContain(run.runId);
  });

  it('says so when there is nothing to pull, and refuses a team remote', async () => {
    const preview = await runJson(['--root', machineB, 'sync', 'pull', '--dry-run']);
    expect(preview.body).toMatchObject({ up_to_date: true, workspaces: [], conflicts: [], message: 'Already up to date.' });
    const refused = await runCli(['--root', machineB, 'sync', 'pull', '--dry-run', '--remote', 'team']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--dry-run');
  });
});

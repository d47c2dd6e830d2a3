import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addRun, editScenario } from '@planalign/sync-tools/workspace-generator';
import { nativeGit, readJson, runCli, runJson, syncedMachines } from './harness.js';

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
  const machines = syncedMachines('pull-preview');

  it('tells what a pull would bring and what would conflict, changing nothing but the remote-tracking ref', async () => {
    const workspace = machines.generated.workspaceIds[0];
    const [first, second] = (await fsp.readdir(path.join(machines.machineA, workspace, 'scenarios'))).sort();
    const scenarioName = async (root: string, id: string) => (await readJson(path.join(root, workspace, 'scenarios', id, 'scenario.json'))).name;
    const secondName = await scenarioName(machines.machineA, second);
    // A: renames the first scenario and adds a run to the second, and shares that.
    await editScenario(machines.machineA, workspace, first, { name: 'Renamed on A' });
    const run = await addRun(machines.machineA, workspace, second, { status: 'completed' });
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    const remoteHead = nativeGit(machines.repo, ['rev-parse', 'main']).stdout.trim();
    // B, later and not yet recorded: renames the same scenario otherwise.
    await editScenario(machines.machineB, workspace, first, { name: 'Renamed on B' });

    const before = await rootSnapshot(machines.machineB);
    const preview = await runJson(['--root', machines.machineB, 'sync', 'pull', '--dry-run']);
    expect(preview.code).toBe(0);
    expect(await rootSnapshot(machines.machineB)).toEqual(before);
    // The one thing that moved: where this computer knows origin's branch to be.
    expect(nativeGit(machines.machineB, ['rev-parse', 'refs/remotes/origin/main']).stdout.trim()).toBe(remoteHead);

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
    const text = await runCli(['--root', machines.machineB, 'sync', 'pull', '--dry-run']);
    expect(text.stdout).toMatch(/Nothing was changed here/);
    expect(text.stdout).toMatch(/name: "Renamed on B" here, "Renamed on A" on the remote/);
    expect(await rootSnapshot(machines.machineB)).toEqual(before);

    // The pull then does what the preview said.
    expect((await runCli(['--root', machines.machineB, 'sync', 'pull'])).code).toBe(0);
    expect(await scenarioName(machines.machineB, first)).toBe('Renamed on B');
    expect(await fsp.readdir(path.join(machines.machineB, workspace, 'scenarios', second, 'runs'))).toContain(run.runId);
  });

  it('says so when there is nothing to pull, and refuses a team remote', async () => {
    const preview = await runJson(['--root', machines.machineB, 'sync', 'pull', '--dry-run']);
    expect(preview.body).toMatchObject({ up_to_date: true, workspaces: [], conflicts: [], message: 'Already up to date.' });
    const refused = await runCli(['--root', machines.machineB, 'sync', 'pull', '--dry-run', '--remote', 'team']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--dry-run');
  });
  it('a pull whose only news is a file this computer changed later says nothing would change, not that all is up to date', async () => {
    const workspace = machines.generated.workspaceIds[0];
    const [first] = (await fsp.readdir(path.join(machines.machineA, workspace, 'scenarios'))).sort();
    expect((await runCli(['--root', machines.machineB, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machines.machineA, 'sync', 'pull'])).code).toBe(0);
    await editScenario(machines.machineA, workspace, first, { description: 'from A' });
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    // B's edit of the same setting comes later: last-write-wins keeps it
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await editScenario(machines.machineB, workspace, first, { description: 'from B' });
    const preview = await runJson(['--root', machines.machineB, 'sync', 'pull', '--dry-run']);
    expect(preview.body).toMatchObject({
      up_to_date: true,
      workspaces: [],
      conflicts: [expect.objectContaining({ keys: [{ key: 'description', local: 'from B', remote: 'from A' }] })],
    });
    expect(preview.body.message).toBe('Nothing here would change with the conflict setting in use, though 1 file changed both here and on the remote.');
    expect((await runCli(['--root', machines.machineB, 'sync', 'pull', '--dry-run'])).stdout).not.toContain('Already up to date');
    // asked to stop at conflicts, the pull has something to settle: not up to date
    const asked = await runJson(['--root', machines.machineB, 'sync', 'pull', '--dry-run', '--strategy', 'ask-user']);
    expect(asked.body).toMatchObject({ up_to_date: false, workspaces: [], conflicts: [expect.objectContaining({ strategy: 'ask-user' })] });
    expect(asked.body.message).toBe('A pull would stop and ask which version to keep of 1 file changed both here and on the remote.');
  });
});

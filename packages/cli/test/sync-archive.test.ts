import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { editScenario } from '@planalign/sync-tools/workspace-generator';
import { expectFsckClean, gitAsync, readJson, remoteFiles, runCli, runJson, syncedTree, tempDir, twoMachines } from './harness.js';

/** A workspace's synced files under a root, path → bytes as base64 (compared byte for byte). */
async function workspaceBytes(root: string, workspace: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of (await syncedTree(root)).keys()) {
    if (file.startsWith(`${workspace}/`)) files[file] = (await fsp.readFile(path.join(root, file))).toString('base64');
  }
  return files;
}

/**
 * `sync archive` and `sync unarchive` through the real binary on two machines, with native git
 * as a third client that changes the workspace just before it is archived and reads the
 * archive back from the remote.
 */
describe('archiving a workspace from the command line', () => {
  let server: GitServer;
  let url: string;
  let repo: string;
  let machineA: string;
  let machineB: string;
  let workspace: string;
  let name: string;
  let nativeEdit: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    let generated;
    ({ server, url, machineA, machineB, generated } = await twoMachines('archive'));
    repo = server.repoPath('archive');
    workspace = generated.workspaceIds[0];
    name = (await readJson(path.join(machineA, workspace, 'workspace.json'))).name;
    for (const [root, command] of [
      [machineA, 'init'],
      [machineA, 'push'],
      [machineB, 'init'],
    ]) {
      const run = await runCli(['--root', root, 'sync', command, ...(command === 'init' ? ['--remote', url] : [])]);
      expect(run.code, run.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('archives by name after merging what native git pushed, keeping the history on the remote only', async () => {
    // Native git changes the workspace last: the archive must hold that change.
    const clone = path.join(await tempDir('archive-native'), 'clone');
    await gitAsync(path.dirname(clone), ['clone', '--quiet', url, clone]);
    const scenario = (await fsp.readdir(path.join(clone, workspace, 'scenarios'))).sort()[0];
    const file = `${workspace}/scenarios/${scenario}/scenario.json`;
    const json = await readJson(path.join(clone, file));
    nativeEdit = `${JSON.stringify({ ...json, description: 'edited with native git' }, null, 2)}\n`;
    await fsp.writeFile(path.join(clone, file), nativeEdit);
    await gitAsync(clone, ['-c', 'user.name=Native', '-c', 'user.email=native@example.com', 'commit', '--quiet', '-am', 'Edit with native git']);
    await gitAsync(clone, ['push', '--quiet', 'origin', 'main']);

    const archived = await runJson(['--root', machineA, 'sync', 'archive', name]);
    expect(archived.code, archived.stderr).toBe(0);
    expect(archived.body).toMatchObject({ id: workspace, name, archived: true, ref: `refs/planalign/archive/${workspace}` });
    expect(existsSync(path.join(machineA, workspace, 'workspace.json'))).toBe(false);
    expect(remoteFiles(repo).some((f) => f.startsWith(`${workspace}/`))).toBe(false);
    expectFsckClean(repo);

    // Native git: the archive is on the remote but outside what a clone or fetch takes.
    await gitAsync(clone, ['pull', '--quiet', '--no-rebase', 'origin', 'main']);
    expect(existsSync(path.join(clone, workspace))).toBe(false);
    expect(await gitAsync(clone, ['for-each-ref', '--format=%(refname)', 'refs/planalign', 'refs/remotes'])).not.toContain('planalign/archive');
    await gitAsync(clone, ['fetch', '--quiet', 'origin', `refs/planalign/archive/${workspace}`]);
    expect(await gitAsync(clone, ['show', `FETCH_HEAD:${file}`])).toBe(nativeEdit);
    before = await workspaceBytes(machineB, workspace);
    before[file] = Buffer.from(nativeEdit).toString('base64');

    const text = await runCli(['--root', machineB, 'sync', 'archived']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Archived workspaces (1):');
    expect(text.stdout).toMatch(new RegExp(`${name} +\\d+ scenarios, \\d+ runs +archived \\d{4}-\\d\\d-\\d\\d`));
    expect((await runJson(['--root', machineB, 'sync', 'archive', '--list'])).body.archived).toEqual([expect.objectContaining({ id: workspace, name })]);
  });

  it('the other machine loses the folder on its next pull, keeping its own change in a backup', async () => {
    const scenario = (await fsp.readdir(path.join(machineB, workspace, 'scenarios'))).sort()[1];
    await editScenario(machineB, workspace, scenario, { description: 'B: not synced before the archive' });
    const pull = await runCli(['--root', machineB, 'sync', 'pull']);
    expect(pull.code, pull.stderr).toBe(0);
    expect(existsSync(path.join(machineB, workspace, 'workspace.json'))).toBe(false);
    const conflicts = await runJson(['--root', machineB, 'sync', 'conflicts']);
    expect(conflicts.body.past).toEqual([
      expect.objectContaining({ path: `${workspace}/scenarios/${scenario}/scenario.json`, side: 'local', strategy: 'workspace-removed' }),
    ]);
  });

  it('brings it back from the other machine; the first gets it byte for byte; unknown names say where to look', async () => {
    const unknown = await runCli(['--root', machineB, 'sync', 'unarchive', 'No Such Workspace']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("See them with 'planalign sync archived'.");

    const back = await runJson(['--root', machineB, 'sync', 'unarchive', workspace]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.body).toMatchObject({ id: workspace, archived: false });
    expect(await workspaceBytes(machineB, workspace)).toEqual(before);
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect(await workspaceBytes(machineA, workspace)).toEqual(before);
    expect((await runJson(['--root', machineA, 'sync', 'archived'])).body).toMatchObject({ archived: [], remote_reachable: true });
    expect(remoteFiles(repo).some((f) => f === `${workspace}/workspace.json`)).toBe(true);
    expectFsckClean(repo);
  });
});

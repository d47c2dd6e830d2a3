import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings, writeSettings } from '@planalign/sync-core';
import { editScenario } from '@planalign/sync-tools/workspace-generator';
import { expectFsckClean, nativeGit, readJson, remoteFiles, remoteHead, runCli, runJson, syncedMachines, tempDir } from './harness.js';

const workspaceFolders = async (root: string) => (await fsp.readdir(root)).filter((name) => !name.startsWith('.'));

/** Deletions that would spread to every computer wait for a person; a pull keeps this computer's edits to a removed workspace. */
describe('the delete guard', () => {
  const machines = syncedMachines('delete-guard');

  it('stops a push from an emptied root before anything leaves, names what would go, and sends it only when allowed', async () => {
    const before = remoteHead(machines.repo);
    const emptied = path.join(await tempDir('emptied'), 'workspaces');
    await fsp.cp(machines.machineA, emptied, { recursive: true });
    for (const folder of await workspaceFolders(emptied)) await fsp.rm(path.join(emptied, folder), { recursive: true });

    const committed = nativeGit(emptied, ['rev-parse', 'HEAD']).stdout;
    const refused = await runCli(['--root', emptied, 'sync', 'push']);
    expect(refused.code).toBe(9);
    // Not even committed here: files put back leave no trace in the history.
    expect(nativeGit(emptied, ['rev-parse', 'HEAD']).stdout).toBe(committed);
    expect(refused.stderr).toContain(`"${(await readJson(path.join(machines.machineA, machines.generated.workspaceIds[0], 'workspace.json'))).name}"`);
    expect(refused.stderr).toMatch(/Nothing was sent/);
    expect(refused.stderr).toContain('--allow-delete');
    expect(remoteHead(machines.repo)).toBe(before);

    const json = await runJson(['--root', emptied, 'sync', 'push']);
    expect(json.code).toBe(9);
    expect(json.body.error).toMatchObject({ code: 'deletions_held', exit_code: 9, next: { action: 'allow_delete' }, max_delete_percent: 50 });
    expect(json.body.error.percent).toBeGreaterThan(90);
    expect(json.body.error.workspaces.map((w: { id: string }) => w.id).sort()).toEqual([...machines.generated.workspaceIds].sort());
    expect(remoteHead(machines.repo)).toBe(before);
    expectFsckClean(machines.repo);
  });

  it('stops a push from a wrong --root: a copy of the set-up without the workspaces', async () => {
    const before = remoteHead(machines.repo);
    const wrong = path.join(await tempDir('wrong-root'), 'workspaces');
    await fsp.mkdir(wrong, { recursive: true });
    await fsp.cp(path.join(machines.machineA, '.git'), path.join(wrong, '.git'), { recursive: true });
    await fsp.copyFile(path.join(machines.machineA, '.planalign-sync.yaml'), path.join(wrong, '.planalign-sync.yaml'));
    const refused = await runCli(['--root', wrong, 'sync', 'push']);
    expect(refused.code).toBe(9);
    expect(remoteHead(machines.repo)).toBe(before);
    expect(remoteFiles(machines.repo).filter((file) => file.startsWith(machines.generated.workspaceIds[0]))).not.toEqual([]);
  });

  it('holds a push that would empty a workspace whose workspace.json came back in a pull', async () => {
    const { machineA, machineB } = machines;
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    const workspace = machines.generated.workspaceIds[1];
    const away = path.join(await tempDir('moved-away'), workspace);
    await fsp.rename(path.join(machineB, workspace), away);
    // Another computer changes that workspace's own file meanwhile: the pull brings it back alone.
    const file = path.join(machineA, workspace, 'workspace.json');
    await fsp.writeFile(file, JSON.stringify({ ...(await readJson(file)), description: 'edited on A' }, null, 2));
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    const before = remoteHead(machines.repo);
    const refused = await runJson(['--root', machineB, 'sync', 'push']);
    expect(refused.code).toBe(9);
    expect(refused.body.error.workspaces.map((w: { id: string }) => w.id)).toEqual([workspace]);
    expect(remoteHead(machines.repo)).toBe(before);
    expect(remoteFiles(machines.repo).filter((f) => f.startsWith(`${workspace}/scenarios/`))).not.toEqual([]);
    // Put back, nothing is lost and the push goes.
    await fsp.rm(path.join(machineB, workspace), { recursive: true, force: true });
    await fsp.rename(away, path.join(machineB, workspace));
    await fsp.writeFile(path.join(machineB, workspace, 'workspace.json'), await fsp.readFile(file));
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    expect(remoteFiles(machines.repo).filter((f) => f.startsWith(`${workspace}/scenarios/`))).not.toEqual([]);
    expectFsckClean(machines.repo);
  });

  it('follows max_delete_percent for deletions inside workspaces', async () => {
    const workspace = machines.generated.workspaceIds[0];
    const scenarios = (await fsp.readdir(path.join(machines.machineA, workspace, 'scenarios'))).sort();
    const settings = (await readSettings(machines.machineA))!;
    await writeSettings(machines.machineA, { ...settings.sync, max_delete_percent: 5 });
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    const before = remoteHead(machines.repo);
    await fsp.rm(path.join(machines.machineA, workspace, 'scenarios', scenarios[0]), { recursive: true });
    await fsp.rm(path.join(machines.machineA, workspace, 'scenarios', scenarios[1]), { recursive: true });
    const refused = await runJson(['--root', machines.machineA, 'sync', 'push']);
    expect(refused.code).toBe(9);
    expect(refused.body.error).toMatchObject({ code: 'deletions_held', workspaces: [], max_delete_percent: 5 });
    // What would go is named: the two scenarios, with their workspace.
    expect(refused.body.error.scenarios).toHaveLength(2);
    expect(refused.body.error.message).toMatch(/the scenarios ".+" \(in ".+"\), ".+" \(in ".+"\)/);
    expect(refused.body.error.percent).toBeGreaterThan(5);
    expect(remoteHead(machines.repo)).toBe(before);

    const allowed = await runCli(['--root', machines.machineA, 'sync', 'push', '--allow-delete']);
    expect(allowed.code).toBe(0);
    expect(remoteFiles(machines.repo).some((file) => file.startsWith(`${workspace}/scenarios/${scenarios[0]}/`))).toBe(false);
    await writeSettings(machines.machineA, { ...settings.sync, max_delete_percent: 50 });
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    expectFsckClean(machines.repo);
  });

  it("a pull that removes a workspace this computer changed keeps this computer's version in a backup first", async () => {
    expect((await runCli(['--root', machines.machineB, 'sync', 'pull'])).code).toBe(0);
    const workspace = machines.generated.workspaceIds[1];
    const scenario = (await fsp.readdir(path.join(machines.machineB, workspace, 'scenarios'))).sort()[0];
    await editScenario(machines.machineB, workspace, scenario, { description: 'edited on B before the removal arrived' });
    const edited = await fsp.readFile(path.join(machines.machineB, workspace, 'scenarios', scenario, 'scenario.json'));
    expect((await runCli(['--root', machines.machineB, 'sync', 'status'])).code).toBe(0);

    await fsp.rm(path.join(machines.machineA, workspace), { recursive: true });
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(9);
    expect((await runCli(['--root', machines.machineA, 'sync', 'push', '--allow-delete'])).code).toBe(0);

    const pulled = await runCli(['--root', machines.machineB, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    expect(await workspaceFolders(machines.machineB)).not.toContain(workspace);
    expect(pulled.stdout).toContain(`its workspace was removed elsewhere; this computer's version is in backup`);
    const conflicts = await runJson(['--root', machines.machineB, 'sync', 'conflicts']);
    const kept = conflicts.body.past.filter((b: { path: string }) => b.path === `${workspace}/scenarios/${scenario}/scenario.json`);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ side: 'local', strategy: 'workspace-removed' });
    const backupFile = path.join(machines.machineB, '.planalign-sync-backups', kept[0].id, workspace, 'scenarios', scenario, 'scenario.json');
    expect(await fsp.readFile(backupFile)).toEqual(edited);
    // B's push after the pull sends nothing back: the workspace stays removed.
    expect((await runCli(['--root', machines.machineB, 'sync', 'push'])).code).toBe(0);
    expect(remoteFiles(machines.repo).some((file) => file.startsWith(`${workspace}/`))).toBe(false);
    expectFsckClean(machines.repo);

    // The kept version names its workspace, though gone, and restoring it brings the whole
    // workspace back as B last had it, never a stray file in an empty folder.
    const listed = (await runJson(['--root', machines.machineB, 'sync', 'conflicts'])).body.past.find((b: { id: string }) => b.id === kept[0].id);
    expect(listed).toMatchObject({ workspace_gone: true, file_there_now: false, workspace_name: expect.any(String) });
    expect(listed.workspace_name).not.toBe(workspace);
    const log = (await runJson(['--root', machines.machineB, 'sync', 'log'])).body as { operation: string; conflicts?: { workspace: string | null }[] }[];
    expect(log.find((entry) => entry.operation === 'conflict')?.conflicts?.[0].workspace).toBe(listed.workspace_name);
    const restored = await runJson(['--root', machines.machineB, 'sync', 'conflicts', 'restore', kept[0].id]);
    expect(restored.code).toBe(0);
    expect(restored.body.workspace_restored).toBe(listed.workspace_name);
    const atCommit = nativeGit(machines.machineB, ['ls-tree', '-r', '--name-only', kept[0].commit, `${workspace}/`])
      .stdout.trim()
      .split('\n');
    for (const file of atCommit) {
      const expected = nativeGit(machines.machineB, ['show', `${kept[0].commit}:${file}`]).stdout;
      expect(await fsp.readFile(path.join(machines.machineB, file), 'utf8'), file).toBe(expected);
    }
    expect(await fsp.readFile(path.join(machines.machineB, workspace, 'scenarios', scenario, 'scenario.json'))).toEqual(edited);
    expect((await runCli(['--root', machines.machineB, 'sync', 'push'])).code).toBe(0);
    expect(remoteFiles(machines.repo)).toEqual(expect.arrayContaining(atCommit));
    expectFsckClean(machines.repo);
  });

  it("a removal sent from here over another computer's change says the backup holds that computer's version", async () => {
    const workspace = machines.generated.workspaceIds[1];
    expect((await runCli(['--root', machines.machineA, 'sync', 'pull'])).code).toBe(0);
    const scenario = (await fsp.readdir(path.join(machines.machineB, workspace, 'scenarios'))).sort()[0];
    await editScenario(machines.machineB, workspace, scenario, { description: 'edited on B while A removes it' });
    expect((await runCli(['--root', machines.machineB, 'sync', 'push'])).code).toBe(0);
    await fsp.rm(path.join(machines.machineA, workspace), { recursive: true });
    const pushed = await runCli(['--root', machines.machineA, 'sync', 'push', '--allow-delete']);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(
      `${workspace}/scenarios/${scenario}/scenario.json: its workspace was removed here; the other computer's version is in backup`,
    );
    expect(remoteFiles(machines.repo).some((file) => file.startsWith(`${workspace}/`))).toBe(false);
    expectFsckClean(machines.repo);
  });
});

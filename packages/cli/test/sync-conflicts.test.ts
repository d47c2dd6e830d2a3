import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import type { GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { CLI, nativeGit, readJson, runCli, runJson, syncedTree, twoMachines, writeJson } from './harness.js';

/** Two machines changing the same files between syncs. */
describe('files changed on both machines', () => {
  let server: GitServer;
  let url: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;
  let scenarioFile: string;
  let repo = 0;

  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  // A fresh remote and two fresh machines for each case.
  beforeEach(async () => {
    repo += 1;
    ({ url, machineA, machineB, generated } = await twoMachines(`conflicts-${repo}`, { server }));
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    scenarioFile = path.join(workspaceId, 'scenarios', scenarioId, 'scenario.json');
  });

  const edit = async (root: string, patch: Record<string, unknown>) => {
    const file = path.join(root, scenarioFile);
    await writeJson(file, { ...(await readJson(file)), ...patch });
    return fsp.readFile(file);
  };

  it('edits to different keys of one scenario.json are merged, with no conflict and valid JSON', async () => {
    await edit(machineA, { description: 'edited on A' });
    await edit(machineB, { name: 'Renamed on B' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const push = await runJson(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(push.body.resolved_conflicts).toEqual([expect.objectContaining({ path: scenarioFile, winner: 'merged', backup: null })]);
    // Merged by key is not a conflict, and the history does not call it one.
    expect(nativeGit(machineB, ['log', '-1', '--format=%s']).stdout.trim()).toBe('Merge changes from the remote (1 file merged by key)');
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    for (const root of [machineA, machineB]) {
      const merged = await readJson(path.join(root, scenarioFile));
      expect(merged).toMatchObject({ description: 'edited on A', name: 'Renamed on B' });
    }
    expect(await syncedTree(machineA)).toEqual(await syncedTree(machineB));
  });

  it('the same key changed on both: the later change wins and the other version is in a byte-equal backup', async () => {
    const fromA = await edit(machineA, { name: 'Name from A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await edit(machineB, { name: 'Name from B' });
    const push = await runJson(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(0);
    const [settled] = push.body.resolved_conflicts;
    expect(settled).toMatchObject({ path: scenarioFile, winner: 'local', strategy: 'last-write-wins', keys: ['name'] });
    const backup = await fsp.readFile(path.join(machineB, '.planalign-sync-backups', settled.backup, scenarioFile));
    expect(backup.equals(fromA)).toBe(true);
    const record = await readJson(path.join(machineB, '.planalign-sync-backups', settled.backup, 'backup.json'));
    expect(record).toMatchObject({ path: scenarioFile, side: 'remote', strategy: 'last-write-wins' });
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect((await readJson(path.join(machineA, scenarioFile))).name).toBe('Name from B');
    const log = await runJson(['--root', machineB, 'sync', 'log']);
    expect(log.body.some((e: { operation: string }) => e.operation === 'conflict')).toBe(true);
  });

  it('last-write-wins compares when each side changed the file, not when it last committed anything', async () => {
    await edit(machineB, { name: 'Early edit on B' });
    // B commits its edit now (a pull with nothing to bring still commits local work)…
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await edit(machineA, { name: 'Later edit on A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // …and only later changes something else, so its newest commit is newer than A's edit.
    const other = path.join(machineB, generated.workspaceIds[1], 'workspace.json');
    await writeJson(other, { ...(await readJson(other)), description: 'unrelated' });
    const push = await runJson(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(push.body.resolved_conflicts[0]).toMatchObject({ path: scenarioFile, winner: 'remote', keys: ['name'] });
    expect((await readJson(path.join(machineB, scenarioFile))).name).toBe('Later edit on A');
  });

  it('last-write-wins dates an edit by when it was made, not when it was synced', async () => {
    await edit(machineB, { name: 'Edited offline on B' });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await fsp.utimes(path.join(machineB, scenarioFile), hourAgo, hourAgo);
    await edit(machineA, { name: 'Edited later on A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const preview = await runJson(['--root', machineB, 'sync', 'pull', '--dry-run']);
    expect(preview.body.conflicts).toEqual([
      expect.objectContaining({ path: scenarioFile, outcomes: expect.objectContaining({ 'last-write-wins': 'remote' }) }),
    ]);
    const push = await runJson(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(push.body.resolved_conflicts[0]).toMatchObject({ path: scenarioFile, winner: 'remote', keys: ['name'] });
    expect((await readJson(path.join(machineB, scenarioFile))).name).toBe('Edited later on A');
    // the commit of B's edit carries the edit's time as its author date, and the sync's as its committer date
    const [authored, committed] = nativeGit(machineB, ['log', '-1', '--format=%at %ct', 'HEAD^1']).stdout.trim().split(' ').map(Number);
    expect(Math.abs(authored - hourAgo.getTime() / 1000)).toBeLessThan(2);
    expect(committed - authored).toBeGreaterThan(3500);
    expect(nativeGit(machineB, ['fsck', '--full', '--strict']).code).toBe(0);
  });

  it.each([
    { strategy: 'keep-remote', kept: 'Name from A', backedUp: 'local' },
    { strategy: 'keep-local', kept: 'Name from B', backedUp: 'remote' },
  ] as const)('--strategy $strategy keeps that side and backs up the other byte for byte', async ({ strategy, kept, backedUp }) => {
    const remoteVersion = await edit(machineA, { name: 'Name from A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const localVersion = await edit(machineB, { name: 'Name from B' });
    const pull = await runJson(['--root', machineB, 'sync', 'pull', '--strategy', strategy]);
    expect(pull.code).toBe(0);
    expect((await readJson(path.join(machineB, scenarioFile))).name).toBe(kept);
    const backupId = pull.body.resolved_conflicts[0].backup;
    const backup = await fsp.readFile(path.join(machineB, '.planalign-sync-backups', backupId, scenarioFile));
    expect(backup.equals(backedUp === 'local' ? localVersion : remoteVersion)).toBe(true);
  });

  it('ask-user without a terminal exits 5, lists the file, and changes nothing', async () => {
    await edit(machineA, { name: 'Name from A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const local = await edit(machineB, { name: 'Name from B' });
    const headBefore = nativeGit(machineB, ['rev-parse', 'HEAD']).stdout;
    const pull = await runJson(['--root', machineB, 'sync', 'pull', '--strategy', 'ask-user']);
    expect(pull.code).toBe(5);
    expect(pull.body.error.conflicting_files).toEqual([scenarioFile]);
    expect((await fsp.readFile(path.join(machineB, scenarioFile))).equals(local)).toBe(true);
    // Only the local edit was committed; the branch did not take the remote's side.
    expect(nativeGit(machineB, ['log', '-1', '--format=%P']).stdout.trim()).toBe(headBefore.trim());
  });

  it('a file deleted on one machine and changed on the other keeps the change', async () => {
    await fsp.rm(path.join(machineA, scenarioFile));
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await edit(machineB, { description: 'still needed' });
    const push = await runJson(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect((await readJson(path.join(machineB, scenarioFile))).description).toBe('still needed');
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect((await readJson(path.join(machineA, scenarioFile))).description).toBe('still needed');
  });

  it('an open conflict shows in status, is compared, resolved by choice, and its loser restored and pushed', async () => {
    await edit(machineA, { name: 'Name from A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const local = await edit(machineB, { name: 'Name from B' });
    expect((await runCli(['--root', machineB, 'sync', 'pull', '--strategy', 'ask-user'])).code).toBe(5);

    const status = await runJson(['--root', machineB, 'sync', 'status']);
    expect(status.body.conflicts).toEqual([scenarioFile]);
    expect(status.body.workspaces.find((w: { id: string }) => scenarioFile.startsWith(w.id)).state).toBe('conflict');
    expect((await runCli(['--root', machineB, 'sync', 'status'])).stdout).toContain('⚠ conflict');
    const list = await runJson(['--root', machineB, 'sync', 'conflicts']);
    expect(list.body.open).toEqual([expect.objectContaining({ path: scenarioFile, decision: null })]);
    const detail = await runJson(['--root', machineB, 'sync', 'conflicts', 'show', scenarioFile]);
    expect(detail.body).toMatchObject({ open: true, conflicting_keys: ['name'] });
    expect(JSON.parse(detail.body.local).name).toBe('Name from B');
    expect(JSON.parse(detail.body.remote).name).toBe('Name from A');

    const resolved = await runJson(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'remote']);
    expect(resolved.code).toBe(0);
    expect(resolved.body.pending).toEqual([]);
    expect(resolved.body.pull).not.toBeNull();
    expect((await readJson(path.join(machineB, scenarioFile))).name).toBe('Name from A');
    expect((await runJson(['--root', machineB, 'sync', 'status'])).body.conflicts).toEqual([]);

    const past = (await runJson(['--root', machineB, 'sync', 'conflicts'])).body.past;
    expect(past[0]).toMatchObject({ path: scenarioFile, side: 'local' });
    const kept = await fsp.readFile(path.join(machineB, '.planalign-sync-backups', past[0].id, scenarioFile));
    expect(kept.equals(local)).toBe(true);

    const restore = await runCli(['--root', machineB, 'sync', 'conflicts', 'restore', past[0].id]);
    expect(restore.code).toBe(0);
    expect((await fsp.readFile(path.join(machineB, scenarioFile))).equals(local)).toBe(true);
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect((await readJson(path.join(machineA, scenarioFile))).name).toBe('Name from B');
  });

  it("keeping this computer's version sends it, so the other computers get it", async () => {
    await edit(machineA, { name: 'A wants this' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await edit(machineB, { name: 'B wants this' });
    expect((await runCli(['--root', machineB, 'sync', 'pull', '--strategy', 'ask-user'])).code).toBe(5);
    const resolved = await runJson(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'local']);
    expect(resolved.code).toBe(0);
    expect(resolved.body).toMatchObject({ shared: true, pending: [] });
    expect(resolved.body.message).toMatch(/^Resolved, and sent to the other computers\./);
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect((await readJson(path.join(machineA, scenarioFile))).name).toBe('B wants this');
    const status = await runJson(['--root', machineB, 'sync', 'status']);
    expect(status.body.ahead).toBe(0);
  });

  it('each setting changed on both machines takes the side chosen for it, and what each changed elsewhere stays', async () => {
    await edit(machineA, { name: 'A name', description: 'A description', notes: 'from A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const local = await edit(machineB, { name: 'B name', description: 'B description', owner: 'B' });
    expect((await runCli(['--root', machineB, 'sync', 'pull', '--strategy', 'ask-user'])).code).toBe(5);
    const shown = await runCli(['--root', machineB, 'sync', 'conflicts', 'show', scenarioFile]);
    expect(shown.stdout).toContain('  description: local "B description", remote "A description"');
    expect(shown.stdout).toContain('  name: local "B name", remote "A name"');

    const unknown = await runCli(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'local', '--setting', 'owner=remote']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"owner" is not a setting in conflict');
    expect(unknown.stderr).toContain('those in conflict are name, description');
    const badSide = await runCli(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'local', '--setting', 'name=mine']);
    expect(badSide.code).toBe(2);
    expect(badSide.stderr).toContain('--setting');
    expect((await runJson(['--root', machineB, 'sync', 'conflicts'])).body.open).toEqual([expect.objectContaining({ decision: null })]);

    const resolved = await runJson(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'local', '--setting', 'name=remote']);
    expect(resolved.code).toBe(0);
    expect(resolved.body.pull.resolved_conflicts).toEqual([
      expect.objectContaining({ path: scenarioFile, winner: 'merged', strategy: 'chosen', keys: ['name', 'description'] }),
    ]);
    const expected = { name: 'A name', description: 'B description', notes: 'from A', owner: 'B' };
    expect(await readJson(path.join(machineB, scenarioFile))).toMatchObject(expected);
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect(await readJson(path.join(machineA, scenarioFile))).toMatchObject(expected);
    // both versions are kept whole: this computer's byte for byte
    const past = (await runJson(['--root', machineB, 'sync', 'conflicts'])).body.past.filter((b: { path: string }) => b.path === scenarioFile);
    expect(past.map((b: { side: string }) => b.side).sort()).toEqual(['local', 'remote']);
    const keptLocal = past.find((b: { side: string }) => b.side === 'local');
    expect((await fsp.readFile(path.join(machineB, '.planalign-sync-backups', keptLocal.id, scenarioFile))).equals(local)).toBe(true);
    expect(nativeGit(machineB, ['fsck', '--full', '--strict']).code).toBe(0);
  });

  it('choices that do not exist are usage errors and change nothing', async () => {
    const before = await syncedTree(machineB);
    const notOpen = await runCli(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'local']);
    expect(notOpen.code).toBe(2);
    expect(notOpen.stderr).toContain('no open conflict');
    expect((await runCli(['--root', machineB, 'sync', 'conflicts', 'restore', 'no-such-backup'])).code).toBe(2);
    expect((await runCli(['--root', machineB, 'sync', 'conflicts', 'resolve', scenarioFile, '--use', 'mine'])).code).toBe(2);
    expect(await syncedTree(machineB)).toEqual(before);
  });

  it('a file changed on one machine and deleted on the other keeps the change, the other way round too', async () => {
    await edit(machineA, { description: 'changed on A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await fsp.rm(path.join(machineB, scenarioFile));
    const pull = await runJson(['--root', machineB, 'sync', 'pull']);
    expect(pull.code).toBe(0);
    expect((await readJson(path.join(machineB, scenarioFile))).description).toBe('changed on A');
  });

  it('the same new file added on both machines is merged by key, or settled by strategy', async () => {
    const comparison = path.join(generated.workspaceIds[0], 'comparisons', 'q4-vs-baseline.json');
    await writeJson(path.join(machineA, comparison), { title: 'Q4 vs baseline', metrics: ['headcount'] });
    // Empty folders do not travel: B makes its own.
    await fsp.mkdir(path.dirname(path.join(machineB, comparison)), { recursive: true });
    await writeJson(path.join(machineB, comparison), { title: 'Q4 vs baseline', owner: 'B' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const push = await runJson(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(push.body.resolved_conflicts).toEqual([expect.objectContaining({ path: comparison, winner: 'merged' })]);
    expect(await readJson(path.join(machineB, comparison))).toEqual({ title: 'Q4 vs baseline', owner: 'B', metrics: ['headcount'] });
  });

  it('two machines pushing at the same moment both succeed, the later one merging first', async () => {
    await edit(machineA, { description: 'from A' });
    const other = path.join(generated.workspaceIds[1], 'workspace.json');
    await writeJson(path.join(machineB, other), { ...(await readJson(path.join(machineB, other))), description: 'from B' });
    const [a, b] = await Promise.all([runCli(['--root', machineA, 'sync', 'push']), runCli(['--root', machineB, 'sync', 'push'])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    expect(await syncedTree(machineA)).toEqual(await syncedTree(machineB));
    expect((await readJson(path.join(machineA, other))).description).toBe('from B');
    expect((await readJson(path.join(machineB, scenarioFile))).description).toBe('from A');
  });

  it('ask-user on a terminal asks per file, shows a diff on request, and applies the choice', async () => {
    await edit(machineA, { name: 'Name from A' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await edit(machineB, { name: 'Name from B' });
    const command = [process.execPath, CLI, '--root', machineB, 'sync', 'pull', '--strategy', 'ask-user'].map((a) => JSON.stringify(a)).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let asked = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      const questions = output.split('[d]iff to compare?').length - 1;
      if (questions > asked) {
        asked = questions;
        child.stdin.write(asked === 1 ? 'd\n' : 'r\n');
      }
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(0);
    expect(asked).toBe(2);
    expect(output).toContain('name: local "Name from B", remote "Name from A"');
    expect((await readJson(path.join(machineB, scenarioFile))).name).toBe('Name from A');
  });
});

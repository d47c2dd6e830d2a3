import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings, writeSettings, type SyncConfig } from '@planalign/sync-core';
import type { GitServer } from '@planalign/sync-tools/git-server';
import { addRun, editScenario, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { readJson, remoteFile, remoteFiles, runCli, runJson, twoMachines, writeJson } from './harness.js';

const PRIVATE_ID = '0f9c2d1e-7a55-4c3b-9a10-5e2b8c6d4f01';

async function changeSettings(root: string, change: (settings: SyncConfig) => SyncConfig): Promise<void> {
  await writeSettings(root, change((await readSettings(root))!.sync));
}

/** Selective sync: excluded workspaces, per-workspace strategies, and how many runs travel. */
describe('choosing what syncs', () => {
  let server: GitServer;
  let url: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;
  let repo: string;
  const scenarioOf = async (root: string, workspaceId: string) => (await fsp.readdir(path.join(root, workspaceId, 'scenarios')))[0];

  beforeAll(async () => {
    ({ server, url, machineA, machineB, generated } = await twoMachines('selective'));
    repo = server.repoPath('selective');
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('an excluded workspace never reaches the remote, and shows as not synced', async () => {
    await fsp.mkdir(path.join(machineA, PRIVATE_ID), { recursive: true });
    await writeJson(path.join(machineA, PRIVATE_ID, 'workspace.json'), { id: PRIVATE_ID, name: 'Private Salaries', description: 'never shared' });
    await fsp.writeFile(path.join(machineA, PRIVATE_ID, 'base_config.yaml'), 'start_year: 2026\n');
    const excluded = await runJson(['--root', machineA, 'sync', 'exclude', 'Private Salaries']);
    expect(excluded.code).toBe(0);
    expect(excluded.body).toMatchObject({ id: PRIVATE_ID, sync_enabled: false });
    expect(await fsp.readFile(path.join(machineA, '.planalign-sync.yaml'), 'utf8')).toMatch(new RegExp(`${PRIVATE_ID}:\\s+enabled: false`));

    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFiles(repo).filter((f) => f.startsWith(PRIVATE_ID))).toEqual([]);
    const status = await runJson(['--root', machineA, 'sync', 'status']);
    expect(status.body.workspaces.find((w: { id: string }) => w.id === PRIVATE_ID)).toMatchObject({ state: 'local_only', sync_enabled: false });
    const text = await runCli(['--root', machineA, 'sync', 'status']);
    expect(text.stdout).toMatch(/○ excluded +Private Salaries/);

    const unknown = await runJson(['--root', machineA, 'sync', 'exclude', 'No Such Workspace']);
    expect(unknown.code).toBe(2);
    expect(unknown.body.error.message).toContain('Private Salaries');
  });

  it('excluding a pushed workspace stops its changes without removing it anywhere; including it sends them', async () => {
    const [shared] = generated.workspaceIds;
    expect((await runCli(['--root', machineA, 'sync', 'exclude', shared])).code).toBe(0);
    const file = path.join(machineA, shared, 'workspace.json');
    await writeJson(file, { ...(await readJson(file)), description: 'edited while excluded' });
    await fsp.rm(path.join(machineA, shared, 'base_config.yaml'));
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${shared}/workspace.json`)).not.toContain('edited while excluded');
    expect(remoteFile(repo, `${shared}/base_config.yaml`)).not.toBeNull();

    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    expect(await fsp.readFile(path.join(machineB, shared, 'base_config.yaml'), 'utf8')).not.toBe('');

    expect((await runCli(['--root', machineA, 'sync', 'include', shared])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${shared}/workspace.json`)).toContain('edited while excluded');
    expect(remoteFile(repo, `${shared}/base_config.yaml`)).toBeNull();
    expect(await fsp.readFile(path.join(machineA, '.planalign-sync.yaml'), 'utf8')).not.toContain(`${shared}:`);
  });

  it("a workspace's own conflict strategy overrides the root's", async () => {
    const [first, second] = generated.workspaceIds;
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    await changeSettings(machineB, (s) => ({ ...s, conflict_strategy: 'keep-local', workspaces: { ...s.workspaces, [first]: { conflict_strategy: 'keep-remote' } } }));
    const [s1, s2] = [await scenarioOf(machineA, first), await scenarioOf(machineA, second)];
    await editScenario(machineA, first, s1, { name: 'A names first' });
    await editScenario(machineA, second, s2, { name: 'A names second' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await editScenario(machineB, first, s1, { name: 'B names first' });
    await editScenario(machineB, second, s2, { name: 'B names second' });
    const pull = await runJson(['--root', machineB, 'sync', 'pull']);
    expect(pull.code).toBe(0);
    expect((await readJson(path.join(machineB, first, 'scenarios', s1, 'scenario.json'))).name).toBe('A names first');
    expect((await readJson(path.join(machineB, second, 'scenarios', s2, 'scenario.json'))).name).toBe('B names second');
    expect(pull.body.resolved_conflicts.map((r: { strategy: string }) => r.strategy).sort()).toEqual(['keep-local', 'keep-remote']);
  });

  it('with max_runs_per_scenario, only the newest runs travel and older ones stay on their machine', async () => {
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    await changeSettings(machineA, (s) => ({ ...s, max_runs_per_scenario: 1 }));
    const workspaceId = generated.workspaceIds[1];
    const scenarioId = await scenarioOf(machineA, workspaceId);
    const older = await addRun(machineA, workspaceId, scenarioId, { seed: 11 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const newer = await addRun(machineA, workspaceId, scenarioId, { seed: 12 });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const onRemote = remoteFiles(repo);
    expect(onRemote).toContain(newer.files.find((f) => f.endsWith('run_metadata.json')));
    expect(onRemote).not.toContain(older.files.find((f) => f.endsWith('run_metadata.json')));
    // runs pushed before the limit are still there
    expect(onRemote.filter((f) => f.startsWith(`${workspaceId}/scenarios/${scenarioId}/runs/`) && f.endsWith('run_metadata.json')).length).toBeGreaterThan(1);
  });
});

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings, SyncService, writeSettings, type SyncConfig } from '@planalign/sync-core';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { startApiServer } from '@planalign/sync-api';
import { readJson, remoteFile, remoteFiles, runCli, runJson, syncedTree, twoMachines, writeJson } from './harness.js';

const scenarioFolder = async (root: string, workspaceId: string) => (await fsp.readdir(path.join(root, workspaceId, 'scenarios'))).sort()[0];

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
    expect(excluded.body).toMatchObject({ id: PRIVATE_ID, sync_enabled: false, excluded_on: 'this_computer' });
    // This computer's choice: kept in .git, never in the shared settings.
    expect(await fsp.readFile(path.join(machineA, '.planalign-sync.yaml'), 'utf8')).not.toContain(PRIVATE_ID);
    expect(await fsp.readFile(path.join(machineA, '.git', 'planalign-sync', 'selection.json'), 'utf8')).toContain(PRIVATE_ID);

    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFiles(repo).filter((f) => f.startsWith(PRIVATE_ID))).toEqual([]);
    const status = await runJson(['--root', machineA, 'sync', 'status']);
    expect(status.body.workspaces.find((w: { id: string }) => w.id === PRIVATE_ID)).toMatchObject({
      state: 'local_only',
      sync_enabled: false,
      excluded_on: 'this_computer',
    });
    const text = await runCli(['--root', machineA, 'sync', 'status']);
    expect(text.stdout).toMatch(/○ excluded here +Private Salaries/);

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

  it('excluded on this computer, a workspace still syncs from the others; kept local everywhere, from none', async () => {
    const [shared] = generated.workspaceIds;
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'exclude', shared])).code).toBe(0);
    const file = (root: string) => path.join(root, shared, 'workspace.json');
    await writeJson(file(machineA), { ...(await readJson(file(machineA))), description: 'A keeps this' });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    await writeJson(file(machineB), { ...(await readJson(file(machineB))), description: 'B shares this' });
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${shared}/workspace.json`)).toContain('B shares this');
    const stateOn = async (root: string) => (await runJson(['--root', root, 'sync', 'status'])).body.workspaces.find((w: { id: string }) => w.id === shared);
    expect(await stateOn(machineB)).toMatchObject({ sync_enabled: true, excluded_on: null });

    const everywhere = await runJson(['--root', machineA, 'sync', 'exclude', shared, '--everywhere']);
    expect(everywhere.body.excluded_on).toBe('every_computer');
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    expect(await stateOn(machineB)).toMatchObject({ sync_enabled: false, excluded_on: 'every_computer' });
    expect((await runCli(['--root', machineB, 'sync', 'status'])).stdout).toMatch(/○ kept local everywhere/);
    await writeJson(file(machineB), { ...(await readJson(file(machineB))), description: 'B keeps this now' });
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${shared}/workspace.json`)).not.toContain('B keeps this now');
    const plainInclude = await runCli(['--root', machineB, 'sync', 'include', shared]);
    expect(plainInclude.stdout).toContain('--everywhere');

    expect((await runCli(['--root', machineB, 'sync', 'include', shared, '--everywhere'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${shared}/workspace.json`)).toContain('B keeps this now');
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    // A's own choice from before is still its own.
    expect(await stateOn(machineA)).toMatchObject({ excluded_on: 'this_computer' });
    expect((await runCli(['--root', machineA, 'sync', 'include', shared])).code).toBe(0);
  });

  it("a pull leaves this computer's edits to a workspace it keeps out of sync, and brings the rest", async () => {
    const [kept] = generated.workspaceIds;
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'exclude', kept])).code).toBe(0);
    const [first, second] = (await fsp.readdir(path.join(machineA, kept, 'scenarios'))).sort();
    const file = (root: string, scenario: string) => path.join(root, kept, 'scenarios', scenario, 'scenario.json');
    await writeJson(file(machineA, first), { ...(await readJson(file(machineA, first))), description: 'A keeps this note' });
    await writeJson(file(machineB, first), { ...(await readJson(file(machineB, first))), owner: 'B' });
    await writeJson(file(machineB, second), { ...(await readJson(file(machineB, second))), description: 'B changed the other one' });
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    const pulled = await runJson(['--root', machineA, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    expect((await readJson(file(machineA, first))).description).toBe('A keeps this note');
    // A file this computer did not touch follows the others.
    expect((await readJson(file(machineA, second))).description).toBe('B changed the other one');
    expect(remoteFile(repo, `${kept}/scenarios/${first}/scenario.json`)).not.toContain('A keeps this note');
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${kept}/scenarios/${first}/scenario.json`)).toContain('"owner": "B"');
    expect((await runCli(['--root', machineA, 'sync', 'include', kept])).code).toBe(0);
    await fsp.writeFile(file(machineA, first), JSON.stringify({ ...(await readJson(file(machineA, first))), owner: 'B' }, null, 2) + '\n');
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
  });

  it("a workspace's own conflict strategy overrides the root's", async () => {
    const [first, second] = generated.workspaceIds;
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    await changeSettings(machineB, (s) => ({
      ...s,
      conflict_strategy: 'keep-local',
      workspaces: { ...s.workspaces, [first]: { conflict_strategy: 'keep-remote' } },
    }));
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

/** Every path in any commit of the remote's history: what has left the machine at some point. */
function everPushed(repo: string): string[] {
  const log = spawnSync('git', ['-C', repo, 'log', '--all', '--format=', '--name-only'], { encoding: 'utf8' }).stdout;
  return [...new Set(log.split('\n').filter(Boolean))];
}

/** Settings that change after work was committed still decide what leaves the machine. */
describe('settings decide what is sent, whatever was committed before', () => {
  let server: GitServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('a workspace excluded after init committed it never reaches the remote, nor its history; its files stay', async () => {
    const machines = await twoMachines('exclude-after-init');
    server = machines.server;
    const repo = machines.server.repoPath('exclude-after-init');
    const [kept, excluded] = machines.generated.workspaceIds;
    expect((await runCli(['--root', machines.machineA, 'sync', 'init', '--remote', machines.url])).code).toBe(0);
    expect((await runCli(['--root', machines.machineA, 'sync', 'exclude', excluded])).code).toBe(0);
    const before = await syncedTree(machines.machineA);
    const push = await runCli(['--root', machines.machineA, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(everPushed(repo).filter((f) => f.startsWith(`${excluded}/`))).toEqual([]);
    expect(remoteFiles(repo).some((f) => f.startsWith(`${kept}/`))).toBe(true);
    // Nothing on this machine changed.
    expect(await syncedTree(machines.machineA)).toEqual(before);
    const again = await runJson(['--root', machines.machineA, 'sync', 'status']);
    expect(again.body.workspaces.find((w: { id: string }) => w.id === excluded)).toMatchObject({ sync_enabled: false });
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    expect(everPushed(repo).filter((f) => f.startsWith(`${excluded}/`))).toEqual([]);

    // Included again, it goes up whole.
    expect((await runCli(['--root', machines.machineA, 'sync', 'include', excluded])).code).toBe(0);
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFiles(repo).filter((f) => f.startsWith(`${excluded}/`)).length).toBeGreaterThan(3);
  });

  it('a workspace a pull committed, then excluded, stays here', async () => {
    const machines = await twoMachines('exclude-after-pull', { server });
    const repo = machines.server.repoPath('exclude-after-pull');
    expect((await runCli(['--root', machines.machineA, 'sync', 'init', '--remote', machines.url])).code).toBe(0);
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    await fsp.mkdir(path.join(machines.machineA, PRIVATE_ID));
    await writeJson(path.join(machines.machineA, PRIVATE_ID, 'workspace.json'), { id: PRIVATE_ID, name: 'Private Salaries', description: 'never shared' });
    const pulled = await runJson(['--root', machines.machineA, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.body.message).toBe("Already up to date; this computer's own changes were recorded, and go with the next push");
    expect((await runCli(['--root', machines.machineA, 'sync', 'exclude', 'Private Salaries'])).code).toBe(0);
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    expect(everPushed(repo).filter((f) => f.startsWith(`${PRIVATE_ID}/`))).toEqual([]);
    expect((await readJson(path.join(machines.machineA, PRIVATE_ID, 'workspace.json'))).name).toBe('Private Salaries');
  });

  it('max_runs_per_scenario set between init and the first push holds back the older runs', async () => {
    const machines = await twoMachines('runs-after-init', { server });
    const repo = machines.server.repoPath('runs-after-init');
    expect((await runCli(['--root', machines.machineA, 'sync', 'init', '--remote', machines.url])).code).toBe(0);
    await changeSettings(machines.machineA, (s) => ({ ...s, max_runs_per_scenario: 1 }));
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    const runsPerScenario = new Map<string, Set<string>>();
    for (const file of everPushed(repo)) {
      const match = /^([^/]+\/scenarios\/[^/]+)\/runs\/([^/]+)\//.exec(file);
      if (match) runsPerScenario.set(match[1], (runsPerScenario.get(match[1]) ?? new Set()).add(match[2]));
    }
    expect(runsPerScenario.size).toBeGreaterThan(0);
    for (const runs of runsPerScenario.values()) expect(runs.size).toBe(1);
  });

  it('an automatic sync leaves out a workspace with auto_sync off, even after a manual pull committed its edit', async () => {
    const machines = await twoMachines('auto-off', { server });
    const repo = machines.server.repoPath('auto-off');
    const [manualOnly] = machines.generated.workspaceIds;
    expect((await runCli(['--root', machines.machineA, 'sync', 'init', '--remote', machines.url])).code).toBe(0);
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    await changeSettings(machines.machineA, (s) => ({ ...s, workspaces: { ...s.workspaces, [manualOnly]: { auto_sync: false } } }));
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    const scenario = await scenarioFolder(machines.machineA, manualOnly);
    await editScenario(machines.machineA, manualOnly, scenario, { description: 'only when I say so' });
    expect((await runCli(['--root', machines.machineA, 'sync', 'pull'])).code).toBe(0);
    await new SyncService(machines.machineA).push({ automatic: { everyWorkspace: true } });
    expect(remoteFile(repo, `${manualOnly}/scenarios/${scenario}/scenario.json`)).not.toContain('only when I say so');
    expect(everPushed(repo).length).toBeGreaterThan(0);
    // A person's push sends it.
    expect((await runCli(['--root', machines.machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${manualOnly}/scenarios/${scenario}/scenario.json`)).toContain('only when I say so');
  });
});

describe('the branch a root syncs', () => {
  it('refuses HEAD and names git refuses, and a change of branch without --change-branch', async () => {
    const machines = await twoMachines('branch-change');
    try {
      const { machineA, url } = machines;
      expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
      expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
      for (const bad of ['HEAD', 'feature..x', 'a b', 'x.lock', '-x']) {
        const refused = await runJson(['--root', machineA, 'sync', 'init', '--branch', bad]);
        expect({ bad, code: refused.code }).toEqual({ bad, code: 2 });
        expect(refused.body.error.message).toContain(bad);
      }
      const typo = await runJson(['--root', machineA, 'sync', 'init', '--branch', 'Main']);
      expect(typo.code).toBe(2);
      expect(typo.body.error).toMatchObject({ code: 'branch_change_unconfirmed', current: 'main', requested: 'Main', remote_branches: ['main'] });
      expect(typo.body.error.message).toMatch(/did you mean "main"\?.*--change-branch/);
      // The API says the same error with the same code, exit code and data; only the next step differs.
      const api = await startApiServer({ root: machineA, port: 0, pullOnStart: false });
      try {
        const answer = await fetch(`${api.url}/api/sync/config`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ branch: 'Main' }),
        });
        expect(answer.status).toBe(409);
        const { error } = (await answer.json()) as { error: Record<string, unknown> };
        expect(error.data).toEqual({ current: 'main', requested: 'Main', remote_branches: ['main'] });
        expect({ ...error, message: undefined }).toEqual({ ...typo.body.error, message: undefined });
      } finally {
        await api.close();
      }
      expect(remoteFiles(machines.server.repoPath('branch-change'), 'Main')).toEqual([]);
      expect(await fsp.readFile(path.join(machineA, '.planalign-sync.yaml'), 'utf8')).toContain('branch: main');

      // The full ref name of the branch it already syncs changes nothing.
      expect((await runCli(['--root', machineA, 'sync', 'init', '--branch', 'refs/heads/main'])).code).toBe(0);
      expect((await runCli(['--root', machineA, 'sync', 'init', '--branch', 'what-if/q4', '--change-branch'])).code).toBe(0);
      expect(await fsp.readFile(path.join(machineA, '.planalign-sync.yaml'), 'utf8')).toContain('branch: what-if/q4');
    } finally {
      await machines.server.stop();
    }
  });
});

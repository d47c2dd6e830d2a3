import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, generateWorkspaces, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { nativeGit, readJson, remoteFile, remoteFiles, runCli, runJson, syncedTree, twoMachines, writeJson } from './harness.js';

/** Two roots standing for two machines, syncing through a real smart-HTTP Git server. */
describe('two machines through a loopback Git remote', () => {
  let server: GitServer;
  let url: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;

  beforeAll(async () => {
    ({ server, url, machineA, machineB, generated } = await twoMachines('workspaces'));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('init on A creates the repository, the merged .gitignore and the settings file', async () => {
    await fsp.writeFile(path.join(machineA, '.gitignore'), 'my-notes/\n');
    const result = await runCli(['--root', machineA, 'sync', 'init', '--remote', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Sync initialized. Use 'planalign sync push' to upload workspaces.");
    const gitignore = await fsp.readFile(path.join(machineA, '.gitignore'), 'utf8');
    expect(gitignore).toContain('my-notes/');
    expect(gitignore).toContain('*.duckdb');
    const settings = await fsp.readFile(path.join(machineA, '.planalign-sync.yaml'), 'utf8');
    expect(settings).toMatch(/^version: 1$/m);
    expect(settings).toContain(`remote: ${url}`);
    expect(settings).toMatch(/conflict_strategy: last-write-wins/);
  });

  it('push uploads every workspace and nothing that must stay local', async () => {
    const result = await runCli(['--root', machineA, 'sync', 'push']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Synced ${generated.workspaces} workspaces (${generated.scenarios} scenarios, ${generated.runs} runs)`);
    const files = remoteFiles(server.repoPath('workspaces'));
    expect(files.length).toBe(generated.syncableFiles + 2);
    for (const file of files) {
      expect(file === '.gitignore' || /\.(json|ya?ml)$/.test(file), file).toBe(true);
      expect(file).not.toMatch(/\.duckdb|\.xlsx|\.parquet|\.csv|\.log|dbt_project|\/seeds\/|\/data\/|\/imports\//);
    }
  });

  it('native git in the root agrees: nothing left to commit', () => {
    const status = nativeGit(machineA, ['status', '--porcelain']);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe('');
  });

  it('init on B brings everything down, identical to A', async () => {
    const result = await runJson(['--root', machineB, 'sync', 'init', '--remote', url]);
    expect(result.code).toBe(0);
    expect(result.body.from_remote).toEqual({ workspaces: generated.workspaces, scenarios: generated.scenarios, runs: generated.runs });
    const [a, b] = await Promise.all([syncedTree(machineA), syncedTree(machineB)]);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [file, content] of a) expect(b.get(file), file).toBe(content);
    // The large outputs are not there: they are regenerated on demand, not synced.
    const anyRun = (await fsp.readdir(path.join(machineB, generated.workspaceIds[0], 'scenarios'))).length;
    expect(anyRun).toBeGreaterThan(0);
    const status = await runJson(['--root', machineB, 'sync', 'status']);
    expect(status.body).toMatchObject({ is_initialized: true, local_changes: 0, ahead: 0, behind: 0 });
    expect(status.body.workspaces.every((w: { state: string }) => w.state === 'synced')).toBe(true);
  });

  it('a new run and an edited scenario on A reach B, and status shows the way there', async () => {
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    const run = await addRun(machineA, workspaceId, scenarioId, { status: 'completed' });
    await editScenario(machineA, workspaceId, scenarioId, { description: 'Edited on machine A' });

    const before = await runJson(['--root', machineA, 'sync', 'status']);
    expect(before.body.local_changes).toBeGreaterThanOrEqual(3);
    const card = before.body.workspaces.find((w: { id: string }) => w.id === workspaceId);
    expect(card.state).toBe('push_needed');
    expect(card.changes).toBe(before.body.local_changes);

    const push = await runJson(['--root', machineA, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(push.body.pushed).toBe(true);
    expect(push.body.changed_workspaces).toHaveLength(1);
    const subject = nativeGit(machineA, ['log', '-1', '--format=%B']).stdout;
    expect(subject).toMatch(/Add run \d{4}-\d\d-\d\d \d\d:\d\d to "/);

    const onB = await runJson(['--root', machineB, 'sync', 'status']);
    expect(onB.body.behind).toBe(1);
    expect(onB.body.ahead).toBe(0);
    expect(onB.body.workspaces.find((w: { id: string }) => w.id === workspaceId).state).toBe('pull_available');

    const pull = await runCli(['--root', machineB, 'sync', 'pull']);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain('Updated 1 workspace with 1 new run');
    const scenarioOnB = await readJson(path.join(machineB, workspaceId, 'scenarios', scenarioId, 'scenario.json'));
    expect(scenarioOnB.description).toBe('Edited on machine A');
    const metadata = await readJson(path.join(machineB, workspaceId, 'scenarios', scenarioId, 'runs', run.runId, 'run_metadata.json'));
    expect(metadata.run_id).toBe(run.runId);
    const after = await runJson(['--root', machineB, 'sync', 'status']);
    expect(after.body).toMatchObject({ local_changes: 0, ahead: 0, behind: 0 });
  });

  it('B pushes, A pulls: edits on different workspaces on both machines merge with no conflict', async () => {
    const [wsA, wsB] = generated.workspaceIds;
    const fileA = path.join(machineA, wsA, 'workspace.json');
    const fileB = path.join(machineB, wsB, 'workspace.json');
    await writeJson(fileA, { ...(await readJson(fileA)), description: 'from A' });
    await writeJson(fileB, { ...(await readJson(fileB)), description: 'from B' });
    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    const push = await runJson(['--root', machineA, 'sync', 'push']);
    expect(push.code).toBe(0);
    expect(push.body.pulled_first).toBe(true);
    expect(push.body.resolved_conflicts).toEqual([]);
    // what the push brought down is in A's history as a pull, under the push itself
    const log = await runJson(['--root', machineA, 'sync', 'log', '--limit', '2']);
    expect(log.body.map((e: { operation: string }) => e.operation)).toEqual(['push', 'pull']);
    expect(log.body[1].message).toMatch(/^Pulled update of workspace/);
    expect((await runCli(['--root', machineB, 'sync', 'pull'])).code).toBe(0);
    const [a, b] = await Promise.all([syncedTree(machineA), syncedTree(machineB)]);
    expect(b).toEqual(a);
    expect(JSON.parse(a.get(`${wsA}/workspace.json`)!).description).toBe('from A');
    expect(JSON.parse(a.get(`${wsB}/workspace.json`)!).description).toBe('from B');
  });

  it('a whole new workspace from A is announced as one, with its scenarios and runs', async () => {
    const elsewhere = path.join(path.dirname(machineA), 'elsewhere');
    const extra = await generateWorkspaces({ root: elsewhere, workspaces: 1, scenarios: 3, runs: 6, databaseBytes: 0, seed: 77 });
    const [newId] = extra.workspaceIds;
    await fsp.cp(path.join(elsewhere, newId), path.join(machineA, newId), { recursive: true });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    // before it is pulled, B's status describes it from the remote's copy: its name, scenarios and runs
    const name = (await readJson(path.join(machineA, newId, 'workspace.json'))).name;
    const status = await runJson(['--root', machineB, 'sync', 'status']);
    expect(status.body.workspaces.find((w: { id: string }) => w.id === newId)).toMatchObject({
      name,
      state: 'pull_available',
      scenario_count: 3,
      run_count: extra.runs,
    });
    expect((await runCli(['--root', machineB, 'sync', 'status'])).stdout).toContain(`${name} (3 scenarios`);
    const pull = await runJson(['--root', machineB, 'sync', 'pull']);
    expect(pull.code).toBe(0);
    expect(pull.body.message).toBe(`Brought down 1 new workspace with 3 new scenarios and ${extra.runs} new runs`);
  });

  it('an edit in the same second with the same size is not missed', async () => {
    const file = path.join(machineA, generated.workspaceIds[0], 'base_config.yaml');
    const original = await fsp.readFile(file, 'utf8');
    await fsp.writeFile(
      file,
      original.replace(/\S+\s*$/, (tail) => tail.replace(/\S/, 'a')),
    );
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    // Same length, written immediately after the commit recorded the file's timestamp.
    const second = original.replace(/\S+\s*$/, (tail) => tail.replace(/\S/, 'b'));
    await fsp.writeFile(file, second);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(server.repoPath('workspaces'), `${generated.workspaceIds[0]}/base_config.yaml`)).toBe(second);
  });

  it("log lists this root's operations newest first, as text and JSON", async () => {
    const text = await runCli(['--root', machineA, 'sync', 'log', '--limit', '3']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d: \S/);
    const json = await runJson(['--root', machineA, 'sync', 'log']);
    const operations = json.body.map((e: { operation: string }) => e.operation);
    expect(operations[operations.length - 1]).toBe('init');
    expect(operations).toContain('push');
    const times = json.body.map((e: { timestamp: string }) => Date.parse(e.timestamp));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect(json.body.find((e: { message: string }) => /Pushed run .* to "/.test(e.message))).toBeTruthy();
  });

  it('disconnect removes sync but keeps every workspace file', async () => {
    const before = await syncedTree(machineB);
    const result = await runCli(['--root', machineB, 'sync', 'disconnect']);
    expect(result.code).toBe(0);
    const after = await syncedTree(machineB);
    before.delete('.planalign-sync.yaml');
    expect(after).toEqual(before);
    expect(nativeGit(machineB, ['remote']).stdout.trim()).toBe('');
    const push = await runCli(['--root', machineB, 'sync', 'push']);
    expect(push.code).toBe(6);
    expect(push.stderr).toContain("Run 'planalign sync init --remote <url>' first");
    const json = await runCli(['--root', machineB, '--json', 'sync', 'push']);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'not_initialized', exit_code: 6, next: { action: 'set_up_sync' } });
  });
});

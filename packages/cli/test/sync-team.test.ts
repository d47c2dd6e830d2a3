import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { readJson, remoteFile, remoteHead, runCli, runJson, tempDir, twoMachines } from './harness.js';

const as = (name: string) => ({ env: { PLANALIGN_SYNC_AUTHOR_NAME: '', PLANALIGN_SYNC_AUTHOR_EMAIL: '' }, name });

/**
 * Teammates on the loopback server: Ana owns the workspaces (machine A, and her second machine
 * B); Carl has a root and a remote of his own and imports one of Ana's workspaces by link.
 */
describe('working as a team', () => {
  let server: GitServer;
  let url: string;
  let ana: string;
  let anaLaptop: string;
  let carl: string;
  let carlRemote: string;
  let generated: GeneratedRoot;
  let shared: string;
  let scenario: string;
  const cli = (root: string, args: string[]) => runJson(['--root', root, 'sync', ...args], { env: as('').env });
  const scenarioFile = (root: string) => path.join(root, shared, 'scenarios', scenario, 'scenario.json');
  const overridesFile = (root: string) => path.join(root, shared, 'scenarios', scenario, 'overrides.yaml');

  beforeAll(async () => {
    ({ server, url, machineA: ana, machineB: anaLaptop, generated } = await twoMachines('ana'));
    shared = generated.workspaceIds[0];
    scenario = (await fsp.readdir(path.join(ana, shared, 'scenarios'))).sort()[0];
    carlRemote = await server.createRepo('carl', { defaultBranch: 'main' });
    carl = path.join(await tempDir('carl'), 'workspaces');
    await generateWorkspaces({ root: carl, ...PRESETS.demo, seed: 99 });
    expect((await cli(ana, ['init', '--remote', url, '--author', 'Ana Lima', '--email', 'ana@example.com'])).code).toBe(0);
    expect((await cli(ana, ['push'])).code).toBe(0);
    expect((await cli(anaLaptop, ['init', '--remote', url, '--author', 'Ana Lima', '--email', 'ana@example.com'])).code).toBe(0);
    expect((await cli(carl, ['init', '--remote', carlRemote, '--author', 'Carl Berg', '--email', 'carl@example.com'])).code).toBe(0);
    expect((await cli(carl, ['push'])).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('share prints a link naming the remote, branch and workspace, and nothing secret', async () => {
    const share = await cli(ana, ['share', shared]);
    expect(share.code, JSON.stringify(share.body)).toBe(0);
    expect(share.body.on_remote).toBe(true);
    const link = new URL(share.body.link);
    expect(link.protocol).toBe('planalign:');
    expect(link.searchParams.get('remote')).toBe(url);
    expect(link.searchParams.get('branch')).toBe('main');
    expect(link.searchParams.get('workspace')).toBe(shared);

    // A link carrying a token is refused before anything is fetched.
    const leaky = new URL(share.body.link);
    leaky.searchParams.set('remote', url.replace('http://', 'http://x:secret-token@'));
    const refused = await runCli(['--root', carl, 'sync', 'import', leaky.toString()]);
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).not.toContain('secret-token');
  });

  it('import brings the one workspace into a teammate root without touching theirs; a second import merges', async () => {
    const before = (await fsp.readdir(carl)).filter((f) => !f.startsWith('.')).sort();
    const carlOwn = await readJson(path.join(carl, before[0], 'workspace.json'));
    const link = (await cli(ana, ['share', shared])).body.link;
    const imported = await cli(carl, ['import', link]);
    expect(imported.code, JSON.stringify(imported.body)).toBe(0);
    expect(imported.body).toMatchObject({ workspace_id: shared, merged: false, remote: 'ana' });
    const after = (await fsp.readdir(carl)).filter((f) => !f.startsWith('.')).sort();
    expect(after).toEqual([...before, shared].sort());
    expect(await readJson(path.join(carl, before[0], 'workspace.json'))).toEqual(carlOwn);
    expect(await readJson(scenarioFile(carl))).toEqual(await readJson(scenarioFile(ana)));

    const again = await cli(carl, ['import', link]);
    expect(again.code, JSON.stringify(again.body)).toBe(0);
    expect(again.body).toMatchObject({ merged: true, files_changed: 0, remote: 'ana' });
    const remotes = await cli(carl, ['remote', 'list']);
    expect(remotes.body.remotes.map((r: { name: string }) => r.name)).toEqual(['origin', 'ana']);
    expect(remotes.body.remotes[1].workspaces.map((w: { id: string }) => w.id)).toEqual([shared]);
  });

  it("a teammate's edit syncs back to the owner; contributors show who did what", async () => {
    await editScenario(carl, shared, scenario, { description: 'Carl: retirement age 67' });
    const push = await cli(carl, ['push']);
    expect(push.code, JSON.stringify(push.body)).toBe(0);
    expect(push.body.remotes).toEqual([{ name: 'ana', pushed: true, files_changed: 0, error: null }]);
    // Carl's own remote holds his workspaces and the imported one; Ana's only hers.
    expect(remoteFile(server.repoPath('carl'), `${shared}/scenarios/${scenario}/scenario.json`)).toContain('Carl: retirement age 67');

    const pull = await cli(ana, ['pull']);
    expect(pull.code, JSON.stringify(pull.body)).toBe(0);
    expect((await readJson(scenarioFile(ana))).description).toBe('Carl: retirement age 67');
    await editScenario(ana, shared, scenario, { name: 'Baseline (Ana)' });
    expect((await cli(ana, ['push'])).code).toBe(0);

    const log = await cli(ana, ['log', '--workspace', shared]);
    expect(log.code, JSON.stringify(log.body)).toBe(0);
    const byName = new Map(log.body.contributors.map((c: { author: { name: string } }) => [c.author.name, c]));
    expect([...byName.keys()].sort()).toEqual(['Ana Lima', 'Carl Berg']);
    expect(byName.get('Carl Berg')).toMatchObject({ author: { email: 'carl@example.com' }, changes: 1, scenarios: [{ id: scenario }] });
    expect((byName.get('Ana Lima') as { changes: number }).changes).toBe(2);
    expect(log.body.changes[0]).toMatchObject({ author: { name: 'Ana Lima' }, scenarios: [{ id: scenario, name: 'Baseline (Ana)' }] });
    const text = await runCli(['--root', ana, 'sync', 'log', '--workspace', shared], as(''));
    expect(text.stdout).toMatch(/Carl Berg <carl@example\.com>: 1 change/);
  });

  it('branch → edit → push; a second machine lists it with who changed it, switches to it and back', async () => {
    const created = await cli(ana, ['branch', 'create', shared, 'what-if']);
    expect(created.code, JSON.stringify(created.body)).toBe(0);
    const mainRemote = remoteHead(server.repoPath('ana'));
    await fsp.writeFile(overridesFile(ana), 'workforce:\n  target_growth_rate: 0.09\ncompensation:\n  merit_budget: 0.04\n');
    await editScenario(ana, shared, scenario, { description: 'what-if: fast growth' });
    const onBranch = (await cli(ana, ['status', '--offline'])).body.workspaces.find((w: { id: string }) => w.id === shared);
    expect(onBranch).toMatchObject({ branch: 'what-if', state: 'push_needed', changes: 2 });
    expect((await runCli(['--root', ana, 'sync', 'status', '--offline'], as(''))).stdout).toContain('showing branch "what-if"');
    const push = await cli(ana, ['push']);
    expect(push.code, JSON.stringify(push.body)).toBe(0);
    expect(push.body.branches).toEqual([{ workspace_id: shared, branch: 'what-if', pushed: true, files_changed: 0, error: null }]);
    // The branch is on the remote; the main line did not move.
    expect(remoteHead(server.repoPath('ana'))).toBe(mainRemote);
    expect(remoteFile(server.repoPath('ana'), `${shared}/scenarios/${scenario}/overrides.yaml`, `workspaces/${shared}/what-if`)).toContain('0.09');
    expect(remoteFile(server.repoPath('ana'), `${shared}/scenarios/${scenario}/overrides.yaml`)).not.toContain('0.09');

    expect((await cli(anaLaptop, ['pull'])).code).toBe(0);
    const list = await cli(anaLaptop, ['branch', 'list', shared]);
    expect(list.code, JSON.stringify(list.body)).toBe(0);
    expect(list.body.current).toBe('main');
    const whatIf = list.body.branches.find((b: { name: string }) => b.name === 'what-if');
    expect(whatIf).toMatchObject({ where: 'remote', current: false, last_changed_by: { name: 'Ana Lima' } });
    // The main line's last change was Ana's own edit, not a merge made on some machine.
    expect(list.body.branches[0]).toMatchObject({ name: 'main', last_changed_by: { name: 'Ana Lima' } });
    expect((await readJson(scenarioFile(anaLaptop))).description).not.toBe('what-if: fast growth');

    const switched = await cli(anaLaptop, ['branch', 'switch', shared, 'what-if']);
    expect(switched.code, JSON.stringify(switched.body)).toBe(0);
    expect(switched.body.files_changed).toBe(2);
    expect((await readJson(scenarioFile(anaLaptop))).description).toBe('what-if: fast growth');
    // On the branch, nothing waits to be pushed until the folder changes.
    expect((await cli(anaLaptop, ['status'])).body.local_changes).toBe(0);
    await fsp.writeFile(overridesFile(anaLaptop), 'workforce:\n  target_growth_rate: 0.09\ncompensation:\n  merit_budget: 0.05\n');
    expect((await cli(anaLaptop, ['status'])).body.local_changes).toBe(1);
    const laptopPush = await cli(anaLaptop, ['push']);
    expect(laptopPush.code, JSON.stringify(laptopPush.body)).toBe(0);
    expect(laptopPush.body.branches).toEqual([{ workspace_id: shared, branch: 'what-if', pushed: true, files_changed: 0, error: null }]);
    const back = await cli(anaLaptop, ['branch', 'switch', shared, 'main']);
    expect(back.code, JSON.stringify(back.body)).toBe(0);
    expect((await readJson(scenarioFile(anaLaptop))).description).toBe('Carl: retirement age 67');
    expect(await fsp.readFile(overridesFile(anaLaptop), 'utf8')).not.toContain('0.09');
  });

  it('merge back with a conflict: ask-user stops with nothing changed, a strategy settles it and keeps a backup', async () => {
    expect((await cli(ana, ['branch', 'switch', shared, 'main'])).code).toBe(0);
    // On the main line meanwhile: the same key changed differently, and another key changed too.
    await editScenario(ana, shared, scenario, { description: 'main: cautious', name: 'Baseline (reviewed)' });
    expect((await cli(ana, ['push'])).code).toBe(0);
    await fsp.writeFile(
      path.join(ana, '.planalign-sync.yaml'),
      (await fsp.readFile(path.join(ana, '.planalign-sync.yaml'), 'utf8')).replace('conflict_strategy: last-write-wins', 'conflict_strategy: ask-user'),
    );

    const stopped = await cli(ana, ['branch', 'merge', shared, 'what-if']);
    expect(stopped.code).toBe(5);
    expect(stopped.body.error.conflicting_files).toEqual([`${shared}/scenarios/${scenario}/scenario.json`]);
    expect((await readJson(scenarioFile(ana))).description).toBe('main: cautious');

    const merged = await cli(ana, ['branch', 'merge', shared, 'what-if', '--strategy', 'keep-remote']);
    expect(merged.code, JSON.stringify(merged.body)).toBe(0);
    const scenarioNow = await readJson(scenarioFile(ana));
    // The branch won the key both changed; the main line's other edit survived.
    expect(scenarioNow.description).toBe('what-if: fast growth');
    expect(scenarioNow.name).toBe('Baseline (reviewed)');
    // Both machines' work on the branch came in: Ana's growth rate and the laptop's merit budget.
    expect(await fsp.readFile(overridesFile(ana), 'utf8')).toBe('workforce:\n  target_growth_rate: 0.09\ncompensation:\n  merit_budget: 0.05\n');
    const conflict = merged.body.resolved_conflicts.find((r: { path: string }) => r.path.endsWith('scenario.json'));
    expect(conflict).toMatchObject({ winner: 'remote', strategy: 'keep-remote', keys: ['description'] });
    const backups = await cli(ana, ['conflicts']);
    expect(JSON.stringify(backups.body)).toContain(conflict.backup);
    expect((await cli(ana, ['push'])).code).toBe(0);
    expect(remoteFile(server.repoPath('ana'), `${shared}/scenarios/${scenario}/overrides.yaml`)).toContain('0.09');

    // A merged branch can go; one with unmerged work only with --force.
    const deleted = await cli(ana, ['branch', 'delete', shared, 'what-if']);
    expect(deleted.code, JSON.stringify(deleted.body)).toBe(0);
    expect(remoteHead(server.repoPath('ana'), `workspaces/${shared}/what-if`)).toBeNull();
    expect((await cli(ana, ['branch', 'list', shared])).body.branches.map((b: { name: string }) => b.name)).toEqual(['main']);
    // The laptop, which had the branch too, lets it go instead of pushing it back.
    const laptopPush = await cli(anaLaptop, ['push']);
    expect(laptopPush.code, JSON.stringify(laptopPush.body)).toBe(0);
    expect(laptopPush.body.branches).toEqual([{ workspace_id: shared, branch: 'what-if', pushed: false, files_changed: 0, error: null, removed: true }]);
    expect(laptopPush.body.message).toContain('branch "what-if" removed here');
    expect(remoteHead(server.repoPath('ana'), `workspaces/${shared}/what-if`)).toBeNull();
    expect((await cli(anaLaptop, ['branch', 'list', shared])).body.branches.map((b: { name: string }) => b.name)).toEqual(['main']);
    expect((await cli(ana, ['branch', 'create', shared, 'scratch'])).code).toBe(0);
    await editScenario(ana, shared, scenario, { description: 'scratch idea' });
    expect((await cli(ana, ['branch', 'switch', shared, 'main'])).code).toBe(0);
    const refused = await runCli(['--root', ana, 'sync', 'branch', 'delete', shared, 'scratch'], as(''));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/has 1 commit the main branch .* does not have: merge it first, or delete it anyway .*branch delete .* --force'/);
    expect((await cli(ana, ['branch', 'delete', shared, 'scratch', '--force'])).code).toBe(0);
    expect((await readJson(scenarioFile(ana))).description).toBe('what-if: fast growth');

    // A branch deleted on the remote while the laptop has work on it that was never shared stays there, and says so.
    expect((await cli(ana, ['branch', 'create', shared, 'side-idea'])).code).toBe(0);
    await editScenario(ana, shared, scenario, { description: 'side idea' });
    expect((await cli(ana, ['push'])).code).toBe(0);
    expect((await cli(ana, ['branch', 'switch', shared, 'main'])).code).toBe(0);
    expect((await cli(anaLaptop, ['pull'])).code).toBe(0);
    expect((await cli(anaLaptop, ['branch', 'switch', shared, 'side-idea'])).code).toBe(0);
    await editScenario(anaLaptop, shared, scenario, { description: 'side idea, laptop version' });
    expect((await cli(anaLaptop, ['branch', 'switch', shared, 'main'])).code).toBe(0);
    expect((await cli(ana, ['branch', 'delete', shared, 'side-idea', '--force'])).code).toBe(0);
    const kept = await cli(anaLaptop, ['push']);
    expect(kept.code, JSON.stringify(kept.body)).toBe(0);
    expect(kept.body.branches).toEqual([
      expect.objectContaining({
        branch: 'side-idea',
        pushed: false,
        error: expect.stringMatching(/deleted on the remote, but this computer has 1 change on it that was never shared; it is kept here/),
      }),
    ]);
    expect(remoteHead(server.repoPath('ana'), `workspaces/${shared}/side-idea`)).toBeNull();
    expect((await cli(anaLaptop, ['branch', 'list', shared])).body.branches.map((b: { name: string }) => b.name)).toContain('side-idea');
    expect((await cli(anaLaptop, ['branch', 'delete', shared, 'side-idea', '--force'])).code).toBe(0);
  });

  it("a scenario's history lists every version across machines; diff shows the settings; restore puts an old one back", async () => {
    const versions = await cli(ana, ['history', shared, scenario]);
    expect(versions.code, JSON.stringify(versions.body)).toBe(0);
    const list = versions.body.versions as { version: string; author: { name: string }; current: boolean; files: string[] }[];
    expect(list.length).toBeGreaterThanOrEqual(4);
    expect(list[0].current).toBe(true);
    expect(new Set(list.map((v) => v.author.name))).toEqual(new Set(['Ana Lima', 'Carl Berg']));
    const original = list[list.length - 1];

    const diff = await cli(ana, ['history', 'diff', shared, scenario, original.version, 'current']);
    expect(diff.code, JSON.stringify(diff.body)).toBe(0);
    expect(diff.body.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'overrides.yaml', key: 'workforce.target_growth_rate', kind: 'changed', after: 0.09 }),
        expect.objectContaining({ file: 'scenario.json', key: 'description', after: 'what-if: fast growth' }),
      ]),
    );
    expect(diff.body.patch).toContain('+  target_growth_rate: 0.09');
    // In text too: the settings that changed, then the lines themselves.
    const diffText = await runCli(['--root', ana, 'sync', 'history', 'diff', shared, scenario, original.version], as(''));
    expect(diffText.stdout).toContain('~ overrides.yaml: workforce.target_growth_rate');
    expect(diffText.stdout).toContain('+  target_growth_rate: 0.09');

    const statusBefore = (await readJson(scenarioFile(ana))).status;
    const keysBefore = Object.keys(await readJson(scenarioFile(ana)));
    const restoredText = await runCli(['--root', ana, 'sync', 'history', 'restore', shared, scenario, original.version], as(''));
    expect(restoredText.code, restoredText.stderr).toBe(0);
    // It names the backups of the two files it replaced.
    expect([...restoredText.stdout.matchAll(/\d{4}-\d\d-\d\dT[\w-]+/g)]).toHaveLength(2);
    // The file keeps its own key order: a restore reads as a change of values only.
    expect(Object.keys(await readJson(scenarioFile(ana)))).toEqual(keysBefore);
    expect(await fsp.readFile(overridesFile(ana), 'utf8')).not.toContain('0.09');
    const scenarioNow = await readJson(scenarioFile(ana));
    expect(scenarioNow.description).not.toBe('what-if: fast growth');
    // Run fields are as they are now, not as they were.
    expect(scenarioNow.status).toBe(statusBefore);
    const again = await cli(ana, ['history', 'diff', shared, scenario, original.version]);
    expect(again.body.changes).toEqual([]);

    expect((await cli(ana, ['push'])).code).toBe(0);
    expect((await cli(anaLaptop, ['pull'])).code).toBe(0);
    expect(await fsp.readFile(overridesFile(anaLaptop), 'utf8')).toBe(await fsp.readFile(overridesFile(ana), 'utf8'));
  });

  it('bad input names what is wrong', async () => {
    const badBranch = await runCli(['--root', ana, 'sync', 'branch', 'create', shared, '../x'], as(''));
    expect(badBranch.code).toBe(2);
    expect(badBranch.stderr).toMatch(/"\.\.\/x" is not usable/);
    const noBranch = await runCli(['--root', ana, 'sync', 'branch', 'switch', shared, 'nope'], as(''));
    expect(noBranch.code).toBe(2);
    expect(noBranch.stderr).toMatch(/has no branch "nope"/);
    const badVersion = await runCli(['--root', ana, 'sync', 'history', 'restore', shared, scenario, 'zzzz'], as(''));
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toMatch(/"zzzz" is not a version/);
    const fresh = path.join(await tempDir('fresh'), 'workspaces');
    const noWorkspace = await runCli(['--root', fresh, 'sync', 'import', url, '--workspace', 'Nope'], as(''));
    expect(noWorkspace.code).toBe(2);
    expect(noWorkspace.stderr).toMatch(/has no workspace "Nope"/);
  });

  it('import into a root with no sync yet brings exactly that workspace', async () => {
    const fresh = path.join(await tempDir('dana'), 'workspaces');
    const name = (await readJson(path.join(ana, shared, 'workspace.json'))).name;
    const imported = await cli(fresh, ['import', url, '--workspace', name]);
    expect(imported.code, JSON.stringify(imported.body)).toBe(0);
    expect((await fsp.readdir(fresh)).filter((f) => !f.startsWith('.'))).toEqual([shared]);
    expect(existsSync(path.join(fresh, '.planalign-sync.yaml'))).toBe(true);
    expect((await cli(fresh, ['pull'])).code).toBe(0);
    // It syncs through the team remote the import added: status and share know that remote.
    const stateOf = async () => (await cli(fresh, ['status', '--offline'])).body.workspaces.find((w: { id: string }) => w.id === shared);
    expect(await stateOf()).toMatchObject({ state: 'synced', changes: 0 });
    await editScenario(fresh, shared, scenario, { description: 'Dana was here' });
    expect(await stateOf()).toMatchObject({ state: 'push_needed', changes: 1 });
    expect((await cli(fresh, ['push'])).code).toBe(0);
    expect(await stateOf()).toMatchObject({ state: 'synced', changes: 0 });
    const share = await cli(fresh, ['share', shared]);
    expect(share.code, JSON.stringify(share.body)).toBe(0);
    expect(share.body).toMatchObject({ remote_url: url, on_remote: true });
  });

  it('a root set up by an import shows the remote it syncs with, is level with it after each push, and logs the pushes', async () => {
    const link = (await cli(ana, ['share', shared])).body.link;
    const erin = path.join(await tempDir('erin'), 'workspaces');
    await fsp.mkdir(erin, { recursive: true });
    expect((await cli(erin, ['import', link])).code).toBe(0);
    const name = (await readJson(path.join(erin, shared, 'workspace.json'))).name;
    const status = async () => (await cli(erin, ['status'])).body;
    expect(await status()).toMatchObject({ remote_url: null, remotes: [{ name: 'ana', url, branch: 'main', workspaces: [{ id: shared, name }] }], ahead: 0 });
    const text = await runCli(['--root', erin, 'sync', 'status'], as(''));
    expect(text.stdout).toContain(`Remote "ana": ${url} (branch main), carries ${name}`);
    expect(text.stdout).not.toContain('(none)');
    expect(text.stdout).not.toContain('nothing pushed yet');

    // Work recorded here and not yet shared is ahead; each push brings it level again.
    await editScenario(erin, shared, scenario, { description: 'Erin, not shared yet' });
    expect((await cli(erin, ['pull'])).code).toBe(0);
    expect((await status()).ahead).toBe(1);
    for (const description of ['Erin: first push', 'Erin: second push']) {
      await editScenario(erin, shared, scenario, { description });
      const push = await cli(erin, ['push']);
      expect(push.code, JSON.stringify(push.body)).toBe(0);
      expect(push.body).toMatchObject({ changed_workspaces: [name], files_changed: 1 });
      expect(await status()).toMatchObject({ ahead: 0, local_changes: 0 });
      expect((await runCli(['--root', erin, 'sync', 'status'], as(''))).stdout).toContain('ahead 0 · behind 0');
    }
    expect(remoteFile(server.repoPath('ana'), `${shared}/scenarios/${scenario}/scenario.json`)).toContain('Erin: second push');

    const log = await cli(erin, ['log']);
    const pushes = log.body.filter((entry: { operation: string }) => entry.operation === 'push');
    expect(pushes).toHaveLength(2);
    for (const entry of pushes)
      expect(entry).toMatchObject({ workspaces_affected: [name], message: expect.stringMatching(/^Pushed update of scenario ".*" \(shared with "ana"\)$/) });
    expect((await runCli(['--root', erin, 'sync', 'log'], as(''))).stdout).toMatch(/Pushed update of scenario/);
  });
});

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { nativeGit, readJson, remoteFile, remoteFiles, runCli, runJson, tempDir, twoMachines } from './harness.js';

/** An owner with a personal remote and a team remote; a teammate who has only the team remote. */
describe('several remotes', () => {
  let server: GitServer;
  let personal: string;
  let team: string;
  let owner: string;
  let teammate: string;
  let laptop: string;
  let generated: GeneratedRoot;
  let shared: string;
  let privateOne: string;
  const teamRepo = () => server.repoPath('team');
  const scenarioOf = async (root: string, workspaceId: string) => (await fsp.readdir(path.join(root, workspaceId, 'scenarios')))[0];

  beforeAll(async () => {
    ({ server, url: personal, machineA: owner, machineB: laptop, generated } = await twoMachines('personal'));
    team = await server.createRepo('team', { defaultBranch: 'main' });
    teammate = path.join(await tempDir('teammate'), 'workspaces');
    [shared, privateOne] = generated.workspaceIds;
    expect((await runCli(['--root', owner, 'sync', 'init', '--remote', personal])).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a team remote carries only the workspaces mapped to it; the personal one carries all', async () => {
    const sharedName = (await readJson(path.join(owner, shared, 'workspace.json'))).name;
    const added = await runJson(['--root', owner, 'sync', 'remote', 'add', 'team', team, '--workspaces', sharedName]);
    expect(added.code, JSON.stringify(added.body)).toBe(0);
    expect(added.body.remotes.map((r: { name: string }) => r.name)).toEqual(['origin', 'team']);
    expect(added.body.remotes[1].workspaces).toEqual([{ id: shared, name: sharedName }]);

    const push = await runJson(['--root', owner, 'sync', 'push']);
    expect(push.code, JSON.stringify(push.body)).toBe(0);
    expect(push.body.remotes).toEqual([{ name: 'team', pushed: true, files_changed: 0, error: null }]);
    const teamFiles = remoteFiles(teamRepo());
    const topLevel = [...new Set(teamFiles.map((f) => f.split('/')[0]))].sort();
    expect(topLevel).toEqual(['.gitignore', '.planalign-sync.yaml', shared].sort());
    expect(remoteFile(teamRepo(), '.planalign-sync.yaml')).toContain(`remote: ${team}`);
    expect(remoteFile(teamRepo(), '.planalign-sync.yaml')).not.toContain(personal);
    const personalTop = new Set(remoteFiles(server.repoPath('personal')).map((f) => f.split('/')[0]));
    expect(personalTop.has(shared) && personalTop.has(privateOne)).toBe(true);
    // native git can read what was sent
    expect(nativeGit(teamRepo(), ['fsck', '--no-progress']).code).toBe(0);
    // The team sees who sent it, never a folder of the owner's machine.
    const messages = nativeGit(teamRepo(), ['log', '--all', '--format=%B']).stdout;
    expect(messages).not.toContain(path.dirname(owner));
  });

  it('a teammate with only the team remote gets exactly the shared workspace, and their edit comes back to the owner', async () => {
    const init = await runJson(['--root', teammate, 'sync', 'init', '--remote', team]);
    expect(init.code, JSON.stringify(init.body)).toBe(0);
    const folders = (await fsp.readdir(teammate)).filter((f) => !f.startsWith('.'));
    expect(folders).toEqual([shared]);

    const scenarioId = await scenarioOf(teammate, shared);
    await editScenario(teammate, shared, scenarioId, { description: 'from the teammate' });
    expect((await runCli(['--root', teammate, 'sync', 'push'])).code).toBe(0);

    const pull = await runJson(['--root', owner, 'sync', 'pull']);
    expect(pull.code, JSON.stringify(pull.body)).toBe(0);
    expect(pull.body.remotes).toEqual([{ name: 'team', pushed: false, files_changed: 1, error: null }]);
    expect((await readJson(path.join(owner, shared, 'scenarios', scenarioId, 'scenario.json'))).description).toBe('from the teammate');
    expect(nativeGit(owner, ['status', '--porcelain']).stdout).toBe('');

    // the owner's next push brings it to the personal remote too
    expect((await runCli(['--root', owner, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(server.repoPath('personal'), `${shared}/scenarios/${scenarioId}/scenario.json`)).toContain('from the teammate');
  });

  it('edits on both sides of the team remote merge by key, and the owner can sync with one remote only', async () => {
    const scenarioId = await scenarioOf(owner, shared);
    await editScenario(owner, shared, scenarioId, { name: 'Owner renamed it' });
    await editScenario(teammate, shared, scenarioId, { status: 'queued' });
    expect((await runCli(['--root', teammate, 'sync', 'push'])).code).toBe(0);

    const onlyTeam = await runJson(['--root', owner, 'sync', 'push', '--remote', 'team']);
    expect(onlyTeam.code, JSON.stringify(onlyTeam.body)).toBe(0);
    const merged = await readJson(path.join(owner, shared, 'scenarios', scenarioId, 'scenario.json'));
    expect(merged).toMatchObject({ name: 'Owner renamed it', status: 'queued' });
    // --remote team left the personal remote alone
    expect(remoteFile(server.repoPath('personal'), `${shared}/scenarios/${scenarioId}/scenario.json`)).not.toContain('Owner renamed it');

    expect((await runCli(['--root', teammate, 'sync', 'pull'])).code).toBe(0);
    expect(await readJson(path.join(teammate, shared, 'scenarios', scenarioId, 'scenario.json'))).toMatchObject({ name: 'Owner renamed it', status: 'queued' });

    const unknown = await runJson(['--root', owner, 'sync', 'push', '--remote', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.body.error.message).toContain('origin, team');
  });

  it("after a pull, the teammate's later edits are not undone by the owner's next push", async () => {
    const scenarioId = await scenarioOf(owner, shared);
    await editScenario(teammate, shared, scenarioId, { description: 'T1' });
    expect((await runCli(['--root', teammate, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', owner, 'sync', 'pull'])).code).toBe(0);
    await editScenario(teammate, shared, scenarioId, { description: 'T3' });
    expect((await runCli(['--root', teammate, 'sync', 'push'])).code).toBe(0);
    // the owner never touched the file: their push must carry the teammate's newest edit, not T1
    expect((await runCli(['--root', owner, 'sync', 'push', '--strategy', 'ask-user'])).code).toBe(0);
    expect(remoteFile(teamRepo(), `${shared}/scenarios/${scenarioId}/scenario.json`)).toContain('"T3"');
    expect((await readJson(path.join(owner, shared, 'scenarios', scenarioId, 'scenario.json'))).description).toBe('T3');
  });

  it('each side keeps its authorship through the team remote, and the teammate’s commits reach origin', async () => {
    expect((await runCli(['--root', owner, 'sync', 'author', '--name', 'Olivia Owner', '--email', 'olivia@example.com'])).code).toBe(0);
    expect((await runCli(['--root', teammate, 'sync', 'author', '--name', 'Tomas Team', '--email', 'tomas@example.com'])).code).toBe(0);
    const scenarioId = await scenarioOf(owner, shared);
    const privateName = (await readJson(path.join(owner, privateOne, 'workspace.json'))).name as string;

    // The teammate's edit comes in as their own commit, merged, and goes on to origin as it is.
    await editScenario(teammate, shared, scenarioId, { description: 'by Tomas' });
    expect((await runCli(['--root', teammate, 'sync', 'push'])).code).toBe(0);
    const tomasCommit = nativeGit(teamRepo(), ['log', '-1', '--author=tomas@example.com', '--format=%H', 'main']).stdout.trim();
    expect(tomasCommit).toMatch(/^[0-9a-f]{40}$/);
    expect((await runCli(['--root', owner, 'sync', 'pull'])).code).toBe(0);
    expect((await runCli(['--root', owner, 'sync', 'push'])).code).toBe(0);
    expect(nativeGit(server.repoPath('personal'), ['merge-base', '--is-ancestor', tomasCommit, 'main']).code).toBe(0);
    const ownerLog = await runJson(['--root', owner, 'sync', 'log', '--workspace', shared]);
    expect(ownerLog.body.contributors.find((c: { author: { name: string } }) => c.author.name === 'Tomas Team')).toMatchObject({
      author: { email: 'tomas@example.com' },
      changes: 1,
    });

    // Two changes of the owner (one of them also touching a workspace the team does not carry)
    // reach the team as two commits of the owner, with their dates, naming nothing private.
    await editScenario(owner, shared, scenarioId, { description: 'first by Olivia' });
    const privateFile = path.join(owner, privateOne, 'workspace.json');
    await fsp.writeFile(privateFile, JSON.stringify({ ...(await readJson(privateFile)), description: 'private to Olivia' }, null, 2));
    expect((await runCli(['--root', owner, 'sync', 'push', '--remote', 'origin'])).code).toBe(0);
    await editScenario(owner, shared, scenarioId, { description: 'second by Olivia' });
    expect((await runCli(['--root', owner, 'sync', 'push'])).code).toBe(0);

    const authored = ['--no-merges', '--author=olivia@example.com', '--format=%an|%ae|%at|%ad'];
    const atTeam = nativeGit(teamRepo(), ['log', ...authored, 'main'])
      .stdout.trim()
      .split('\n');
    const atOwner = nativeGit(owner, ['log', '--first-parent', ...authored, 'HEAD', '--', shared])
      .stdout.trim()
      .split('\n');
    expect(atTeam).toHaveLength(2);
    expect(atTeam).toEqual(atOwner);
    const teamMessages = nativeGit(teamRepo(), ['log', '--format=%B', 'main']).stdout;
    expect(teamMessages).not.toContain(privateName);
    expect(teamMessages).not.toContain(privateOne);
    expect(teamMessages).not.toContain(path.dirname(owner));
    expect(teamMessages).not.toMatch(/Sync workspaces from Olivia/);

    // The teammate sees both people; nobody's change is counted twice on either side.
    expect((await runCli(['--root', teammate, 'sync', 'pull'])).code).toBe(0);
    for (const root of [owner, teammate]) {
      const log = await runJson(['--root', root, 'sync', 'log', '--workspace', shared]);
      const byName = new Map(log.body.contributors.map((c: { author: { name: string }; changes: number }) => [c.author.name, c.changes]));
      expect(byName.get('Olivia Owner'), root).toBe(2);
      expect(byName.get('Tomas Team'), root).toBe(1);
    }

    // The owner's laptop, through origin, carries its own change and none of the desktop's again.
    expect((await runCli(['--root', laptop, 'sync', 'init', '--remote', personal, '--author', 'Olivia Owner', '--email', 'olivia@example.com'])).code).toBe(0);
    // Its first exchange with the team merges from the team's commits the root already holds:
    // a key the teammate changed meanwhile and one the laptop changed are both kept, no conflict.
    await editScenario(teammate, shared, scenarioId, { name: 'Renamed by Tomas' });
    expect((await runCli(['--root', teammate, 'sync', 'push'])).code).toBe(0);
    await editScenario(laptop, shared, scenarioId, { description: 'from the laptop' });
    const laptopPush = await runJson(['--root', laptop, 'sync', 'push']);
    expect(laptopPush.code, JSON.stringify(laptopPush.body)).toBe(0);
    expect(JSON.stringify(laptopPush.body)).not.toMatch(/kept the (local|remote) version/);
    for (const side of [
      remoteFile(teamRepo(), `${shared}/scenarios/${scenarioId}/scenario.json`),
      remoteFile(server.repoPath('personal'), `${shared}/scenarios/${scenarioId}/scenario.json`),
    ]) {
      expect(JSON.parse(side!)).toMatchObject({ name: 'Renamed by Tomas', description: 'from the laptop' });
    }
    expect(
      nativeGit(teamRepo(), ['log', ...authored, 'main'])
        .stdout.trim()
        .split('\n'),
    ).toHaveLength(3);
    expect(nativeGit(teamRepo(), ['log', '-1', '--no-merges', '--author=olivia@example.com', '--format=%an|%at', 'main']).stdout.trim()).toBe(
      nativeGit(laptop, ['log', '-1', '--no-merges', '--author=olivia@example.com', '--format=%an|%at', 'HEAD']).stdout.trim(),
    );
    expect(nativeGit(teamRepo(), ['log', '--author=olivia@example.com', '--format=%s', 'main']).stdout).not.toMatch(/Sync workspaces from/);
    for (const repo of [teamRepo(), server.repoPath('personal')]) expect(nativeGit(repo, ['fsck', '--full', '--strict', '--no-progress']).code).toBe(0);
  });

  it('a team remote that cannot be reached is reported while origin still syncs', async () => {
    const settings = path.join(owner, '.planalign-sync.yaml');
    const before = await fsp.readFile(settings, 'utf8');
    expect((await runCli(['--root', owner, 'sync', 'remote', 'add', 'offline', 'http://127.0.0.1:9/nowhere.git', '--workspaces', shared])).code).toBe(0);
    const file = path.join(owner, privateOne, 'workspace.json');
    await fsp.writeFile(file, JSON.stringify({ ...(await readJson(file)), description: 'while a team remote is down' }, null, 2));
    const push = await runJson(['--root', owner, 'sync', 'push']);
    expect(push.code, JSON.stringify(push.body)).toBe(0);
    expect(push.body.remotes.find((r: { name: string }) => r.name === 'offline').error).toMatch(/reach|connect/i);
    expect(remoteFile(server.repoPath('personal'), `${privateOne}/workspace.json`)).toContain('while a team remote is down');
    // asked for alone, its failure is the command's
    expect((await runJson(['--root', owner, 'sync', 'push', '--remote', 'offline'])).code).toBe(4);
    expect((await runCli(['--root', owner, 'sync', 'remote', 'remove', 'offline'])).code).toBe(0);
    expect(await fsp.readFile(settings, 'utf8')).toBe(before);
  });

  it('lists and removes remotes, refusing names and URLs that cannot work', async () => {
    const list = await runCli(['--root', owner, 'sync', 'remote', 'list']);
    expect(list.stdout).toMatch(/^origin .*\n +carries every synced workspace\nteam /m);
    const badName = await runJson(['--root', owner, 'sync', 'remote', 'add', 'origin', team]);
    expect(badName.code).toBe(2);
    const leaky = await runJson(['--root', owner, 'sync', 'remote', 'add', 'other', 'https://me:tok3n@example.com/x.git']);
    expect(leaky.code).toBe(2);
    expect(JSON.stringify(leaky.body)).not.toContain('tok3n');
    // Sharing a workspace the team remote does not carry says how to add it, keeping what it carries.
    const notCarried = await runJson(['--root', owner, 'sync', 'share', privateOne, '--remote', 'team']);
    expect(notCarried.code).toBe(2);
    const hint = /'planalign (sync remote add [^']+)'/.exec(notCarried.body.error.message)![1].split(' ');
    expect((await runCli(['--root', owner, ...hint])).code).toBe(0);
    const carried = (await runJson(['--root', owner, 'sync', 'remote', 'list'])).body.remotes.find((r: { name: string }) => r.name === 'team');
    expect(carried.workspaces.map((w: { id: string }) => w.id).sort()).toEqual([shared, privateOne].sort());
    const removed = await runJson(['--root', owner, 'sync', 'remote', 'remove', 'team']);
    expect(removed.code).toBe(0);
    expect(removed.body.remotes.map((r: { name: string }) => r.name)).toEqual(['origin']);
    expect(remoteFiles(teamRepo()).length).toBeGreaterThan(0);
  });
});

/**
 * The settings file travels, but the address a computer reaches the remote by is its own: one
 * that joins with its user name in the URL (as Bitbucket and Azure DevOps give it) must not move
 * the others to that address.
 */
describe('the address of the remote', () => {
  let server: GitServer;
  afterAll(async () => {
    await server?.stop();
  });

  it('stays the one each computer was given when another joins by another address, as git keeps each clone its own', async () => {
    let url: string;
    let a: string;
    let b: string;
    ({ server, url, machineA: a, machineB: b } = await twoMachines('addresses'));
    const withUser = url.replace('http://', 'http://someone@');
    const c = path.join(await tempDir('addresses-c'), 'workspaces');
    expect((await runCli(['--root', a, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', b, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', c, 'sync', 'init', '--remote', withUser])).code).toBe(0);
    const pushed = await runCli(['--root', c, 'sync', 'push']);
    expect(pushed.code, pushed.stderr).toBe(0);

    for (const root of [a, b]) {
      const pull = await runCli(['--root', root, 'sync', 'pull']);
      expect(pull.code, pull.stderr).toBe(0);
      const status = await runJson(['--root', root, 'sync', 'status']);
      expect(status.body.remote_url).toBe(url);
      expect(status.body.remotes[0].url).toBe(url);
      // a re-run of init without --remote keeps this computer's address too
      expect((await runJson(['--root', root, 'sync', 'init'])).body.remote_url).toBe(url);
    }
    expect((await runJson(['--root', c, 'sync', 'status'])).body.remote_url).toBe(withUser);
    // native git's clones keep their own address the same way
    expect(nativeGit(path.dirname(a), ['-C', a, 'remote', 'get-url', 'origin']).stdout.trim()).toBe(url);
  });
});

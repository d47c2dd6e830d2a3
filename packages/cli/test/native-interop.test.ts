import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFsckClean, gitAsync, nativeGit, readJson, runCli, runJson, tempDir, twoMachines, writeJson, type TwoMachines } from './harness.js';

/** Native git as a teammate, talking to the loopback server. */
const gitRemote = (cwd: string, ...args: string[]) => gitAsync(cwd, ['-c', 'user.name=Tea Mate', '-c', 'user.email=teammate@example.test', ...args]);
const fsckClean = expectFsckClean;

/**
 * planalign-sync beside native git on the same remote: a teammate who uses git (or the host's
 * web page) adds files sync does not model, native git maintains the repositories in between,
 * and nothing is lost or rewritten. Native git is the judge: after each step every repository
 * passes `git fsck --full --strict`, and the remote refuses bad objects (receive.fsckObjects).
 */
function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=Tea Mate', '-c', 'user.email=teammate@example.test', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} in ${cwd}: ${result.stderr}`);
  return result.stdout;
}

/** Every entry of a tree with its mode and id, as native git lists it. */
const treeListing = (repository: string, rev: string) => git(repository, 'ls-tree', '-r', '-z', rev).split('\0').filter(Boolean).sort();

/** Every file, link and folder a working tree holds outside .git and the backups, with what makes it itself. */
async function workingTree(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (folder: string) => {
    for (const dirent of await fsp.readdir(path.join(root, folder), { withFileTypes: true })) {
      const relative = folder ? `${folder}/${dirent.name}` : dirent.name;
      if (relative === '.git' || relative === '.planalign-sync-backups') continue;
      const full = path.join(root, relative);
      if (dirent.isSymbolicLink()) found[relative] = `link → ${await fsp.readlink(full)}`;
      else if (dirent.isDirectory()) await walk(relative);
      else found[relative] = `${(await fsp.stat(full)).mode & 0o100 ? 'executable ' : ''}${await fsp.readFile(full, 'utf8')}`;
    }
  };
  await walk('');
  return found;
}

/** Two working trees hold the same version of every path the shared copy has (their unsynced outputs aside). */
function expectSameShared(bare: string, actual: Record<string, string>, expected: Record<string, string>): void {
  const shared = git(bare, 'ls-tree', '-r', '-z', '--name-only', 'main').split('\0').filter(Boolean);
  const pick = (tree: Record<string, string>) => Object.fromEntries(shared.filter((file) => file in tree).map((file) => [file, tree[file]]));
  expect(Object.keys(pick(expected)).length).toBeGreaterThan(shared.length - 3);
  expect(pick(actual)).toEqual(pick(expected));
}

describe('sync beside a teammate who uses native git', () => {
  let machines: TwoMachines;
  let bare: string;
  let teammate: string;
  let workspace: string;
  let otherWorkspace: string;
  const cli = (root: string, ...args: string[]) => runCli(['--root', root, 'sync', ...args]);
  const scenarioFile = async (root: string, ws: string) => {
    const scenarios = path.join(root, ws, 'scenarios');
    return path.join(scenarios, (await fsp.readdir(scenarios)).sort()[0], 'scenario.json');
  };
  const editScenario = async (root: string, ws: string, description: string) => {
    const file = await scenarioFile(root, ws);
    await writeJson(file, { ...(await readJson(file)), description });
  };

  beforeAll(async () => {
    machines = await twoMachines('interop');
    bare = machines.server.repoPath('interop');
    git(bare, 'config', 'receive.fsckObjects', 'true');
    [workspace, otherWorkspace] = [...machines.generated.workspaceIds].sort();
    expect((await cli(machines.machineA, 'init', '--remote', machines.url)).code).toBe(0);
    expect((await cli(machines.machineA, 'push')).code).toBe(0);
    teammate = path.join(await tempDir('teammate'), 'clone');
    await gitRemote(path.dirname(teammate), 'clone', '-q', machines.url, teammate);
  });

  afterAll(async () => {
    await machines?.server.stop();
  });

  it('carries a README, notes, an executable, symbolic links and any names through every sync, byte for byte', async () => {
    const { machineA, machineB } = machines;
    await fsp.writeFile(path.join(teammate, 'README.md'), '# Our workspaces\n');
    await fsp.writeFile(path.join(teammate, workspace, 'notes.txt'), 'ask finance about COLA\n');
    await fsp.mkdir(path.join(teammate, 'tools'));
    await fsp.writeFile(path.join(teammate, 'tools', 'check.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
    await fsp.symlink('workspace.json', path.join(teammate, workspace, 'current.json'));
    await fsp.symlink('../README.md', path.join(teammate, 'tools', 'readme-link'));
    await fsp.writeFile(path.join(teammate, workspace, '😀.json'), '{"emoji": true}\n');
    await fsp.writeFile(path.join(teammate, workspace, 'Ａ.json'), '{"fullwidth": true}\n');
    // A name that is not UTF-8, as some tools on Linux write them.
    await fsp.writeFile(Buffer.from(`${teammate}/${workspace}/latin1-\xe9.json`, 'latin1'), '{"latin1": true}\n');
    // The root's .gitignore leaves these out; the host's web page and 'git add -f' do not care.
    git(teammate, 'add', '-A', '--force');
    git(teammate, 'commit', '-qm', 'Notes, tools and links');
    await gitRemote(teammate, 'push', '-q', 'origin', 'main');
    const shared = treeListing(teammate, 'HEAD');

    const pulled = await runJson(['--root', machineA, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.body.skipped.map((s: { path: string }) => s.path).join(' ')).toContain('latin1-');
    const onA = await workingTree(machineA);
    expect(onA['README.md']).toBe('# Our workspaces\n');
    expect(onA['tools/check.sh']).toBe('executable #!/bin/sh\necho ok\n');
    expect(onA[`${workspace}/current.json`]).toBe('link → workspace.json');
    expect(onA['tools/readme-link']).toBe('link → ../README.md');
    expect(onA[`${workspace}/😀.json`]).toBe('{"emoji": true}\n');
    expect(nativeGit(machineA, ['status', '--porcelain']).stdout).toBe('');

    // A link that came with the files is not a warning on every sync.
    const status = await runJson(['--root', machineA, 'sync', 'status']);
    expect(JSON.stringify(status.body)).not.toContain('current.json');

    await editScenario(machineA, workspace, 'after the teammate');
    expect((await cli(machineA, 'push')).code).toBe(0);
    const afterPush = treeListing(bare, 'main');
    for (const entry of shared.filter((line) => !line.includes('scenario.json'))) expect(afterPush).toContain(entry);
    expect(afterPush.filter((line) => line.includes('scenario.json'))).not.toEqual(shared.filter((line) => line.includes('scenario.json')));

    expect((await cli(machineB, 'init', '--remote', machines.url)).code).toBe(0);
    expectSameShared(bare, await workingTree(machineB), await workingTree(machineA));
    for (const repository of [machineA, machineB, teammate, bare]) fsckClean(repository);
  });

  it('native gc, repack and a version-4 index between syncs lose nothing, an excluded workspace included', async () => {
    const { machineA, machineB } = machines;
    const otherFiles = () => treeListing(bare, 'main').filter((line) => line.includes(`\t${otherWorkspace}/`));
    const before = otherFiles();
    expect(before.length).toBeGreaterThan(5);
    expect((await cli(machineA, 'exclude', otherWorkspace)).code).toBe(0);
    for (const [root, label] of [
      [machineA, 'from A'],
      [machineB, 'from B'],
    ]) {
      git(root, 'gc', '-q');
      git(root, 'repack', '-q', '-adf', '--depth=50');
      git(root, 'update-index', '--index-version', '4');
      expect((await cli(root, 'pull')).code).toBe(0);
      await editScenario(root, workspace, label);
      const push = await cli(root, 'push');
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      expect(otherFiles()).toEqual(before);
      fsckClean(root);
    }
    expect((await cli(machineA, 'pull')).code).toBe(0);
    const [a, b] = [await workingTree(machineA), await workingTree(machineB)];
    for (const file of Object.keys(b).filter((f) => !f.startsWith(`${otherWorkspace}/`))) expect(a[file], file).toBe(b[file]);
    expect((await cli(machineA, 'include', otherWorkspace)).code).toBe(0);
    fsckClean(bare);
  });

  it("takes a teammate's merge commit, and the teammate takes sync's", async () => {
    const { machineA } = machines;
    await gitRemote(teammate, 'pull', '-q', '--no-rebase', 'origin', 'main');
    await fsp.writeFile(path.join(teammate, 'README.md'), '# Our workspaces\n\nUpdated by the teammate.\n');
    git(teammate, 'commit', '-qam', 'README');
    await editScenario(machineA, workspace, 'at the same time on A');
    expect((await cli(machineA, 'push')).code).toBe(0);
    await gitRemote(teammate, 'pull', '-q', '--no-rebase', 'origin', 'main');
    await gitRemote(teammate, 'push', '-q', 'origin', 'main');
    expect(git(bare, 'rev-list', '--merges', '--count', 'main').trim()).not.toBe('0');
    const pulled = await runJson(['--root', machineA, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    // Not "Already up to date": a file outside the workspaces came down.
    expect(pulled.body.message).toMatch(/^Brought down 1 file outside the workspaces/);
    expect(await fsp.readFile(path.join(machineA, 'README.md'), 'utf8')).toContain('Updated by the teammate.');
    expect((await readJson(await scenarioFile(teammate, workspace))).description).toBe('at the same time on A');
    for (const repository of [machineA, teammate, bare]) fsckClean(repository);
  });

  it("counts only workspace folders in a pull: a teammate's submodules are not workspaces", async () => {
    const { machineA } = machines;
    await gitRemote(teammate, 'pull', '-q', '--no-rebase', 'origin', 'main');
    const commit = git(teammate, 'rev-parse', 'HEAD').trim();
    // `git submodule add` records a gitlink and .gitmodules; the submodules' own files are another repository's.
    await fsp.writeFile(
      path.join(teammate, '.gitmodules'),
      '[submodule "models"]\n\tpath = vendor/models\n\turl = https://git.example.test/models.git\n[submodule "extlib"]\n\tpath = extlib\n\turl = https://git.example.test/extlib.git\n',
    );
    git(teammate, 'add', '--force', '.gitmodules');
    git(teammate, 'update-index', '--add', '--cacheinfo', `160000,${commit},vendor/models`);
    git(teammate, 'update-index', '--add', '--cacheinfo', `160000,${commit},extlib`);
    await editScenario(teammate, workspace, 'edited beside the submodules');
    git(teammate, 'add', path.relative(teammate, await scenarioFile(teammate, workspace)));
    git(teammate, 'commit', '-qm', 'Add the models and extlib submodules');
    await gitRemote(teammate, 'push', '-q', 'origin', 'main');

    const name = (await readJson(path.join(machineA, workspace, 'workspace.json'))).name;
    const pulled = await runJson(['--root', machineA, 'sync', 'pull']);
    expect(pulled.code, JSON.stringify(pulled.body)).toBe(0);
    expect(pulled.body.updated_workspaces).toEqual([name]);
    expect(pulled.body.message).toBe('Updated 1 workspace');
    expect((await readJson(await scenarioFile(machineA, workspace))).description).toBe('edited beside the submodules');
    // The submodules are carried as they are, and the log names only the workspace.
    expect(treeListing(machineA, 'HEAD').filter((line) => line.startsWith('160000'))).toEqual([
      `160000 commit ${commit}\textlib`,
      `160000 commit ${commit}\tvendor/models`,
    ]);
    const log = await runJson(['--root', machineA, 'sync', 'log', '--limit', '1']);
    expect(log.body[0]).toMatchObject({ operation: 'pull', workspaces_affected: [name] });
    for (const repository of [machineA, teammate, bare]) fsckClean(repository);
  });

  it('keeps both of two names that differ only in case on a file system that ignores case', async () => {
    const { machineB } = machines;
    // What git itself records when it creates a repository on macOS or Windows.
    git(machineB, 'config', 'core.ignorecase', 'true');
    await gitRemote(teammate, 'pull', '-q', '--no-rebase', 'origin', 'main');
    await fsp.writeFile(path.join(teammate, workspace, 'Targets.json'), '{"from": "upper"}\n');
    await fsp.writeFile(path.join(teammate, workspace, 'targets.json'), '{"from": "lower"}\n');
    // The root's .gitignore leaves these out; the host's web page and 'git add -f' do not care.
    git(teammate, 'add', '-A', '--force');
    git(teammate, 'commit', '-qm', 'Two spellings');
    await gitRemote(teammate, 'push', '-q', 'origin', 'main');

    const pulled = await runJson(['--root', machineB, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    const report = pulled.body.skipped.find((s: { path: string }) => s.path === `${workspace}/targets.json`);
    expect(report?.reason).toMatch(/only in upper and lower case/);
    const written = (await fsp.readdir(path.join(machineB, workspace))).filter((n) => n.toLowerCase() === 'targets.json');
    expect(written).toEqual(['Targets.json']);

    await editScenario(machineB, workspace, 'on a case-insensitive machine');
    expect((await cli(machineB, 'push')).code).toBe(0);
    expect(git(bare, 'show', `main:${workspace}/targets.json`)).toBe('{"from": "lower"}\n');
    expect(git(bare, 'show', `main:${workspace}/Targets.json`)).toBe('{"from": "upper"}\n');
    // The next sync does not take the unwritten one for deleted.
    expect((await cli(machineB, 'push')).code).toBe(0);
    expect(git(bare, 'ls-tree', '--name-only', 'main', `${workspace}/`)).toContain('targets.json');
    // Once its twin is gone, it is written like any other file.
    await gitRemote(teammate, 'pull', '-q', '--no-rebase', 'origin', 'main');
    git(teammate, 'rm', '-q', `${workspace}/Targets.json`);
    await fsp.writeFile(path.join(teammate, workspace, 'targets.json'), '{"from": "lower", "kept": true}\n');
    git(teammate, 'commit', '-qam', 'One spelling');
    await gitRemote(teammate, 'push', '-q', 'origin', 'main');
    expect((await cli(machineB, 'pull')).code).toBe(0);
    expect((await fsp.readdir(path.join(machineB, workspace))).filter((n) => n.toLowerCase() === 'targets.json')).toEqual(['targets.json']);
    expect(await fsp.readFile(path.join(machineB, workspace, 'targets.json'), 'utf8')).toBe('{"from": "lower", "kept": true}\n');
    expect(git(machineB, 'ls-files', '-v', `${workspace}/targets.json`)).toMatch(/^H /);
    fsckClean(bare);
    fsckClean(machineB);
  });

  it('writes both of two names that differ only in case where the file system tells them apart, as git does', async () => {
    const { machineA } = machines;
    // The root was set up by `sync init`: its settings say what git's would on this file system.
    const caseIgnored = spawnSync('git', ['config', '--get', 'core.ignorecase'], { cwd: machineA, encoding: 'utf8' }).stdout.trim() === 'true';
    expect(caseIgnored).toBe(false);
    await gitRemote(teammate, 'pull', '-q', '--no-rebase', 'origin', 'main');
    await fsp.writeFile(path.join(teammate, otherWorkspace, 'Rates.csv'), 'year,rate\n2026,0.03\n');
    await fsp.writeFile(path.join(teammate, otherWorkspace, 'rates.csv'), 'year,rate\n2026,0.04\n');
    git(teammate, 'add', '--force', `${otherWorkspace}/Rates.csv`, `${otherWorkspace}/rates.csv`);
    git(teammate, 'commit', '-qm', 'Two spellings of the rates');
    await gitRemote(teammate, 'push', '-q', 'origin', 'main');

    const pulled = await runJson(['--root', machineA, 'sync', 'pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.body.skipped.filter((s: { path: string }) => s.path.toLowerCase().endsWith('rates.csv'))).toEqual([]);
    expect(await fsp.readFile(path.join(machineA, otherWorkspace, 'Rates.csv'), 'utf8')).toBe('year,rate\n2026,0.03\n');
    expect(await fsp.readFile(path.join(machineA, otherWorkspace, 'rates.csv'), 'utf8')).toBe('year,rate\n2026,0.04\n');
    expect(git(machineA, 'status', '--porcelain', '--', `${otherWorkspace}/`)).toBe('');

    await editScenario(machineA, otherWorkspace, 'after two spellings');
    expect((await cli(machineA, 'push')).code).toBe(0);
    expect(git(bare, 'show', `main:${otherWorkspace}/Rates.csv`)).toBe('year,rate\n2026,0.03\n');
    expect(git(bare, 'show', `main:${otherWorkspace}/rates.csv`)).toBe('year,rate\n2026,0.04\n');
    fsckClean(machineA);
  });

  it('waits for a native git that holds index.lock, and neither commits nor writes under it', async () => {
    const { machineA } = machines;
    await editScenario(machineA, workspace, 'while git is busy');
    const lock = path.join(machineA, '.git', 'index.lock');
    await fsp.writeFile(lock, '');
    const head = git(bare, 'rev-parse', 'main');
    const localHead = git(machineA, 'rev-parse', 'HEAD');
    for (const command of ['push', 'pull']) {
      const busy = await cli(machineA, command);
      expect({ command, code: busy.code }).toEqual({ command, code: 7 });
      expect(busy.stderr).toContain('index.lock');
      // Nothing moved: not the remote, not this computer's branch.
      expect(git(bare, 'rev-parse', 'main')).toBe(head);
      expect(git(machineA, 'rev-parse', 'HEAD')).toBe(localHead);
      expect(await fsp.readFile(lock, 'utf8')).toBe('');
    }
    await fsp.rm(lock);
    // The edit is still only a change in the working tree, as git sees it.
    expect(git(machineA, 'status', '--porcelain')).toMatch(/^ M /m);
    expect(git(machineA, 'diff', '--cached', '--name-only')).toBe('');
    expect((await cli(machineA, 'push')).code).toBe(0);
    expect(git(bare, 'rev-parse', 'main')).not.toBe(head);
  });

  it('syncs a file dated before 1970, again and again', async () => {
    const { machineA } = machines;
    const file = await scenarioFile(machineA, workspace);
    await editScenario(machineA, workspace, 'from the archive');
    await fsp.utimes(file, new Date('1969-07-20T20:17:40Z'), new Date('1969-07-20T20:17:40Z'));
    expect((await cli(machineA, 'push')).code).toBe(0);
    const again = await cli(machineA, 'push');
    expect(again.code).toBe(0);
    expect(nativeGit(machineA, ['status', '--porcelain']).stdout).toBe('');
    fsckClean(machineA);
  });

  it('refuses to commit over a native merge that is still in progress, and leaves it to git', async () => {
    const { machineA } = machines;
    const file = await scenarioFile(machineA, workspace);
    const relative = path.relative(machineA, file);
    git(machineA, 'checkout', '-q', '-b', 'side');
    await writeJson(file, { ...(await readJson(file)), description: 'on the side branch' });
    git(machineA, 'commit', '-qam', 'side');
    git(machineA, 'checkout', '-q', 'main');
    await writeJson(file, { ...(await readJson(file)), description: 'on main' });
    git(machineA, 'commit', '-qam', 'main');
    expect(spawnSync('git', ['merge', 'side'], { cwd: machineA }).status).not.toBe(0);
    const stages = git(machineA, 'ls-files', '-u');
    const refused = await cli(machineA, 'push');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/merge is in progress.*git merge --abort/s);
    expect(await cli(machineA, 'status')).toMatchObject({ code: 0 });
    expect(git(machineA, 'ls-files', '-u')).toBe(stages);
    expect(stages).toContain(relative);
    git(machineA, 'merge', '--abort');
    git(machineA, 'branch', '-q', '-D', 'side');
    expect((await cli(machineA, 'push')).code).toBe(0);
    fsckClean(machineA);
  });
});

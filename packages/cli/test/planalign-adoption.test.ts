import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { expectFsckClean, gitAsync, remoteFile, remoteFiles, runCli, runJson, syncedTree, tempDir } from './harness.js';

/** Native git talking to the loopback server. */
const gitRemote = (cwd: string, ...args: string[]) => gitAsync(cwd, args);
const fsckClean = expectFsckClean;

/**
 * A root set up by PlanAlign's own sync (`planalign sync …` in planwise_navigator, GitPython),
 * made here the way its code makes it: its .gitignore, `.planalign-sync.yaml` as PyYAML dumps
 * its pydantic SyncConfig (flat, keys sorted, the remote URL with `user:token@`), its log
 * `.planalign-sync-log.json` as json.dump writes its SyncLogEntry list, everything committed with
 * native git on `master`, and pushed there with native git (PlanAlign's own push went to the
 * settings' `main`, which the repository never had). planalign-sync takes such a root over and
 * keeps syncing it: nothing lost, the history kept, no token in any tracked file.
 */
const USER = 'alice';
const OLD_TOKEN = 'pat-planalign-5f0c2a91d7e4';
const NEW_TOKEN = 'pat-rotated-0b7e44c1a9f2';

/** PlanAlign's GITIGNORE_TEMPLATE, as its sync writes it. */
const PLANALIGN_GITIGNORE = `# PlanAlign Workspace Sync - Auto-generated
# Exclude large/regenerable files
*.duckdb
*.duckdb.wal
*.xlsx
*.parquet
*.csv

# Exclude temporary files
*.tmp
*.lock
*.log
__pycache__/
.DS_Store

# Exclude checkpoints (can be large)
checkpoints/

# Keep important metadata files
!**/workspace.json
!**/scenario.json
!**/run_metadata.json
!**/*.yaml
!**/*.yml
`;

/** `yaml.dump(SyncConfig(...).model_dump(), f, default_flow_style=False)` */
const planAlignSettings = (remote: string) =>
  `auto_sync: false\nbranch: main\nconflict_strategy: last-write-wins\nenabled: true\nremote: ${remote}\nversion: 1\n`;

interface PlanAlignLogEntry {
  timestamp: string;
  operation: string;
  workspaces_affected: number;
  scenarios_affected: number;
  message: string;
  commit_sha: string | null;
  success: boolean;
}

/** `json.dump(logs, f, indent=2, default=str)`, each entry `SyncLogEntry(...).model_dump(mode="json")` */
const planAlignLog = (entries: PlanAlignLogEntry[]) => JSON.stringify(entries, null, 2);

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=Plan Align', '-c', 'user.email=planalign@example.test', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} in ${cwd}: ${result.stderr}`);
  return result.stdout;
}

/** `git grep` for the token in a commit: the files it finds (none, when the token is gone). */
function filesHoldingToken(repository: string, rev: string): string[] {
  const result = spawnSync('git', ['grep', '-I', '-l', OLD_TOKEN, rev], { cwd: repository, encoding: 'utf8' });
  if (result.status !== 0 && result.status !== 1) throw new Error(result.stderr);
  return result.stdout.split('\n').filter(Boolean);
}

/** Every file of a root outside `.git/objects` (the old commits keep the token: they are not rewritten) that holds the token. */
async function filesOnDiskHoldingToken(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await fsp.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (full === path.join(root, '.git', 'objects')) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && (await fsp.readFile(full)).includes(OLD_TOKEN)) found.push(path.relative(root, full));
    }
  };
  await walk(root);
  return found;
}

/** The JSON and YAML files PlanAlign's `_stage_syncable_files` stages: `**\/*.json`, `**\/*.yaml`, `**\/*.yml` outside dot folders, links not followed. */
async function planAlignSyncable(root: string, folder = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fsp.readdir(path.join(root, folder), { withFileTypes: true })) {
    const relative = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory() && !entry.name.startsWith('.')) files.push(...(await planAlignSyncable(root, relative)));
    else if (entry.isFile() && /\.(json|ya?ml)$/.test(entry.name) && (!entry.name.startsWith('.') || entry.name.startsWith('.planalign'))) files.push(relative);
  }
  return files;
}

interface PlanAlignRoot {
  root: string;
  /** the repository's URL as PlanAlign had it, without the token: `http://alice@host/…` */
  url: string;
  /** the same without the user name, as messages show it */
  plainUrl: string;
  bare: string;
  /** the commit PlanAlign's root had pushed */
  pushed: string;
}

/**
 * What PlanAlign's `SyncService.init` and `push` leave: init creates the repository (on git's
 * default branch, master), the .gitignore, the origin remote and the settings, commits, and logs;
 * push stages the JSON and YAML (the log too), commits, fails to push the settings' `main`, and
 * logs the failure; the person then pushes `master` with git.
 */
async function planAlignRoot(server: GitServer, name: string): Promise<PlanAlignRoot> {
  const plainUrl = await server.createRepo(name, { defaultBranch: 'master' });
  const withToken = plainUrl.replace('http://', `http://${USER}:${OLD_TOKEN}@`);
  const root = path.join(await tempDir(name), 'workspaces');
  await generateWorkspaces({ root, ...PRESETS.demo });
  git(root, '-c', 'init.defaultBranch=master', 'init', '-q');
  await fsp.writeFile(path.join(root, '.gitignore'), PLANALIGN_GITIGNORE);
  git(root, 'add', '.gitignore');
  git(root, 'remote', 'add', 'origin', withToken);
  await fsp.writeFile(path.join(root, '.planalign-sync.yaml'), planAlignSettings(withToken));
  git(root, 'add', '-f', '--', ...(await planAlignSyncable(root)));
  git(root, 'commit', '-qm', 'Initial PlanAlign workspace sync');
  const log: PlanAlignLogEntry[] = [
    {
      timestamp: '2025-11-20T09:15:02.481516Z',
      operation: 'init',
      workspaces_affected: 2,
      scenarios_affected: 5,
      message: `Sync initialized with ${withToken}`,
      commit_sha: null,
      success: true,
    },
  ];
  await fsp.writeFile(path.join(root, '.planalign-sync-log.json'), planAlignLog(log));
  git(root, 'add', '-f', '--', ...(await planAlignSyncable(root)));
  git(root, 'commit', '-qm', 'Sync 2 workspace(s), 5 scenario(s)');
  log.push({
    timestamp: '2025-11-20T09:16:40.007301Z',
    operation: 'push',
    workspaces_affected: 0,
    scenarios_affected: 0,
    message:
      "Push failed: Cmd('git') failed due to: exit code(1)\n  cmdline: git push --porcelain -- origin main\n  stderr: 'error: src refspec main does not match any'",
    commit_sha: null,
    success: false,
  });
  await fsp.writeFile(path.join(root, '.planalign-sync-log.json'), planAlignLog(log));
  await gitRemote(root, 'push', '-q', 'origin', 'master');
  const bare = server.repoPath(name);
  // the token went up with the settings and the log
  expect(filesHoldingToken(bare, 'master').sort()).toEqual(['master:.planalign-sync-log.json', 'master:.planalign-sync.yaml']);
  return { root, url: plainUrl.replace('http://', `http://${USER}@`), plainUrl, bare, pushed: git(root, 'rev-parse', 'HEAD').trim() };
}

describe("a root set up by PlanAlign's own sync", () => {
  let server: GitServer;
  let first: PlanAlignRoot;
  let second: PlanAlignRoot;
  let third: PlanAlignRoot;
  // The person revoked the token the notice named and gave planalign-sync a new one.
  const env = { PLANALIGN_SYNC_TOKEN: NEW_TOKEN };

  beforeAll(async () => {
    server = await startGitServer({ auth: { username: USER, password: OLD_TOKEN } });
    first = await planAlignRoot(server, 'planalign-first');
    second = await planAlignRoot(server, 'planalign-second');
    third = await planAlignRoot(server, 'planalign-third');
    server.setAuth({ username: USER, password: NEW_TOKEN });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('keeps syncing with status and push alone, with nothing lost, the history kept and the token out of every tracked file', async () => {
    const { root, url, plainUrl, bare, pushed } = first;
    const before = await syncedTree(root);

    const status = await runJson(['--root', root, 'sync', 'status'], { env });
    expect(status.code).toBe(0);
    expect(status.body).toMatchObject({ is_initialized: true, branch: 'master', behind: 0 });
    // told once, in plain words: which file, and what to do
    expect(status.stderr.match(/revoke it on the host/g)).toHaveLength(1);
    expect(status.stderr).toContain('.planalign-sync.yaml');
    expect(status.stderr).toContain('PLANALIGN_SYNC_TOKEN');
    expect(status.stderr).toContain('"main", but this root\'s commits are on "master"');
    expect(status.stderr + JSON.stringify(status.body)).not.toContain(OLD_TOKEN);
    const again = await runCli(['--root', root, 'sync', 'status', '--offline'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/revoke/);

    const log = await runJson(['--root', root, 'sync', 'log'], { env });
    expect(log.code).toBe(0);
    expect(JSON.stringify(log.body)).not.toContain(OLD_TOKEN);
    expect(log.body.map((e: { operation: string; timestamp: string }) => [e.operation, e.timestamp])).toEqual([
      ['init', expect.any(String)],
      ['push', '2025-11-20T09:16:40.007Z'],
      ['init', '2025-11-20T09:15:02.481Z'],
    ]);
    expect(log.body[0].message).toMatch(/^Took over the sync set up by PlanAlign and 2 entries of its log/);
    expect(log.body[2].message).toBe(`Sync initialized with ${plainUrl} (PlanAlign's sync; 2 workspaces, 5 scenarios)`);

    const push = await runJson(['--root', root, 'sync', 'push'], { env });
    expect(push.code).toBe(0);
    expect(push.body.pushed).toBe(true);
    expect(push.stderr).not.toMatch(/revoke/);

    // The history is kept: the new commit follows the one PlanAlign's root had pushed.
    expect(git(bare, 'rev-parse', 'master~1').trim()).toBe(pushed);
    expect(remoteFiles(bare, 'master')).not.toContain('.planalign-sync-log.json');
    const settings = parse(remoteFile(bare, '.planalign-sync.yaml', 'master')!);
    expect(settings).toMatchObject({ version: 1, sync: { enabled: true, remote: url, branch: 'master' } });
    expect(Object.keys(settings)).toEqual(['version', 'sync']);
    expect(filesHoldingToken(bare, 'master')).toEqual([]);
    expect(filesHoldingToken(root, 'HEAD')).toEqual([]);
    expect(spawnSync('git', ['grep', '-I', '-l', OLD_TOKEN], { cwd: root }).status).toBe(1);
    expect(await filesOnDiskHoldingToken(root)).toEqual([]);
    fsckClean(bare);
    fsckClean(root);
    expect(git(root, 'status', '--porcelain')).toBe('');

    // Nothing lost: every file is there as it was, the log in the backup.
    const after = await syncedTree(root);
    for (const [file, content] of before) {
      if (file === '.planalign-sync.yaml' || file === '.planalign-sync-log.json') continue;
      expect(after.get(file), file).toBe(content);
    }
    const backups = path.join(root, '.git', 'planalign-sync', 'planalign-original');
    const [backup] = await fsp.readdir(backups);
    const keptLog = JSON.parse(await fsp.readFile(path.join(backups, backup, '.planalign-sync-log.json'), 'utf8')) as PlanAlignLogEntry[];
    expect(keptLog.map((e) => e.timestamp)).toEqual(['2025-11-20T09:15:02.481516Z', '2025-11-20T09:16:40.007301Z']);
    expect(await fsp.readFile(path.join(backups, backup, '.planalign-sync.yaml'), 'utf8')).toBe(planAlignSettings(url));

    // And it goes on: a second machine gets it all, and a change comes back.
    const machineB = path.join(await tempDir('planalign-b'), 'workspaces');
    const initB = await runJson(['--root', machineB, 'sync', 'init', '--remote', url], { env });
    expect(initB.code).toBe(0);
    expect(initB.body.branch).toBe('master');
    expect(initB.body.message).toContain('the branch "master"');
    const onB = await syncedTree(machineB);
    // the settings as B writes them (its own comment on top), the same settings
    for (const [file, content] of after) if (file !== '.planalign-sync.yaml') expect(onB.get(file), file).toBe(content);
    expect(parse(onB.get('.planalign-sync.yaml')!)).toEqual(parse(after.get('.planalign-sync.yaml')!));
    const scenario = [...onB.keys()].find((file) => file.endsWith('/scenario.json'))!;
    await fsp.writeFile(path.join(machineB, scenario), onB.get(scenario)!.replace(/"description": "[^"]*"/, '"description": "edited on B"'));
    expect((await runCli(['--root', machineB, 'sync', 'push'], { env })).code).toBe(0);
    expect((await runCli(['--root', root, 'sync', 'pull'], { env })).code).toBe(0);
    expect(await fsp.readFile(path.join(root, scenario), 'utf8')).toContain('edited on B');
    expect(remoteFiles(bare, 'main')).toEqual([]);
    fsckClean(bare);
  });

  it("keeps syncing after 'planalign sync init --remote <its url>'", async () => {
    const { root, url, bare, pushed } = second;
    const init = await runJson(['--root', root, 'sync', 'init', '--remote', url], { env });
    expect(init.code).toBe(0);
    expect(init.body).toMatchObject({ branch: 'master', created_repository: false });
    expect(init.stderr.match(/revoke it on the host/g)).toHaveLength(1);
    expect(init.stderr + JSON.stringify(init.body)).not.toContain(OLD_TOKEN);

    const push = await runJson(['--root', root, 'sync', 'push'], { env });
    expect(push.code).toBe(0);
    expect(push.stderr).not.toMatch(/revoke/);
    expect(git(bare, 'merge-base', '--is-ancestor', pushed, 'master')).toBe('');
    expect(remoteFiles(bare, 'master')).not.toContain('.planalign-sync-log.json');
    expect(filesHoldingToken(bare, 'master')).toEqual([]);
    expect(await filesOnDiskHoldingToken(root)).toEqual([]);
    fsckClean(bare);
    fsckClean(root);

    const log = await runJson(['--root', root, 'sync', 'log'], { env });
    expect(log.body.map((e: { operation: string }) => e.operation)).toEqual(['push', 'init', 'init', 'push', 'init']);
  });

  it('a machine that joins before the PlanAlign root is taken over takes it over itself, and both go on syncing', async () => {
    const { root, url, bare, pushed } = third;
    const machineB = path.join(await tempDir('planalign-early'), 'workspaces');
    const initB = await runJson(['--root', machineB, 'sync', 'init', '--remote', url], { env });
    expect(initB.code).toBe(0);
    expect(initB.body).toMatchObject({ branch: 'master', from_remote: { workspaces: 2, scenarios: 5 } });
    expect(initB.stderr.match(/revoke it on the host/g)).toHaveLength(1);
    const settingsB = parse(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8'));
    expect(Object.keys(settingsB)).toEqual(['version', 'sync']);
    expect(settingsB.sync).toMatchObject({ remote: url, branch: 'master' });
    expect(await filesOnDiskHoldingToken(machineB)).toEqual([]);
    expect((await runJson(['--root', machineB, 'sync', 'log'], { env })).body.map((e: { operation: string }) => e.operation)).toEqual(['init', 'init', 'init']);

    expect((await runCli(['--root', machineB, 'sync', 'push'], { env })).code).toBe(0);
    const pushA = await runJson(['--root', root, 'sync', 'push'], { env });
    expect(pushA.code).toBe(0);
    expect(pushA.stderr.match(/revoke it on the host/g)).toHaveLength(1);
    expect((await runCli(['--root', machineB, 'sync', 'pull'], { env })).code).toBe(0);
    expect(git(bare, 'merge-base', '--is-ancestor', pushed, 'master')).toBe('');
    expect(remoteFiles(bare, 'master').filter((file) => file.startsWith('.'))).toEqual(['.gitignore', '.planalign-sync.yaml']);
    expect(parse(remoteFile(bare, '.planalign-sync.yaml', 'master')!)).toEqual({
      version: 1,
      sync: expect.objectContaining({ remote: url, branch: 'master' }),
    });
    expect(filesHoldingToken(bare, 'master')).toEqual([]);
    expect(await syncedTree(machineB)).toEqual(await syncedTree(root));
    fsckClean(bare);
  });
});

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepository } from '../src/git/repository.js';
import { SyncService } from '../src/sync/sync-service.js';
import { nameFolding } from '../src/sync/file-names.js';
import { tempDir } from './machines.js';

const ISOLATED = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull };

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: ISOLATED });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The repository's own `core.*` settings, as native git reads them. */
const coreSettings = (root: string) => git(root, 'config', '--local', '--get-regexp', '^core\\.').trim().split('\n').sort();

async function nativeInit(): Promise<string> {
  const root = await tempDir('native-init');
  git(root, 'init', '-q', '--initial-branch=main');
  return root;
}

describe("a repository's core settings", () => {
  it('a root set up here gets the core settings `git init` writes on the same file system', async () => {
    const root = await tempDir('sync-init');
    await new GitRepository(root).init('main');
    expect(coreSettings(root)).toEqual(coreSettings(await nativeInit()));
    git(root, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('the config ends its last line, as git writes it: a section appended to the file stays a section of its own', async () => {
    const root = await tempDir('config-newline');
    const repo = new GitRepository(root);
    await repo.init('main');
    await repo.setRemote('http://127.0.0.1:9/ws.git');
    const file = path.join(root, '.git', 'config');
    expect((await fsp.readFile(file, 'utf8')).endsWith('\n')).toBe(true);
    await fsp.appendFile(file, '[user]\n\tname = Ana Lima\n');
    expect(git(root, 'config', 'remote.origin.url').trim()).toBe('http://127.0.0.1:9/ws.git');
    expect(git(root, 'config', 'user.name').trim()).toBe('Ana Lima');
  });

  it("a root holding isomorphic-git's answers gets git's, once; settings chosen otherwise are left as they are", async () => {
    const root = await nativeInit();
    const expected = coreSettings(root);
    git(root, 'config', 'core.filemode', 'false');
    git(root, 'config', 'core.symlinks', 'false');
    git(root, 'config', 'core.ignorecase', 'true');
    const repo = new GitRepository(root);
    // Git for Windows writes these three itself: they stay there.
    expect(await repo.correctInitialCoreSettings('win32')).toBe(false);
    expect(coreSettings(root)).toContain('core.ignorecase true');

    const differs = coreSettings(root).join('\n') !== expected.join('\n');
    expect(differs).toBe(true);
    expect(await repo.correctInitialCoreSettings()).toBe(true);
    expect(coreSettings(root)).toEqual(expected);
    expect(await repo.correctInitialCoreSettings()).toBe(false);

    // `sync doctor` looks and changes nothing; the next command corrects the settings.
    const synced = await tempDir('doctor-looks');
    const service = new SyncService(synced);
    await service.init({});
    for (const [key, value] of [
      ['core.filemode', 'false'],
      ['core.symlinks', 'false'],
      ['core.ignorecase', 'true'],
    ])
      git(synced, 'config', key, value);
    const config = await fsp.readFile(path.join(synced, '.git', 'config'), 'utf8');
    await service.doctor();
    expect(await fsp.readFile(path.join(synced, '.git', 'config'), 'utf8')).toBe(config);
    await service.status({ offline: true });
    expect(coreSettings(synced)).toEqual(expected);

    // One of them set by hand (here: case ignored) is a choice, not isomorphic-git's default.
    const chosen = await nativeInit();
    git(chosen, 'config', 'core.ignorecase', 'true');
    const before = coreSettings(chosen);
    expect(await new GitRepository(chosen).correctInitialCoreSettings()).toBe(false);
    expect(coreSettings(chosen)).toEqual(before);
  });

  it('tells names apart by case exactly when native git does on this file system', async () => {
    const root = await tempDir('folding');
    const repo = new GitRepository(root);
    await repo.init('main');
    const native = coreSettings(await nativeInit()).includes('core.ignorecase true');
    expect((await nameFolding(repo)).active).toBe(native);
  });
});

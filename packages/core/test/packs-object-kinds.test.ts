import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncConfigError, SyncError } from '../src/errors.js';
import { GitRepository } from '../src/git/repository.js';
import { SyncService } from '../src/sync/sync-service.js';
import { allObjects, git, gitRaw, nativeContent, packNames, repoWithCommits, servePack, tempFolder } from './packs-helpers.js';

describe('annotated tags, alternates and SHA-256 repositories', () => {
  it('reads annotated tags, loose and packed (pack type 4), as native git does', async () => {
    const root = await repoWithCommits(2);
    git(root, 'tag', '-a', 'v1', '-m', 'first release', 'HEAD~1');
    const repo = new GitRepository(root);
    const tag = git(root, 'rev-parse', 'v1');
    const check = async () => {
      const object = await repo.readRawObject(tag);
      expect(object.type).toBe('tag');
      expect(Buffer.compare(object.content, nativeContent(root, tag))).toBe(0);
    };
    await check();
    git(root, 'repack', '-q', '-a', '-d');
    expect(
      await fsp.access(path.join(root, '.git', 'objects', tag.slice(0, 2), tag.slice(2))).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    await check();
    await expect(repo.readCommit(tag)).rejects.toThrow(/annotated tag, not a commit/);
    expect(await repo.hasCommit(tag)).toBe(false);
  });

  it('refuses a local branch that points at an annotated tag, which native git refuses to write', async () => {
    const root = await tempFolder('tag-branch');
    await fsp.mkdir(path.join(root, 'ws'), { recursive: true });
    await fsp.writeFile(path.join(root, 'ws', 'workspace.json'), '{"id": "ws", "name": "w"}');
    await new SyncService(root).init({});
    git(root, 'tag', '-a', 'v1', '-m', 'release');
    const tag = git(root, 'rev-parse', 'v1');
    expect(gitRaw(root, ['update-ref', 'refs/heads/main', tag]).stderr).toMatch(/non-commit object/);
    await fsp.writeFile(path.join(root, '.git', 'refs', 'heads', 'main'), `${tag}\n`);
    const error = await new SyncService(root).status({ offline: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as Error).message).toMatch(new RegExp(`${tag} is an annotated tag, not a commit`));
  });

  it('refuses, with a clear message and no ref moved, a remote branch that points at an annotated tag', async () => {
    const local = await repoWithCommits(1);
    const remote = await repoWithCommits(2);
    git(remote, 'tag', '-a', 'v1', '-m', 'release');
    const tag = git(remote, 'rev-parse', 'v1');
    const objects = git(remote, 'rev-list', '--objects', 'v1');
    const pack = gitRaw(
      remote,
      ['pack-objects', '--stdout'],
      Buffer.from(
        objects
          .split('\n')
          .map((l) => l.split(' ')[0])
          .join('\n') + '\n',
      ),
    ).stdout;
    const server = await servePack(tag, () => pack);
    try {
      const repo = new GitRepository(local);
      const error = await repo.fetch({ url: server.url, branch: 'main' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SyncError);
      expect((error as Error).message).toMatch(/branch main of .* points at an annotated tag \([0-9a-f]{40}\), not a commit/);
      expect(gitRaw(local, ['rev-parse', '--verify', '--quiet', 'refs/remotes/origin/main']).status).not.toBe(0);
      git(local, 'fsck', '--full', '--strict', '--no-progress');
    } finally {
      await server.close();
    }
  });

  it('reads the objects of alternates (git clone --shared), as native git does', async () => {
    const source = await repoWithCommits(3);
    git(source, 'repack', '-q', '-a', '-d');
    await fsp.writeFile(path.join(source, 'loose.json'), '{}');
    git(source, 'add', '-A');
    git(source, '-c', 'gc.auto=0', 'commit', '-q', '-m', 'loose');
    const shared = path.join(await tempFolder('shared'), 'clone');
    git(source, 'clone', '-q', '--shared', source, shared);
    expect(await packNames(shared).catch(() => [])).toEqual([]);
    const repo = new GitRepository(shared);
    const objects = allObjects(shared);
    expect(objects.length).toBeGreaterThan(10);
    for (const { oid, type } of objects) {
      const object = await repo.readRawObject(oid);
      expect(object.type).toBe(type);
      expect(Buffer.compare(object.content, nativeContent(shared, oid))).toBe(0);
    }
  });

  it('refuses an alternates file naming a folder that does not exist, as git fsck does', async () => {
    const root = await repoWithCommits(1);
    await fsp.mkdir(path.join(root, '.git', 'objects', 'info'), { recursive: true });
    await fsp.writeFile(path.join(root, '.git', 'objects', 'info', 'alternates'), '/nowhere/objects\n');
    await expect(new GitRepository(root).readRawObject(git(root, 'rev-parse', 'HEAD'))).rejects.toThrow(
      /alternates names \/nowhere\/objects, which does not exist/,
    );
    expect(gitRaw(root, ['fsck']).stderr).toMatch(/nowhere/);
  });

  it('refuses a repository with extensions.objectFormat = sha256, changing nothing', async () => {
    const root = await tempFolder('sha256');
    git(root, 'init', '-q', '--object-format=sha256', '-b', 'main');
    const before = (await fsp.readdir(root)).sort();
    const error = await new SyncService(root).init({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncConfigError);
    expect((error as Error).message).toMatch(/sha256 object ids .* reads only SHA-1 repositories/);
    expect((await fsp.readdir(root)).sort()).toEqual(before);
    expect(git(root, 'rev-parse', '--show-object-format')).toBe('sha256');
  });

  it('refuses a repository whose refs live in a reftable (extensions.refStorage), changing nothing', async () => {
    const root = await repoWithCommits(1);
    git(root, 'config', 'core.repositoryformatversion', '1');
    git(root, 'config', 'extensions.refStorage', 'reftable');
    const before = (await fsp.readdir(root)).sort();
    const error = await new SyncService(root).init({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncConfigError);
    expect((error as Error).message).toMatch(/keeps its refs in a reftable/);
    expect((await fsp.readdir(root)).sort()).toEqual(before);
    // Native git that does not know the format refuses it too; one that does reads it.
    const native = gitRaw(root, ['status']);
    if (native.status !== 0) expect(native.stderr).toMatch(/refstorage/i);
  });
});

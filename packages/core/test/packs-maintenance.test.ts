import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GitRepository } from '../src/git/repository.js';
import { ObjectReader } from '../src/git/object-reader.js';
import { maintenanceNeeded, objectStorageCounts, repackObjects } from '../src/git/pack-maintenance.js';
import { allObjects, deletedPacksHeldOpen, git, gitRaw, nativeContent, packNames, repoWithCommits } from './packs-helpers.js';

async function expectReadsLikeGit(reader: { read(oid: string): Promise<{ type: string; content: Buffer }> }, root: string, objects = allObjects(root)) {
  for (const { oid, type } of objects) {
    const object = await reader.read(oid);
    expect(object.type, oid).toBe(type);
    expect(Buffer.compare(object.content, nativeContent(root, oid)), oid).toBe(0);
  }
}

describe('consolidating packs that pile up', () => {
  it('repacks 55 packs and loose objects into one pack git verifies, losing nothing, without native git', async () => {
    const root = await repoWithCommits(55, { packEach: true });
    await fsp.writeFile(path.join(root, 'loose.json'), '{"loose": 1}');
    git(root, 'add', '-A');
    git(root, '-c', 'gc.auto=0', 'commit', '-q', '-m', 'loose');
    // An object nothing reaches stays too: pruning is native git's call, not ours.
    const unreachable = git(root, 'hash-object', '-w', '--stdin');
    // A loose copy of an object a pack already holds goes, as git prune-packed removes it.
    const packedTwice = git(root, 'rev-parse', 'HEAD~3');
    const twice = path.join(root, '.git', 'objects', packedTwice.slice(0, 2), packedTwice.slice(2));
    await fsp.mkdir(path.dirname(twice), { recursive: true });
    await fsp.writeFile(
      twice,
      deflateSync(Buffer.concat([Buffer.from(`commit ${nativeContent(root, packedTwice).length}\0`), nativeContent(root, packedTwice)])),
    );
    const gitdir = path.join(root, '.git');
    const objects = allObjects(root);
    expect((await objectStorageCounts(gitdir)).packs).toBe(55);
    expect(await maintenanceNeeded(gitdir)).toBe(true);

    // A reader that listed the old packs before the repack keeps working after it.
    const earlyReader = new ObjectReader(gitdir);
    await earlyReader.read(objects[0].oid);
    const repo = new GitRepository(root);
    expect(await repo.maintain({ native: false })).toBe('javascript');
    // The packs it read from are closed before they are removed (Windows would not remove them).
    expect(deletedPacksHeldOpen(root)).toEqual([]);

    const packs = await packNames(root);
    expect(packs).toHaveLength(1);
    expect(git(root, 'count-objects', '-v')).toMatch(/^count: 0$/m);
    expect(
      allObjects(root)
        .map((o) => o.oid)
        .sort(),
    ).toEqual(objects.map((o) => o.oid).sort());
    expect(allObjects(root).map((o) => o.oid)).toContain(unreachable);
    git(root, 'verify-pack', path.join(gitdir, 'objects', 'pack', packs[0]));
    git(root, 'fsck', '--full', '--strict', '--no-progress');
    await expectReadsLikeGit(earlyReader, root, objects);
    await expectReadsLikeGit(new ObjectReader(gitdir), root, objects);
    expect(await maintenanceNeeded(gitdir)).toBe(false);
    expect(await repo.maintain({ native: false })).toBe(null);
  });

  it('keeps deltas: the consolidated pack is no larger than the packs it replaces', async () => {
    const root = await repoWithCommits(30);
    git(root, 'repack', '-q', '-a', '-d', '--depth=50');
    // Split it again into packs of their own, each a delta-carrying copy of part of the history.
    for (let i = 0; i < 3; i += 1) git(root, 'commit', '-q', '--allow-empty', '-m', `empty ${i}`);
    git(root, 'repack', '-q', '-d');
    const gitdir = path.join(root, '.git');
    const sizeOf = async () => {
      let total = 0;
      for (const name of await packNames(root)) total += (await fsp.stat(path.join(gitdir, 'objects', 'pack', name))).size;
      return total;
    };
    const before = await sizeOf();
    const result = await repackObjects(gitdir, (oid) => new ObjectReader(gitdir).read(oid));
    expect(result?.packsRemoved).toBe(2);
    expect(await sizeOf()).toBeLessThanOrEqual(before);
    git(root, 'verify-pack', path.join(gitdir, 'objects', 'pack', (await packNames(root))[0]));
    git(root, 'fsck', '--full', '--strict', '--no-progress');
    await expectReadsLikeGit(new ObjectReader(gitdir), root);
  });

  it("follows the repository's gc settings, and uses native `git gc --auto` when git is installed", async () => {
    const root = await repoWithCommits(8, { packEach: true });
    const repo = new GitRepository(root);
    const objects = allObjects(root);
    expect(await repo.maintain()).toBe(null);
    git(root, 'config', 'gc.autoPackLimit', '4');
    expect(await repo.maintain()).toBe('native');
    expect(await packNames(root)).toHaveLength(1);
    git(root, 'fsck', '--full', '--strict', '--no-progress');
    await expectReadsLikeGit({ read: (oid) => repo.readRawObject(oid) }, root, objects);
    git(root, 'config', 'gc.autoPackLimit', '0');
    for (let i = 0; i < 3; i += 1) {
      git(root, 'commit', '-q', '--allow-empty', '-m', `more ${i}`);
      git(root, 'repack', '-q', '-d');
    }
    expect(await repo.maintain()).toBe(null);
    // gc.auto = 0 turns it off altogether, as it does for git.
    git(root, 'config', 'gc.autoPackLimit', '2');
    git(root, 'config', 'gc.auto', '0');
    expect(await repo.maintain()).toBe(null);
    git(root, 'config', '--unset', 'gc.auto');
    expect(await repo.maintain()).toBe('native');
  });

  it('leaves a repository with extensions.preciousObjects alone, as git does', async () => {
    const root = await repoWithCommits(6, { packEach: true });
    git(root, 'config', 'core.repositoryformatversion', '1');
    git(root, 'config', 'extensions.preciousObjects', 'true');
    git(root, 'config', 'gc.autoPackLimit', '2');
    expect(await new GitRepository(root).maintain({ native: false })).toBe(null);
    expect(await packNames(root)).toHaveLength(6);
    expect(gitRaw(root, ['repack', '-a', '-d']).status).not.toBe(0);
  });
});

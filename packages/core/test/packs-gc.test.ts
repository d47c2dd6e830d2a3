import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepository } from '../src/git/repository.js';
import { ObjectReader } from '../src/git/object-reader.js';
import { hashObject, writeLooseObject } from '../src/git/objects.js';
import { allObjects, deletedPacksHeldOpen, git, nativeContent, packNames, repoWithCommits, sleep } from './packs-helpers.js';

/** Reads every object through `repo` and compares it with native git's copy. */
async function expectSameObjects(repo: GitRepository, root: string): Promise<number> {
  const objects = allObjects(root);
  for (const { oid, type } of objects) {
    const object = await repo.readRawObject(oid);
    expect(object.type, oid).toBe(type);
    expect(Buffer.compare(object.content, nativeContent(root, oid)), oid).toBe(0);
  }
  return objects.length;
}

describe('a long-lived reader under native git gc and repack', () => {
  it('keeps reading every object after `git gc` and `git repack -adf --depth=50` replaced the packs it listed', async () => {
    const root = await repoWithCommits(12, { packEach: true });
    // A last commit left loose: reading it lists the packs without opening any of them.
    await fsp.writeFile(path.join(root, 'late.json'), '{"late": true}');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'late');
    const repo = new GitRepository(root);
    const head = git(root, 'rev-parse', 'HEAD');
    expect(await repo.hasCommit(head)).toBe(true);
    const before = await packNames(root);

    git(root, 'gc', '-q');
    expect((await packNames(root)).some((name) => before.includes(name))).toBe(false);
    const first = git(root, 'rev-parse', 'HEAD~5');
    expect(await repo.hasCommit(first)).toBe(true);
    expect(await expectSameObjects(repo, root)).toBeGreaterThan(40);

    git(root, 'repack', '-q', '-a', '-d', '-f', '--depth=50');
    expect(await repo.hasCommit(git(root, 'rev-parse', 'HEAD~7'))).toBe(true);
    await expectSameObjects(repo, root);
    git(root, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('reads every object correctly while native git repacks over and over beside it', async () => {
    const root = await repoWithCommits(20, { packEach: true });
    const objects = allObjects(root).map(({ oid }) => ({ oid, content: nativeContent(root, oid) }));
    const repo = new GitRepository(root);
    let stop = false;
    let repacks = 0;
    const repacking = (async () => {
      while (!stop) {
        await new Promise<void>((resolve) => spawn('git', ['repack', '-q', '-a', '-d', '-f'], { cwd: root, stdio: 'ignore' }).on('close', () => resolve()));
        repacks += 1;
      }
    })();
    const failures: string[] = [];
    let reads = 0;
    try {
      for (const until = Date.now() + 3000; Date.now() < until || repacks < 5;) {
        for (const { oid, content } of objects) {
          // Let the repacks run between reads.
          if (reads % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
          reads += 1;
          const object = await repo.readRawObject(oid).catch((error: Error) => failures.push(error.message));
          if (typeof object === 'object' && !object.content.equals(content)) failures.push(`${oid} read wrong`);
        }
      }
    } finally {
      stop = true;
      await repacking;
    }
    expect(failures.slice(0, 3)).toEqual([]);
    expect(repacks).toBeGreaterThanOrEqual(5);
  });

  it('lets go of removed packs even when every read succeeds, so their disk space is freed', async () => {
    const root = await repoWithCommits(6, { packEach: true });
    const reader = new ObjectReader(path.join(root, '.git'));
    const objects = allObjects(root);
    for (const { oid } of objects) await reader.read(oid);
    expect(deletedPacksHeldOpen(root)).toEqual([]);
    git(root, 'gc', '-q');
    // Packs are looked at again at most once a second.
    await sleep(1100);
    for (const { oid } of objects) await reader.read(oid);
    expect(deletedPacksHeldOpen(root)).toEqual([]);
  });

  it('reports a damaged object as an error, never as "absent", so a tracking ref is not dropped for it', async () => {
    const root = await repoWithCommits(3);
    const head = git(root, 'rev-parse', 'HEAD');
    const file = path.join(root, '.git', 'objects', head.slice(0, 2), head.slice(2));
    await fsp.chmod(file, 0o644);
    await fsp.writeFile(file, Buffer.from('not zlib at all'));
    const repo = new GitRepository(root);
    await expect(repo.hasCommit(head)).rejects.toThrow(/damaged/);
    await expect(repo.hasCommit('1'.repeat(40))).resolves.toBe(false);
    // Native git does not take it for absent either.
    expect(() => git(root, 'cat-file', '-t', head)).toThrow();
  });

  it('writes loose objects after a native gc removed the fan-out folders it emptied', async () => {
    const root = await repoWithCommits(1);
    const gitdir = path.join(root, '.git');
    const first = await writeLooseObject(gitdir, 'blob', Buffer.from('first'));
    git(root, 'add', '-A');
    git(root, 'gc', '-q', '--prune=now');
    await expect(fsp.access(path.join(gitdir, 'objects', first.slice(0, 2)))).rejects.toThrow();
    // Another object in the same fan-out folder (the first two hex digits of its id).
    let content = Buffer.alloc(0);
    for (let i = 0; !hashObject('blob', content).startsWith(first.slice(0, 2)); i += 1) content = Buffer.from(`second ${i}`);
    const second = await writeLooseObject(gitdir, 'blob', content);
    expect(git(root, 'cat-file', 'blob', second)).toBe(content.toString());
  });
});

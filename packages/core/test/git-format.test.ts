import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIndex, writeIndex } from '../src/git/index-file.js';
import { KnownTrees, writeTreeFromFiles } from '../src/git/tree-builder.js';
import { looseObjectSink, writeLooseObject } from '../src/git/objects.js';
import { PackBuilder } from '../src/git/pack-writer.js';
import { entryFromStat } from '../src/git/stage.js';
import { toFileStat } from '../src/workspace/file-scan.js';

function git(cwd: string, ...args: string[]) {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function repoWithFiles(files: Record<string, string>) {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-format-'));
  git(root, 'init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fsp.writeFile(path.join(root, name), content);
  }
  return root;
}

const FILES = {
  'b.json': '{"b":1}\n',
  'a/scenario.json': '{"a":1}\n',
  'a.b/x.yaml': 'x: 1\n',
  'a-b/y.yaml': 'y: 2\n',
  'ünïcode/workspace.json': '{}\n',
};

describe('Git formats written directly', () => {
  it('trees and blobs have the ids native git computes for the same files', async () => {
    const root = await repoWithFiles(FILES);
    const gitdir = path.join(root, '.git');
    const entries: [string, string][] = [];
    for (const [name, content] of Object.entries(FILES)) entries.push([name, await writeLooseObject(gitdir, 'blob', Buffer.from(content))]);
    const ours = await writeTreeFromFiles(looseObjectSink(gitdir), entries, await KnownTrees.load(gitdir));
    git(root, 'add', '-A');
    const theirs = git(root, 'write-tree').trim();
    expect(ours.oid).toBe(theirs);
    expect(git(root, 'cat-file', '-t', ours.oid).trim()).toBe('tree');
    git(root, 'fsck', '--strict', '--no-progress');
  });

  it.each([
    ['with a non-ASCII path', FILES],
    ['with ASCII paths only', Object.fromEntries(Object.entries(FILES).filter(([name]) => /^[\x20-\x7e]+$/.test(name)))],
  ])('the index written here is read by native git, and native git\'s index is read here (%s)', async (_, files: Record<string, string>) => {
    const root = await repoWithFiles(files);
    const gitdir = path.join(root, '.git');
    git(root, 'add', '-A');
    const native = await readIndex(gitdir);
    expect([...native.entries.keys()].sort()).toEqual(Object.keys(files).sort());
    const stagedNative = git(root, 'ls-files', '-s');
    const rewritten = [];
    for (const [name, entry] of native.entries) {
      const stat = toFileStat(await fsp.lstat(path.join(root, name), { bigint: true }));
      rewritten.push(entryFromStat(name, entry.oid, stat));
    }
    await writeIndex(gitdir, rewritten);
    expect(git(root, 'ls-files', '-s')).toBe(stagedNative);
    // Worktree and index agree: the stat data written here is what native git expects.
    expect(git(root, 'diff', '--name-only')).toBe('');
  });

  it('packs written here pass native git\'s verify-pack and fsck, and hold what was put in', async () => {
    const root = await repoWithFiles({});
    const gitdir = path.join(root, '.git');
    const pack = new PackBuilder();
    const files: [string, string][] = [];
    for (let i = 0; i < 300; i += 1) {
      // Sizes across the header's varint boundaries (15, 2047, 262143 bytes).
      const size = [3, 15, 16, 2047, 2048, 70_000, 300_000][i % 7];
      files.push([`f${i}.json`, await pack.write('blob', Buffer.alloc(size, `${i}`))]);
    }
    const tree = await writeTreeFromFiles(pack, files, await KnownTrees.load(gitdir));
    const name = await pack.store(gitdir);
    expect(name).toMatch(/^pack-[0-9a-f]{40}$/);
    const verify = git(root, 'verify-pack', '-v', path.join(gitdir, 'objects', 'pack', `${name}.idx`));
    expect(verify).toContain(tree.oid);
    expect(git(root, 'cat-file', '-s', files[5][1]).trim()).toBe('70000');
    expect(git(root, 'ls-tree', tree.oid).split('\n').filter(Boolean)).toHaveLength(300);
  });

  it('a torn index is treated as empty rather than trusted', async () => {
    const root = await repoWithFiles(FILES);
    git(root, 'add', '-A');
    const file = path.join(root, '.git', 'index');
    const bytes = await fsp.readFile(file);
    await fsp.writeFile(file, bytes.subarray(0, bytes.length - 7));
    expect((await readIndex(path.join(root, '.git'))).entries.size).toBe(0);
  });
});

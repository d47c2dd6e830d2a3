import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIndex, readIndex, statDataOf, UnreadableIndexError, writeIndex, type IndexEntry } from '../src/git/index-file.js';
import { editTree } from '../src/git/tree-edit.js';
import { GitRepository } from '../src/git/repository.js';
import { readIndexOrCommit } from '../src/git/work-index.js';
import { looseObjectSink, writeLooseObject } from '../src/git/objects.js';
import { PackBuilder } from '../src/git/pack-writer.js';
import { entryFromStat } from '../src/sync/stage.js';

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

/** The tree of a set of files (path → blob id), as a first commit builds it. */
function filesTree(root: string, sink: Parameters<typeof editTree>[3], files: [string, string][]) {
  return editTree(
    new GitRepository(root),
    null,
    files.map(([p, oid]) => ({ path: p, entry: { oid, mode: '100644' } })),
    sink,
  );
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
    const ours = await filesTree(root, looseObjectSink(gitdir), entries);
    git(root, 'add', '-A');
    const theirs = git(root, 'write-tree').trim();
    expect(ours).toBe(theirs);
    expect(git(root, 'cat-file', '-t', ours).trim()).toBe('tree');
    git(root, 'fsck', '--strict', '--no-progress');
  });

  it.each([
    ['with a non-ASCII path', FILES],
    ['with ASCII paths only', Object.fromEntries(Object.entries(FILES).filter(([name]) => /^[\x20-\x7e]+$/.test(name)))],
  ])("the index written here is read by native git, and native git's index is read here (%s)", async (_, files: Record<string, string>) => {
    const root = await repoWithFiles(files);
    const gitdir = path.join(root, '.git');
    git(root, 'add', '-A');
    const native = await readIndex(gitdir);
    expect([...native.entries.keys()].sort()).toEqual(Object.keys(files).sort());
    const stagedNative = git(root, 'ls-files', '-s');
    const rewritten = [];
    for (const [name, entry] of native.entries) {
      const stat = statDataOf(await fsp.lstat(path.join(root, name), { bigint: true }));
      rewritten.push(entryFromStat(name, entry.oid, stat));
    }
    await writeIndex(gitdir, rewritten);
    expect(git(root, 'ls-files', '-s')).toBe(stagedNative);
    // Worktree and index agree: the stat data written here is what native git expects.
    expect(git(root, 'diff', '--name-only')).toBe('');
  });

  it.each([['2'], ['3'], ['4']])(
    "native git's version %s index is written back with every entry as git recorded it, and an entry copied with a change carries the change",
    async (version) => {
      const root = await repoWithFiles({ ...FILES, [`long/${'n'.repeat(200)}/${'m'.repeat(200)}.yaml`]: 'long: name\n' });
      const gitdir = path.join(root, '.git');
      git(root, 'add', '-A');
      git(root, 'update-index', `--index-version=${version}`);
      if (version === '3') git(root, 'update-index', '--skip-worktree', 'b.json');
      const recorded = git(root, 'ls-files', '--stage', '--debug', '-v');
      const index = await readIndex(gitdir);
      await writeIndex(gitdir, index.entries.values(), index.version);
      expect(git(root, 'ls-files', '--stage', '--debug', '-v')).toBe(recorded);
      // the working tree still matches every entry's stat data
      expect(git(root, 'diff', '--name-only')).toBe('');

      const other = git(root, 'hash-object', '-w', 'b.json').trim();
      const changed = { ...index.entries.get('a/scenario.json')!, oid: other, size: 99 };
      await writeIndex(
        gitdir,
        [...index.entries.values()].map((entry) => (entry.path === changed.path ? changed : entry)),
        index.version,
      );
      expect(git(root, 'ls-files', '--stage', 'a/scenario.json')).toBe(`100644 ${other} 0\ta/scenario.json\n`);
      expect(git(root, 'ls-files', '--debug', 'a/scenario.json')).toMatch(/size: 99\b/);
      git(root, 'fsck', '--strict', '--no-progress');
    },
  );

  it('an index read back right after it was written is what parsing its bytes gives, whatever its entries held', async () => {
    const root = await repoWithFiles(FILES);
    const gitdir = path.join(root, '.git');
    git(root, 'add', '-A');
    const native = await readIndex(gitdir);
    const variants: IndexEntry[][] = [
      [...native.entries.values()],
      // numbers wider than the index's 32 bits: stored wrapped (a parsed entry's id is read when asked for: spread syntax does not copy it)
      [...native.entries.values()].map((entry, i) => (i === 0 ? { ...entry, oid: entry.oid, ino: 2 ** 40 + 7, size: 2 ** 33 + 5 } : entry)),
    ];
    for (const entries of variants) {
      await writeIndex(gitdir, entries.reverse());
      const read = await readIndex(gitdir);
      const parsed = parseIndex(await fsp.readFile(path.join(gitdir, 'index')));
      expect([...read.entries.entries()]).toEqual([...parsed.entries.entries()]);
      expect({ version: read.version, checksum: read.checksum, unmerged: read.unmerged }).toEqual({
        version: parsed.version,
        checksum: parsed.checksum,
        unmerged: [],
      });
    }
    expect(git(root, 'ls-files', '-s')).toContain('workspace.json');
  });

  it("packs written here pass native git's verify-pack and fsck, and hold what was put in", async () => {
    const root = await repoWithFiles({});
    const gitdir = path.join(root, '.git');
    const pack = new PackBuilder();
    const files: [string, string][] = [];
    for (let i = 0; i < 300; i += 1) {
      // Sizes across the header's varint boundaries (15, 2047, 262143 bytes).
      const size = [3, 15, 16, 2047, 2048, 70_000, 300_000][i % 7];
      files.push([`f${i}.json`, await pack.write('blob', Buffer.alloc(size, `${i}`))]);
    }
    const tree = await filesTree(root, pack, files);
    const name = await pack.store(gitdir);
    expect(name).toMatch(/^pack-[0-9a-f]{40}$/);
    const verify = git(root, 'verify-pack', '-v', path.join(gitdir, 'objects', 'pack', `${name}.idx`));
    expect(verify).toContain(tree);
    expect(git(root, 'cat-file', '-s', files[5][1]).trim()).toBe('70000');
    expect(git(root, 'ls-tree', tree).split('\n').filter(Boolean)).toHaveLength(300);
  });

  it("a torn index is an error, and sync then takes the last commit's files instead of none", async () => {
    const root = await repoWithFiles(FILES);
    git(root, 'add', '-A');
    git(root, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'files');
    const file = path.join(root, '.git', 'index');
    const bytes = await fsp.readFile(file);
    await fsp.writeFile(file, bytes.subarray(0, bytes.length - 7));
    await expect(readIndex(path.join(root, '.git'))).rejects.toBeInstanceOf(UnreadableIndexError);
    const rebuilt = await readIndexOrCommit(new GitRepository(root), 'refs/heads/main');
    expect([...rebuilt.entries.keys()].sort()).toEqual(Object.keys(FILES).sort());
    expect(rebuilt.rebuiltBecause).toMatch(/checksum/);
  });
});

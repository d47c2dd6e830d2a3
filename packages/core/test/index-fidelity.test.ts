import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readIndex, statDataOf, writeIndex } from '../src/git/index-file.js';
import { looseObjectSink, writeLooseObject } from '../src/git/objects.js';
import { GitRepository } from '../src/git/repository.js';
import { entryFromStat, holdBack, stageWorkingTree } from '../src/sync/stage.js';
import { editTree } from '../src/git/tree-edit.js';
import { diffTrees } from '../src/git/tree-diff.js';
import { compileSyncRules } from '../src/ignore/sync-rules.js';
import { scanSyncedFiles } from '../src/workspace/file-scan.js';

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=Native', '-c', 'user.email=native@example.test', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function nativeRepo(files: Record<string, string>): Promise<{ root: string; gitdir: string }> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-index-'));
  git(root, 'init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fsp.writeFile(path.join(root, name), content);
  }
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'files');
  return { root, gitdir: path.join(root, '.git') };
}

const FILES: Record<string, string> = {
  'ws/workspace.json': '{"id":"ws"}\n',
  'ws/scenarios/s1/scenario.json': '{"id":"s1"}\n',
  'ws/scenarios/s1/config.yaml': 'a: 1\n',
  'ws/scenarios/s2/scenario.json': '{"id":"s2"}\n',
  'ws/scenarios/s2/overrides.yaml': 'b: 2\n',
  'README.md': 'hello\n',
};

/** What native git says of its index: entries with mode, id and stage, and the flags -v shows. */
const nativeView = (root: string) => git(root, 'ls-files', '-s', '-v') + git(root, 'status', '--porcelain');

/** Reads the index here and writes it back as it was read: native git must see no difference. */
async function roundTrip(gitdir: string): Promise<void> {
  const index = await readIndex(gitdir);
  await writeIndex(gitdir, index.entries.values(), index.version);
}

describe('an index native git wrote', () => {
  it('version 4 (feature.manyFiles) is read whole, and written back as version 4', async () => {
    const { root, gitdir } = await nativeRepo(FILES);
    const before = nativeView(root);
    const expected = git(root, 'ls-files').split('\n').filter(Boolean).sort();
    git(root, 'update-index', '--index-version', '4');
    const index = await readIndex(gitdir);
    expect(index.version).toBe(4);
    expect([...index.entries.keys()].sort()).toEqual(expected);
    await roundTrip(gitdir);
    expect((await fsp.readFile(path.join(gitdir, 'index'))).readUInt32BE(4)).toBe(4);
    expect(nativeView(root)).toBe(before);
    git(root, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('with an all-zero checksum (index.skipHash) is read, not taken for empty', async () => {
    const { gitdir } = await nativeRepo(FILES);
    const file = path.join(gitdir, 'index');
    const bytes = await fsp.readFile(file);
    bytes.fill(0, bytes.length - 20);
    await fsp.writeFile(file, bytes);
    const index = await readIndex(gitdir);
    expect(index.entries.size).toBe(Object.keys(FILES).length);
  });

  it('keeps skip-worktree, intent-to-add and assume-unchanged entries when written back', async () => {
    const { root, gitdir } = await nativeRepo(FILES);
    git(root, 'update-index', '--skip-worktree', 'README.md');
    git(root, 'update-index', '--assume-unchanged', 'ws/workspace.json');
    await fsp.writeFile(path.join(root, 'notes.txt'), 'later\n');
    git(root, 'add', '-N', 'notes.txt');
    const before = nativeView(root);
    const index = await readIndex(gitdir);
    expect(index.entries.get('README.md')?.skipWorktree).toBe(true);
    expect(index.entries.get('notes.txt')?.intentToAdd).toBe(true);
    expect(index.entries.get('ws/workspace.json')?.assumeValid).toBe(true);
    await roundTrip(gitdir);
    expect(nativeView(root)).toBe(before);
  });

  it('lists the paths of a native merge in progress instead of dropping them', async () => {
    const { root, gitdir } = await nativeRepo(FILES);
    git(root, 'checkout', '-q', '-b', 'other');
    await fsp.writeFile(path.join(root, 'ws/workspace.json'), '{"id":"other"}\n');
    git(root, 'commit', '-qam', 'other');
    git(root, 'checkout', '-q', 'main');
    await fsp.writeFile(path.join(root, 'ws/workspace.json'), '{"id":"main"}\n');
    git(root, 'commit', '-qam', 'main');
    spawnSync('git', ['merge', 'other'], { cwd: root });
    const index = await readIndex(gitdir);
    expect(index.unmerged).toEqual(['ws/workspace.json']);
    expect(index.entries.has('ws/workspace.json')).toBe(false);
  });

  it.each([
    ['before 1970', '1965-03-01T10:00:00.250Z'],
    ['after 2106, past 32-bit seconds', '2200-03-01T10:00:00.250Z'],
  ])('a file dated %s is recorded the way git records it', async (_, date) => {
    const { root, gitdir } = await nativeRepo(FILES);
    const file = path.join(root, 'ws/scenarios/s1/config.yaml');
    await fsp.utimes(file, new Date(date), new Date(date));
    git(root, 'update-index', '--refresh');
    const native = (await readIndex(gitdir)).entries.get('ws/scenarios/s1/config.yaml')!;
    const ours = entryFromStat('ws/scenarios/s1/config.yaml', native.oid, statDataOf(await fsp.lstat(file, { bigint: true })));
    expect([ours.mtimeSeconds, ours.mtimeNanos]).toEqual([native.mtimeSeconds, native.mtimeNanos]);
    const index = await readIndex(gitdir);
    index.entries.set(ours.path, ours);
    await writeIndex(gitdir, index.entries.values());
    expect(git(root, 'status', '--porcelain')).toBe('');
    expect(git(root, 'diff', '--name-only')).toBe('');
  });

  it('a same-size edit that keeps the modification time is found by its change time', async () => {
    const { root, gitdir } = await nativeRepo(FILES);
    const file = path.join(root, 'ws/scenarios/s1/scenario.json');
    const stat = await fsp.stat(file);
    // Old enough that the stat data is trusted (not racy).
    const old = new Date(Date.now() - 60_000);
    await fsp.utimes(file, old, old);
    git(root, 'update-index', '--refresh');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await fsp.writeFile(file, '{"id":"s9"}\n');
    await fsp.utimes(file, old, old);
    expect((await fsp.stat(file)).size).toBe(stat.size);
    const rules = compileSyncRules(null);
    const scan = await scanSyncedFiles(root, rules, 10 << 20);
    const staged = await stageWorkingTree(root, scan, await readIndex(gitdir));
    expect(staged.changes).toEqual([{ path: 'ws/scenarios/s1/scenario.json', kind: 'modified' }]);
  });

  it('finds the changes git status finds, and never alters the index it compares with', async () => {
    const { root, gitdir } = await nativeRepo(FILES);
    const rules = compileSyncRules(null);
    const stage = async () => {
      const index = await readIndex(gitdir);
      const before = new Map(index.entries);
      const staged = await stageWorkingTree(root, await scanSyncedFiles(root, rules, 10 << 20), index);
      return { index, before, staged };
    };
    // Old enough that the stat data is trusted: nothing is read, the index's entries are the snapshot's.
    const old = new Date(Date.now() - 60_000);
    for (const name of Object.keys(FILES)) await fsp.utimes(path.join(root, name), old, old);
    git(root, 'update-index', '--refresh');
    const unchanged = await stage();
    expect(unchanged.staged.changes).toEqual([]);
    expect(unchanged.staged.entries).toBe(unchanged.index.entries);
    expect([...unchanged.staged.entries.keys()].sort()).toEqual(Object.keys(FILES).sort());

    await fsp.writeFile(path.join(root, 'ws/scenarios/s1/config.yaml'), 'a: 2\n');
    await fsp.rm(path.join(root, 'ws/scenarios/s2/overrides.yaml'));
    await fsp.mkdir(path.join(root, 'ws/scenarios/s3'));
    await fsp.writeFile(path.join(root, 'ws/scenarios/s3/scenario.json'), '{"id":"s3"}\n');
    // README.md is outside the sync rules: carried as committed, never counted as deleted
    await fsp.rm(path.join(root, 'README.md'));
    const kinds: Record<string, string> = { ' M': 'modified', ' D': 'deleted', '??': 'added' };
    const native = git(root, 'status', '--porcelain', '-uall')
      .split('\n')
      .filter((line) => line && !line.endsWith('README.md'))
      .map((line) => ({ path: line.slice(3), kind: kinds[line.slice(0, 2)] }));
    const { index, before, staged } = await stage();
    expect(staged.changes).toEqual(native);
    expect(staged.entries.get('README.md')).toBe(index.entries.get('README.md'));
    expect(staged.entries.has('ws/scenarios/s2/overrides.yaml')).toBe(false);

    // Holding a change back gives it its committed entry in a new snapshot; neither the index nor the snapshot held from moves.
    const held = holdBack(staged, index, (p) => (p.startsWith('ws/scenarios/s1/') ? 'silent' : null));
    expect(held.changes.map((c) => c.path)).toEqual(native.map((c) => c.path).filter((p) => !p.startsWith('ws/scenarios/s1/')));
    expect(held.entries.get('ws/scenarios/s1/config.yaml')).toBe(index.entries.get('ws/scenarios/s1/config.yaml'));
    expect(staged.entries.get('ws/scenarios/s1/config.yaml')?.oid).not.toBe(index.entries.get('ws/scenarios/s1/config.yaml')?.oid);
    expect(index.entries).toEqual(before);
  });
});

describe('trees written here', () => {
  /** Names from the whole of Unicode, astral planes included, that git accepts in a tree. */
  const name = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 6 })
    .filter((n) => !n.includes('/') && !n.includes('\0') && n !== '.' && n !== '..' && n.toLowerCase() !== '.git' && Buffer.from(n).toString('utf8') === n);

  it('list a folder of 130,000 files as git ls-tree does (more files than a call takes arguments)', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-wide-'));
    git(root, 'init', '-q', '-b', 'main');
    const blob = await writeLooseObject(path.join(root, '.git'), 'blob', Buffer.from('{}\n'));
    const mktree = (lines: string) => {
      const result = spawnSync('git', ['mktree'], { cwd: root, input: lines, encoding: 'utf8', maxBuffer: 1 << 26 });
      if (result.status !== 0) throw new Error(result.stderr);
      return result.stdout.trim();
    };
    const names = Array.from({ length: 130_000 }, (_, i) => `run-${String(i).padStart(6, '0')}.json`);
    const wide = mktree(names.map((n) => `100644 blob ${blob}\t${n}\n`).join(''));
    const top = mktree(`040000 tree ${wide}\tws\n100644 blob ${blob}\tz.json\n`);
    const listed = (await diffTrees(new GitRepository(root), null, top)).map((change) => change.path);
    const native = spawnSync('git', ['ls-tree', '-r', '--name-only', top], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 })
      .stdout.trim()
      .split('\n');
    expect(listed).toEqual(native);
  }, 60_000);

  it('have the ids git mktree gives for the same entries, in byte order, for any names', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-mktree-'));
    git(root, 'init', '-q', '-b', 'main');
    const gitdir = path.join(root, '.git');
    const repo = new GitRepository(root);
    const blob = await writeLooseObject(gitdir, 'blob', Buffer.from('{}\n'));
    const sub = await editTree(repo, null, [{ path: 'x.json', entry: { oid: blob, mode: '100644' } }], looseObjectSink(gitdir));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(name, fc.constantFrom('100644', '100755', '120000', '40000')), { minLength: 1, maxLength: 12, selector: ([n]) => n }),
        async (entries) => {
          const edits = entries.filter(([, mode]) => mode !== '40000').map(([n, mode]) => ({ path: n, entry: { oid: blob, mode } }));
          const folders = entries.filter(([, mode]) => mode === '40000').map(([n]) => ({ path: `${n}/x.json`, entry: { oid: blob, mode: '100644' } }));
          const ours = await editTree(repo, null, [...edits, ...folders], looseObjectSink(gitdir));
          const listing = entries.map(([n, mode]) => (mode === '40000' ? `040000 tree ${sub}\t${n}` : `${mode} blob ${blob}\t${n}`)).join('\0');
          const theirs = spawnSync('git', ['mktree', '-z'], { cwd: root, input: `${listing}\0`, encoding: 'utf8' }).stdout.trim();
          expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 150 },
    );
    const fsck = spawnSync('git', ['fsck', '--full', '--strict', '--no-dangling', '--no-progress'], { cwd: root, encoding: 'utf8' });
    expect(fsck.status).toBe(0);
    expect(fsck.stderr).not.toMatch(/error|warning/i);
  });

  it('edit only what changed: an entry the edits do not name keeps its mode, link, submodule and bytes', async () => {
    const { root, gitdir } = await nativeRepo(FILES);
    await fsp.writeFile(path.join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await fsp.symlink('ws/workspace.json', path.join(root, 'latest.json'));
    git(root, 'add', '-A');
    git(root, 'update-index', '--add', '--cacheinfo', `160000,${git(root, 'rev-parse', 'HEAD').trim()},vendor/lib`);
    git(root, 'commit', '-qm', 'modes');
    const repo = new GitRepository(root);
    const head = git(root, 'rev-parse', 'HEAD^{tree}').trim();
    const blob = await writeLooseObject(gitdir, 'blob', Buffer.from('{"id":"s1","edited":true}\n'));
    const edited = await editTree(
      repo,
      head,
      [
        { path: 'ws/scenarios/s1/scenario.json', entry: { oid: blob, mode: '100644' } },
        { path: 'ws/scenarios/s2/overrides.yaml', entry: null },
      ],
      looseObjectSink(gitdir),
    );
    const diff = git(root, 'diff-tree', '-r', '--name-status', head, edited);
    expect(diff.trim().split('\n').sort()).toEqual(['D\tws/scenarios/s2/overrides.yaml', 'M\tws/scenarios/s1/scenario.json']);
    const modes = git(root, 'ls-tree', '-r', edited);
    expect(modes).toMatch(/^100755 blob \w+\trun\.sh$/m);
    expect(modes).toMatch(/^120000 blob \w+\tlatest\.json$/m);
    expect(modes).toMatch(/^160000 commit \w+\tvendor\/lib$/m);
    git(root, 'fsck', '--full', '--strict', '--no-progress');
  });
});

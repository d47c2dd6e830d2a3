import { describe, expect, it } from 'vitest';
import { mergeTrees, type ConflictResolver, type FileConflict } from '../src/conflict/three-way-merge.js';
import { expectFsckClean } from './machines.js';
import { nativeRepo, type NativeRepo } from './native-repo.js';

/** A resolver that records what reached it and keeps this side's version (or the surviving one). */
function recordingResolver(): { resolve: ConflictResolver; seen: FileConflict[] } {
  const seen: FileConflict[] = [];
  return {
    seen,
    resolve: async (conflict) => {
      seen.push(conflict);
      return { oid: conflict.ours ?? conflict.theirs };
    },
  };
}

const contents = (repo: NativeRepo, tree: string) => Object.fromEntries([...repo.files(tree)].map(([file, { content }]) => [file, content]));

/** mergeTrees on trees native git wrote; native git reads the result. */
describe('three-way merge of trees', () => {
  it('takes what one side changed, added or deleted, and asks the resolver only about files changed on both', async () => {
    const git = await nativeRepo('merge');
    const base = git.tree({
      'w/workspace.json': '{"name":"W"}\n',
      'w/base_config.yaml': 'a: 1\n',
      'w/scenarios/s1/scenario.json': '{"name":"S1"}\n',
      'w/scenarios/s2/scenario.json': '{"name":"S2"}\n',
      'README.md': 'read me\n',
    });
    const ours = git.tree({
      'w/workspace.json': '{"name":"W (ours)"}\n',
      'w/base_config.yaml': 'a: 1\n',
      'w/scenarios/s1/scenario.json': '{"name":"S1"}\n',
      'w/scenarios/s2/scenario.json': '{"name":"S2"}\n',
      'w/scenarios/s3/scenario.json': '{"name":"S3 from ours"}\n',
      'README.md': 'read me\n',
    });
    const theirs = git.tree({
      'w/workspace.json': '{"name":"W"}\n',
      'w/base_config.yaml': 'a: 2\n',
      'w/scenarios/s1/scenario.json': '{"name":"S1"}\n',
      'w/scenarios/s4/scenario.json': '{"name":"S4 from theirs"}\n',
      'README.md': 'read me, edited with native git\n',
    });
    const { resolve, seen } = recordingResolver();
    const merged = await mergeTrees(git.repo, base, ours, theirs, resolve);
    expect(seen).toEqual([]);
    expect(contents(git, merged)).toEqual({
      'README.md': 'read me, edited with native git\n',
      'w/base_config.yaml': 'a: 2\n',
      'w/scenarios/s1/scenario.json': '{"name":"S1"}\n',
      'w/scenarios/s3/scenario.json': '{"name":"S3 from ours"}\n',
      'w/scenarios/s4/scenario.json': '{"name":"S4 from theirs"}\n',
      'w/workspace.json': '{"name":"W (ours)"}\n',
    });
    // Native git merges the same trees to the same result.
    const baseCommit = commit(git, base, null);
    const native = git.git(['merge-tree', '--write-tree', commit(git, ours, baseCommit), commit(git, theirs, baseCommit)]).trim();
    expect(merged).toBe(native);
    expectFsckClean(git.gitdir);
  });

  it('hands a file changed on both sides to the resolver with the three versions, and writes what it returns', async () => {
    const git = await nativeRepo('merge-both');
    const base = git.tree({ 'w/s/scenario.json': 'base\n', 'w/keep.json': 'k\n' });
    const ours = git.tree({ 'w/s/scenario.json': 'ours\n', 'w/keep.json': 'k\n' });
    const theirs = git.tree({ 'w/s/scenario.json': 'theirs\n', 'w/keep.json': 'k\n' });
    const chosen = git.blob('chosen by the resolver\n');
    const seen: FileConflict[] = [];
    const merged = await mergeTrees(git.repo, base, ours, theirs, async (conflict) => {
      seen.push(conflict);
      return { oid: chosen };
    });
    expect(seen).toEqual([{ path: 'w/s/scenario.json', base: git.blob('base\n'), ours: git.blob('ours\n'), theirs: git.blob('theirs\n') }]);
    expect(contents(git, merged)).toEqual({ 'w/keep.json': 'k\n', 'w/s/scenario.json': 'chosen by the resolver\n' });
    // A resolver that deletes the file removes it, and the folder it leaves empty.
    const emptied = await mergeTrees(git.repo, base, ours, theirs, async () => ({ oid: null }));
    expect(contents(git, emptied)).toEqual({ 'w/keep.json': 'k\n' });
    expectFsckClean(git.gitdir);
  });

  it('a file deleted on one side and changed on the other reaches the resolver with the deleted side as null', async () => {
    const git = await nativeRepo('merge-delete');
    const base = git.tree({ 'a.json': 'base\n', 'b.json': 'base\n' });
    const ours = git.tree({ 'a.json': 'changed here\n' });
    const theirs = git.tree({ 'b.json': 'changed there\n' });
    const { resolve, seen } = recordingResolver();
    const merged = await mergeTrees(git.repo, base, ours, theirs, resolve);
    expect(seen.map((c) => [c.path, c.ours !== null, c.theirs !== null])).toEqual([
      ['a.json', true, false],
      ['b.json', false, true],
    ]);
    expect(contents(git, merged)).toEqual({ 'a.json': 'changed here\n', 'b.json': 'changed there\n' });
  });

  it('a mode changed on one side survives a content change on the other', async () => {
    const git = await nativeRepo('merge-mode');
    const base = git.tree({ 'tool.sh': 'echo 1\n' });
    const ours = git.tree({ 'tool.sh': { mode: '100755', content: 'echo 1\n' } });
    const theirs = git.tree({ 'tool.sh': 'echo 2\n' });
    const merged = await mergeTrees(git.repo, base, ours, theirs, async (conflict) => ({ oid: conflict.theirs }));
    expect(git.files(merged).get('tool.sh')).toEqual({ mode: '100755', content: 'echo 2\n' });
    // The same change made on both sides is no conflict at all.
    const { resolve, seen } = recordingResolver();
    expect(await mergeTrees(git.repo, base, ours, ours, resolve)).toBe(ours);
    expect(seen).toEqual([]);
  });

  it('two unrelated trees (no common base) merge file by file; a submodule moved on both sides keeps this side', async () => {
    const git = await nativeRepo('merge-unrelated');
    const commitA = commit(git, git.tree({ 'x.txt': 'a' }), null);
    const commitB = commit(git, git.tree({ 'x.txt': 'b' }), null);
    const ours = git.tree({ 'mine.json': '{}\n', 'same.json': '"same"\n', 'vendor/lib': { mode: '160000', oid: commitA } });
    const theirs = git.tree({ 'yours.json': '[]\n', 'same.json': '"same"\n', 'vendor/lib': { mode: '160000', oid: commitB } });
    const { resolve, seen } = recordingResolver();
    const merged = await mergeTrees(git.repo, null, ours, theirs, resolve);
    expect(seen).toEqual([]);
    expect(contents(git, merged)).toEqual({ 'mine.json': '{}\n', 'same.json': '"same"\n', 'vendor/lib': commitA, 'yours.json': '[]\n' });
    expect(git.files(merged).get('vendor/lib')?.mode).toBe('160000');
  });

  it('a file on one side where the other made a folder keeps the folder and tells the resolver', async () => {
    const git = await nativeRepo('merge-file-folder');
    const base = git.tree({ 'notes/a.json': '1\n' });
    const ours = git.tree({ 'notes/a.json': { mode: '100644', content: '2\n' }, 'other.json': '{}\n' });
    const theirs = git.tree({ notes: 'a file now\n' });
    const { resolve, seen } = recordingResolver();
    const merged = await mergeTrees(git.repo, base, ours, theirs, resolve);
    expect(seen).toEqual([{ path: 'notes', base: null, ours: null, theirs: git.blob('a file now\n'), replacedByFolder: true }]);
    expect(contents(git, merged)).toEqual({ 'notes/a.json': '2\n', 'other.json': '{}\n' });
  });

  it('everything deleted on both sides merges to the empty tree', async () => {
    const git = await nativeRepo('merge-empty');
    const base = git.tree({ 'a.json': '1\n' });
    const empty = git.git(['mktree'], { input: '' }).trim();
    const merged = await mergeTrees(git.repo, base, empty, empty, recordingResolver().resolve);
    expect(merged).toBe(empty);
  });
});

/** A commit of `tree` (with `parent`), made by native git at a fixed time. */
function commit(git: NativeRepo, tree: string, parent: string | null): string {
  const who = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const env = { ...who, GIT_AUTHOR_DATE: '1700000000 +0000', GIT_COMMITTER_DATE: '1700000000 +0000' };
  return git.git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', tree], { env }).trim();
}

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRef, writeRefFile } from '../src/git/refs.js';
import { nativeRepo, type NativeRepo } from './native-repo.js';

/** What native git says a ref points at; null when it has no such ref. */
function gitResolves(repo: NativeRepo, ref: string): string | null {
  try {
    return repo.git(['rev-parse', '--verify', '--quiet', `${ref}^{}`]).trim() || null;
  } catch {
    return null;
  }
}

async function repoWithCommits(): Promise<{ repo: NativeRepo; first: string; second: string }> {
  const repo = await nativeRepo('refs');
  const commit = (message: string, parent?: string) =>
    repo
      .git(['commit-tree', repo.tree({ 'a.txt': message }), '-m', message, ...(parent ? ['-p', parent] : [])], {
        env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
      })
      .trim();
  const first = commit('first');
  const second = commit('second', first);
  return { repo, first, second };
}

describe('refs read and written as git keeps them', () => {
  it('resolves loose, packed and symbolic refs as native git does', async () => {
    const { repo, first, second } = await repoWithCommits();
    repo.git(['update-ref', 'refs/heads/main', second]);
    repo.git(['update-ref', 'refs/remotes/origin/main', first]);
    repo.git(['update-ref', 'refs/heads/workspaces/abc/line', first]);
    repo.git(['pack-refs', '--all']);
    // a loose ref written after packing wins over its packed line
    repo.git(['update-ref', 'refs/remotes/origin/main', second]);
    repo.git(['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main']);
    const refs = [
      'HEAD',
      'refs/heads/main',
      'refs/remotes/origin/main',
      'refs/remotes/origin/HEAD',
      'refs/heads/workspaces/abc/line',
      'refs/heads/missing',
      'refs/heads/workspaces',
    ];
    for (const ref of refs) expect(readRef(repo.gitdir, ref), ref).toBe(gitResolves(repo, ref));
    expect(readRef(repo.gitdir, 'refs/heads/workspaces/abc/line')).toBe(first);
    expect(readRef(repo.gitdir, 'refs/remotes/origin/main')).toBe(second);
  });

  it('sees packed-refs change when native git repacks or deletes', async () => {
    const { repo, first, second } = await repoWithCommits();
    repo.git(['update-ref', 'refs/heads/main', first]);
    repo.git(['pack-refs', '--all']);
    expect(readRef(repo.gitdir, 'refs/heads/main')).toBe(first);
    repo.git(['update-ref', 'refs/heads/main', second]);
    repo.git(['pack-refs', '--all']);
    expect(readRef(repo.gitdir, 'refs/heads/main')).toBe(second);
    repo.git(['update-ref', '-d', 'refs/heads/main']);
    expect(readRef(repo.gitdir, 'refs/heads/main')).toBe(null);
    expect(gitResolves(repo, 'refs/heads/main')).toBe(null);
  });

  it('writes refs native git reads, over packed ones, and leaves fsck clean', async () => {
    const { repo, first, second } = await repoWithCommits();
    repo.git(['update-ref', 'refs/heads/main', first]);
    repo.git(['pack-refs', '--all']);
    writeRefFile(repo.gitdir, 'refs/heads/main', second);
    writeRefFile(repo.gitdir, 'refs/remotes/origin/main', first);
    writeRefFile(repo.gitdir, 'refs/heads/workspaces/abc/line', second);
    expect(gitResolves(repo, 'refs/heads/main')).toBe(second);
    expect(gitResolves(repo, 'refs/remotes/origin/main')).toBe(first);
    expect(gitResolves(repo, 'refs/heads/workspaces/abc/line')).toBe(second);
    expect(await fsp.readFile(path.join(repo.gitdir, 'refs/heads/main'), 'utf8')).toBe(`${second}\n`);
    // no temporary file is left beside the refs
    expect((await fsp.readdir(path.join(repo.gitdir, 'refs/heads'))).sort()).toEqual(['main', 'workspaces']);
    repo.git(['fsck', '--full', '--strict']);
  });

  it('refuses a loop of symbolic refs, a ref holding no object id, and names it does not expand', async () => {
    const { repo, first } = await repoWithCommits();
    await fsp.mkdir(path.join(repo.gitdir, 'refs/heads'), { recursive: true });
    await fsp.writeFile(path.join(repo.gitdir, 'refs/heads/a'), 'ref: refs/heads/b\n');
    await fsp.writeFile(path.join(repo.gitdir, 'refs/heads/b'), 'ref: refs/heads/a\n');
    await fsp.writeFile(path.join(repo.gitdir, 'refs/heads/junk'), 'not an id\n');
    for (const ref of ['refs/heads/a', 'refs/heads/junk']) expect(readRef(repo.gitdir, ref), ref).toBe(gitResolves(repo, ref));
    expect(() => writeRefFile(repo.gitdir, 'main', first)).toThrow(/full ref name/);
    expect(() => writeRefFile(repo.gitdir, 'refs/heads/../../config', first)).toThrow(/full ref name/);
    expect(() => writeRefFile(repo.gitdir, 'refs/heads/x', 'nope')).toThrow(/object id/);
  });
});

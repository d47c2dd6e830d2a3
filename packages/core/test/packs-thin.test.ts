import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepository } from '../src/git/repository.js';
import { indexPack } from '../src/git/pack-indexer.js';
import { storePack } from '../src/git/pack-writer.js';
import { git, gitRaw, packNames, repoWithCommits, servePack, tempFolder } from './packs-helpers.js';

/** A local repository, and a clone of it two commits ahead whose thin pack of those commits leans on local objects. */
async function localAndAhead() {
  const local = await repoWithCommits(4);
  const remote = path.join(await tempFolder('ahead'), 'remote');
  git(local, 'clone', '-q', local, remote);
  for (let i = 0; i < 2; i += 1) {
    const config = path.join(remote, 'ws-0', 'config.yaml');
    await fsp.writeFile(config, `${await fsp.readFile(config, 'utf8')}\nextra_${i}: true`);
    git(remote, 'commit', '-q', '-am', `ahead ${i}`);
  }
  const base = git(local, 'rev-parse', 'HEAD');
  const head = git(remote, 'rev-parse', 'HEAD');
  const thin = gitRaw(remote, ['pack-objects', '--thin', '--stdout', '--revs', '--delta-base-offset'], Buffer.from(`${head}\n^${base}\n`)).stdout;
  return { local, remote, base, head, thin };
}

function verifyStoredPacks(root: string, names: string[]): void {
  for (const name of names) {
    const check = gitRaw(root, ['verify-pack', path.join(root, '.git', 'objects', 'pack', name)]);
    expect(check.status, check.stderr).toBe(0);
  }
  git(root, 'fsck', '--full', '--strict', '--no-progress');
}

describe('thin packs', () => {
  it('are completed with their outside bases when stored, as git index-pack --fix-thin does', async () => {
    const { local, thin } = await localAndAhead();
    // The received pack alone is thin: git verify-pack refuses it.
    const loose = path.join(await tempFolder('thin'), 'thin.pack');
    await fsp.writeFile(loose, thin);
    expect(gitRaw(local, ['index-pack', loose]).status).not.toBe(0);

    const repo = new GitRepository(local);
    const indexed = await indexPack(thin, (oid) => repo.readRawObject(oid));
    expect(indexed.pack.length).toBeGreaterThan(thin.length);
    await storePack(path.join(local, '.git'), indexed.pack, indexed.entries);
    verifyStoredPacks(local, await packNames(local));

    // Native git completes the same pack with the same objects.
    const nativeCopy = path.join(await tempFolder('native'), 'copy');
    git(local, 'clone', '-q', '--no-local', local, nativeCopy);
    const fixed = gitRaw(nativeCopy, ['index-pack', '--fix-thin', '--stdin'], thin);
    expect(fixed.status, fixed.stderr).toBe(0);
    const nativeName = `pack-${fixed.stdout
      .toString()
      .trim()
      .replace(/^pack\t/, '')}.idx`;
    const listed = (root: string, idx: string) =>
      gitRaw(root, ['show-index'], readFileSync(idx))
        .stdout.toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[1])
        .sort();
    const ours = listed(local, path.join(local, '.git', 'objects', 'pack', `pack-${indexed.pack.subarray(indexed.pack.length - 20).toString('hex')}.idx`));
    const theirs = listed(nativeCopy, path.join(nativeCopy, '.git', 'objects', 'pack', nativeName));
    expect(ours).toEqual(theirs);
  });

  it('are never asked for, and one sent anyway is stored whole: the stored pack passes verify-pack and fsck', async () => {
    const { local, head, thin } = await localAndAhead();
    const server = await servePack(head, () => thin);
    try {
      const repo = new GitRepository(local);
      const before = await packNames(local);
      expect(await repo.fetch({ url: server.url, branch: 'main' })).toBe(head);
      // The server offered thin-pack; the want line does not take it.
      expect(server.requests[0]).toMatch(/want [0-9a-f]{40} /);
      expect(server.requests[0]).not.toContain('thin-pack');
      const added = (await packNames(local)).filter((name) => !before.includes(name));
      expect(added).toHaveLength(1);
      verifyStoredPacks(local, added);
      expect(git(local, 'rev-parse', 'refs/remotes/origin/main')).toBe(head);
      expect(git(local, 'log', '--format=%s', '-1', head)).toBe('ahead 1');
    } finally {
      await server.close();
    }
  });
});

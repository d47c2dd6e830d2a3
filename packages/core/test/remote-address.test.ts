import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncConfigError } from '../src/errors.js';
import { GitRepository } from '../src/git/repository.js';
import { remoteHere } from '../src/sync/sync-context.js';

/**
 * The address a computer reaches the remote by is the one in its own `.git/config`, as native
 * git reads it (`git remote get-url origin`); the shared settings file's serves where there is none.
 */
describe('the remote this computer talks to', () => {
  const SHARED = 'https://git.example.com/team/plans.git';

  async function repoWithOrigin(origin: string | null): Promise<GitRepository> {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'remote-here-'));
    spawnSync('git', ['init', '-q', root]);
    if (origin) spawnSync('git', ['-C', root, 'remote', 'add', 'origin', origin]);
    return new GitRepository(root);
  }
  const nativeOrigin = (repo: GitRepository) => spawnSync('git', ['-C', repo.root, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).stdout.trim();

  it("is .git/config's origin, as git reads it, whatever the shared file says", async () => {
    const own = 'https://alice@git.example.com/team/plans.git';
    const repo = await repoWithOrigin(own);
    expect(await remoteHere(repo, SHARED)).toBe(nativeOrigin(repo));
    expect(await remoteHere(repo, SHARED)).toBe(own);
  });

  it("is the shared file's when .git/config has none, and none when the file has none", async () => {
    expect(await remoteHere(await repoWithOrigin(null), SHARED)).toBe(SHARED);
    expect(await remoteHere(await repoWithOrigin(SHARED), null)).toBeNull();
  });

  it('never carries a password found there (a token PlanAlign kept in the URL): the user name stays', async () => {
    const repo = await repoWithOrigin('https://alice:tok3n-secret@git.example.com/team/plans.git');
    expect(await remoteHere(repo, SHARED)).toBe('https://alice@git.example.com/team/plans.git');
  });

  it('refuses an origin that is no remote address, naming the file and the key', async () => {
    const repo = await repoWithOrigin('/srv/plans.git');
    const refused = remoteHere(repo, SHARED);
    await expect(refused).rejects.toBeInstanceOf(SyncConfigError);
    await expect(refused).rejects.toThrow(/config: remote\.origin\.url/);
  });
});

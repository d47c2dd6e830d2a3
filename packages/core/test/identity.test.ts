import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GitRepository } from '../src/git/repository.js';
import { commitIdentity } from '../src/sync/identity.js';
import { nativeGitAvailable } from '../src/git/native-git.js';
import { isolateFromThisComputer, tempDir } from './machines.js';

/** Who a sync commit is recorded as, against what native git reads from the same configuration. */
describe('commit identity', () => {
  let root: string;
  const gitConfig = (key: string) => spawnSync('git', ['config', '--get', key], { encoding: 'utf8', cwd: root }).stdout.trim();

  beforeAll(async () => {
    await isolateFromThisComputer();
    root = await tempDir('identity');
    await new GitRepository(root).init('main');
  });

  it('finds git on the PATH without running it, as running it does', () => {
    expect(nativeGitAvailable()).toBe(spawnSync('git', ['--version']).status === 0);
  });

  it("takes the user's global name and e-mail as git reads them, the last of repeated entries", async () => {
    await fsp.writeFile(
      process.env.GIT_CONFIG_GLOBAL!,
      '[user]\n\tname = First Name\n\temail = first@example.com\n[user]\n\tname = Pat Planner\n[core]\n\tuser = not-this\n',
    );
    const identity = await commitIdentity(new GitRepository(root));
    expect(identity.name).toBe(gitConfig('user.name'));
    expect(identity.email).toBe(gitConfig('user.email'));
    expect(identity).toMatchObject({ name: 'Pat Planner', email: 'first@example.com' });
  });

  it("prefers the root's own identity, then the environment over both", async () => {
    const repo = new GitRepository(root);
    await repo.setConfig('user.email', 'root@example.com');
    expect(await commitIdentity(repo)).toMatchObject({ name: 'Pat Planner', email: 'root@example.com' });
    expect(gitConfig('user.email')).toBe('root@example.com');
    process.env.PLANALIGN_SYNC_AUTHOR_NAME = 'From Environment';
    try {
      expect(await commitIdentity(repo)).toMatchObject({ name: 'From Environment', email: 'root@example.com' });
    } finally {
      delete process.env.PLANALIGN_SYNC_AUTHOR_NAME;
    }
  });

  it('falls back to the login name when git has no identity', async () => {
    await fsp.writeFile(process.env.GIT_CONFIG_GLOBAL!, '');
    const fresh = await tempDir('identity-none');
    await new GitRepository(fresh).init('main');
    const identity = await commitIdentity(new GitRepository(fresh));
    expect(identity.name).toBe((await import('node:os')).userInfo().username);
  });
});

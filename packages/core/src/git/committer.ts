import os from 'node:os';
import { nativeGitAvailable, runNativeGit } from './native-git.js';

/** Who commits, as a commit and a reflog line name them. */
export interface Committer {
  name: string;
  email: string;
}

/** The user's own `user.name` and `user.email` as git reads them (global and system), in one run of git. */
async function gitIdentity(): Promise<{ name?: string; email?: string }> {
  if (!nativeGitAvailable()) return {};
  const result = await runNativeGit(['config', '-z', '--get-regexp', '^user\\.(name|email)$']).catch(() => null);
  const found: { name?: string; email?: string } = {};
  // -z: each entry is "key\nvalue\0"; the last one of a key wins, as `git config --get` has it.
  for (const entry of result?.code === 0 ? result.stdout.split('\0') : []) {
    const newline = entry.indexOf('\n');
    const [key, value] = [entry.slice(0, newline), entry.slice(newline + 1).trim()];
    if (key === 'user.name' && value) found.name = value;
    if (key === 'user.email' && value) found.email = value;
  }
  return found;
}

/**
 * Who commits in a root: the environment's PLANALIGN_SYNC_AUTHOR_NAME / _EMAIL, else the root's
 * Git identity (`readConfig` reads its `.git/config`), else the user's global one, else the login
 * name on this machine.
 */
export async function findCommitter(readConfig: (key: string) => Promise<string | null>): Promise<Committer> {
  const [rootName, rootEmail] = [await readConfig('user.name'), await readConfig('user.email')];
  const fromEnvironment = { name: process.env.PLANALIGN_SYNC_AUTHOR_NAME, email: process.env.PLANALIGN_SYNC_AUTHOR_EMAIL };
  // git is asked only for what neither the environment nor the root says
  const user = (!fromEnvironment.name && !rootName) || (!fromEnvironment.email && !rootEmail) ? await gitIdentity() : {};
  return {
    name: fromEnvironment.name || rootName || user.name || os.userInfo().username,
    email: fromEnvironment.email || rootEmail || user.email || `${os.userInfo().username}@${os.hostname()}`,
  };
}

import os from 'node:os';
import type { Signature } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { nativeGitAvailable, runNativeGit } from '../git/native-git.js';
import { SyncConfigError } from '../errors.js';

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
 * Who commits: the root's Git identity, else the user's global one, else the login name on
 * this machine. Recorded in history so people can see who changed what.
 */
export async function commitIdentity(repo: GitRepository, now: Date = new Date()): Promise<Signature> {
  const [rootName, rootEmail] = [await repo.getConfig('user.name'), await repo.getConfig('user.email')];
  const fromEnvironment = { name: process.env.PLANALIGN_SYNC_AUTHOR_NAME, email: process.env.PLANALIGN_SYNC_AUTHOR_EMAIL };
  // git is asked only for what neither the environment nor the root says
  const user = (!fromEnvironment.name && !rootName) || (!fromEnvironment.email && !rootEmail) ? await gitIdentity() : {};
  const name = fromEnvironment.name || rootName || user.name || os.userInfo().username;
  const email = fromEnvironment.email || rootEmail || user.email || `${os.userInfo().username}@${os.hostname()}`;
  repo.rememberIdentity({ name, email });
  return { name, email, timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: now.getTimezoneOffset() };
}

/**
 * Sets the name (and e-mail) this root's commits carry, in `.git/config`: a choice of this
 * machine, never pushed.
 */
export async function setRootAuthor(repo: GitRepository, author: { name: string; email?: string }): Promise<void> {
  const name = author.name.trim();
  if (!name || /[<>\n]/.test(name) || name.length > 100)
    throw new SyncConfigError(`"${author.name}" is not a usable name: give a name without '<', '>' or line breaks.`, { field: 'name' });
  const email = author.email?.trim();
  if (email !== undefined && !/^[^\s<>@]+@[^\s<>@]+$/.test(email)) throw new SyncConfigError(`"${author.email}" is not an e-mail address.`, { field: 'email' });
  await repo.setConfig('user.name', name);
  if (email) await repo.setConfig('user.email', email);
}

import os from 'node:os';
import type { Signature } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { nativeGitAvailable, runNativeGit } from '../git/native-git.js';
import { SyncConfigError } from '../errors.js';

async function globalGitConfig(key: string): Promise<string | null> {
  if (!nativeGitAvailable()) return null;
  const result = await runNativeGit(['config', '--get', key]).catch(() => null);
  return result && result.code === 0 ? result.stdout.trim() || null : null;
}

/**
 * Who commits: the root's Git identity, else the user's global one, else the login name on
 * this machine. Recorded in history so people can see who changed what.
 */
export async function commitIdentity(repo: GitRepository, now: Date = new Date()): Promise<Signature> {
  const name = process.env.PLANALIGN_SYNC_AUTHOR_NAME || (await repo.getConfig('user.name')) || (await globalGitConfig('user.name')) || os.userInfo().username;
  const email =
    process.env.PLANALIGN_SYNC_AUTHOR_EMAIL ||
    (await repo.getConfig('user.email')) ||
    (await globalGitConfig('user.email')) ||
    `${os.userInfo().username}@${os.hostname()}`;
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

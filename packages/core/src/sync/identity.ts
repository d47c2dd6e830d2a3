import type { Signature } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { SyncConfigError } from '../errors.js';

/**
 * Who commits (see findCommitter), and when. Recorded in history so people can see who changed
 * what.
 */
export async function commitIdentity(repo: GitRepository, now: Date = new Date()): Promise<Signature> {
  const { name, email } = await repo.committer();
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

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { SyncBusyError } from '../errors.js';
import { processAlive } from '../fs/processes.js';

/**
 * Git's lock protocol for `.git/index`: the new index is written to `index.lock`, created
 * exclusively, then renamed over the index. A native git command at work in the root holds
 * that file, and must not have its index replaced under it.
 *
 * A planalign-sync run killed while writing leaves its own `index.lock` behind, and the next
 * run must tell that leftover from a lock native git holds (left alone). So the lock is first
 * made as a claim, a file of this process's own named by its pid, then hard-linked into place
 * (as exclusive as creating it): at any moment a kill may come, a lock of this project is the
 * same file as a claim whose process is gone. (Where hard links cannot be made, the lock is
 * created in place and the claim records its inode.)
 */
const WAIT_MS = 2_000;
const STEP_MS = 50;

const claimsFolder = (gitdir: string) => path.join(gitdir, 'planalign-sync');
const CLAIM = /^index-lock-claim\.(\d+)\.\d+$/;
let claimsMade = 0;
/** A claim's name: the process, then a count (one process may wait for the lock twice at once). */
const newClaimFile = (gitdir: string) => path.join(claimsFolder(gitdir), `index-lock-claim.${process.pid}.${++claimsMade}`);

/** The claims found in the root, with the process that made each and the lock inode it stands for. */
async function claims(gitdir: string): Promise<{ file: string; pid: number; ino: number }[]> {
  const found: { file: string; pid: number; ino: number }[] = [];
  for (const name of await fsp.readdir(claimsFolder(gitdir)).catch(() => [] as string[])) {
    const match = CLAIM.exec(name);
    if (!match) continue;
    const file = path.join(claimsFolder(gitdir), name);
    const stat = await fsp.stat(file).catch(() => null);
    if (!stat) continue;
    // a claim holding a recorded inode stands for a lock created in place; else it is the lock itself
    const recorded = stat.size > 0 && stat.size < 64 ? Number(JSON.parse(await fsp.readFile(file, 'utf8').catch(() => '{}')).ino) : NaN;
    found.push({ file, pid: Number(match[1]), ino: Number.isInteger(recorded) ? recorded : stat.ino });
  }
  return found;
}

/** Whether index.lock is the leftover of a planalign-sync process that is gone; its claim, if so. */
async function ownLeftover(gitdir: string, lock: string): Promise<string | null> {
  const stat = await fsp.stat(lock).catch(() => null);
  if (!stat) return null;
  const claim = (await claims(gitdir)).find((c) => c.ino === stat.ino && c.pid !== process.pid);
  return claim && !processAlive(claim.pid) ? claim.file : null;
}

/** Removes `index.lock` when a planalign-sync process that has since died made it. */
async function removeOwnStaleLock(gitdir: string, lock: string): Promise<boolean> {
  const claim = await ownLeftover(gitdir, lock).catch(() => null);
  if (!claim) return false;
  await fsp.rm(lock, { force: true });
  await fsp.rm(claim, { force: true });
  return true;
}

/** Claims of runs killed before they could remove them, that no lock stands for any more. */
async function removeDeadClaims(gitdir: string): Promise<void> {
  const lock = await fsp.stat(lockPath(gitdir)).catch(() => null);
  for (const claim of await claims(gitdir)) {
    if (claim.pid !== process.pid && claim.ino !== lock?.ino && !processAlive(claim.pid)) await fsp.rm(claim.file, { force: true });
  }
}

/** Takes index.lock by linking `claim` into place; waits a little for a Git program that holds it. Whether it was linked. */
async function takeLock(gitdir: string, lock: string, claim: string): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      await fsp.link(claim, lock);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        // A file system without hard links: the lock is created in place.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
        try {
          await (await fsp.open(lock, 'wx', 0o644)).close();
          return false;
        } catch (created) {
          if ((created as NodeJS.ErrnoException).code !== 'EEXIST') throw created;
        }
      }
    }
    if (await removeOwnStaleLock(gitdir, lock)) continue;
    if (Date.now() > deadline) {
      throw new SyncBusyError(
        `Another Git program is working in ${path.dirname(gitdir)}: ${lock} exists. Nothing was changed. ` +
          `Try again when it has finished; if no Git program is running, delete ${lock}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
}

/**
 * `index.lock`, held by this process: taken before a change that ends in a new index (a commit,
 * a checkout) starts moving anything, so that a Git program at work stops it before the branch
 * moves rather than after. `commit` puts the new index in place; `release` gives the lock up.
 */
export class IndexLock {
  private committed = false;

  private constructor(
    private readonly gitdir: string,
    private readonly handle: fsp.FileHandle,
    private readonly claim: string,
  ) {}

  static async acquire(gitdir: string): Promise<IndexLock> {
    const lock = lockPath(gitdir);
    const claim = newClaimFile(gitdir);
    await fsp.mkdir(claimsFolder(gitdir), { recursive: true });
    await removeDeadClaims(gitdir);
    const handle = await fsp.open(claim, 'w', 0o644);
    try {
      if (await takeLock(gitdir, lock, claim)) return new IndexLock(gitdir, handle, claim);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fsp.rm(claim, { force: true });
      throw error;
    }
    // created in place: the claim records the lock's inode, and the lock is written through a handle of its own
    await handle.close();
    try {
      const own = await fsp.open(lock, 'r+');
      await fsp.writeFile(claim, JSON.stringify({ ino: (await own.stat()).ino }));
      return new IndexLock(gitdir, own, claim);
    } catch (error) {
      await fsp.rm(lock, { force: true });
      await fsp.rm(claim, { force: true });
      throw error;
    }
  }

  async commit(content: Buffer): Promise<void> {
    if (this.committed) throw new Error('index.lock was already committed');
    await this.handle.writeFile(content);
    await this.handle.sync();
    await this.handle.close();
    await fsp.rename(lockPath(this.gitdir), path.join(this.gitdir, 'index'));
    this.committed = true;
    await fsp.rm(this.claim, { force: true });
  }

  async release(): Promise<void> {
    if (this.committed) return;
    await this.handle.close().catch(() => undefined);
    await fsp.rm(lockPath(this.gitdir), { force: true });
    await fsp.rm(this.claim, { force: true });
    this.committed = true;
  }
}

const lockPath = (gitdir: string) => path.join(gitdir, 'index.lock');

/** Runs `work` holding index.lock, which it may commit; released whatever happens. */
export async function withIndexLock<T>(gitdir: string, work: (lock: IndexLock) => Promise<T>): Promise<T> {
  const lock = await IndexLock.acquire(gitdir);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}

/** Writes `content` into `index.lock`, then puts it in place as the index. */
export async function replaceIndex(gitdir: string, content: Buffer): Promise<void> {
  await withIndexLock(gitdir, (lock) => lock.commit(content));
}

/**
 * `index.lock` as it is now, without touching it: when it was last written, and whether it is
 * the leftover of a planalign-sync process that is gone (the next sync removes that one
 * itself). Null when there is none.
 */
export async function inspectIndexLock(gitdir: string): Promise<{ modifiedAtMs: number; ownLeftover: boolean } | null> {
  const stat = await fsp.stat(lockPath(gitdir)).catch(() => null);
  if (!stat) return null;
  return { modifiedAtMs: stat.mtimeMs, ownLeftover: (await ownLeftover(gitdir, lockPath(gitdir)).catch(() => null)) !== null };
}

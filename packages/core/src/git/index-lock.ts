import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { SyncBusyError } from '../errors.js';
import { processAlive } from '../fs/processes.js';

/**
 * Git's lock protocol for `.git/index`: the new index is written to `index.lock`, created
 * exclusively, then renamed over the index. A native git command at work in the root holds
 * that file, and must not have its index replaced under it.
 *
 * A planalign-sync run killed while writing leaves its own `index.lock` behind. It records
 * which process created which lock file, so the next run can tell its own leftover (that
 * process is gone) from a lock native git holds (left alone).
 */
const WAIT_MS = 2_000;
const STEP_MS = 50;

const ownerFile = (gitdir: string) => path.join(gitdir, 'planalign-sync', 'index-lock-owner');

/** Removes `index.lock` when a planalign-sync process that has since died created it. */
async function removeOwnStaleLock(gitdir: string, lock: string): Promise<boolean> {
  try {
    const owner = JSON.parse(await fsp.readFile(ownerFile(gitdir), 'utf8')) as { pid: number; ino: number };
    const stat = await fsp.stat(lock);
    if (stat.ino !== owner.ino || processAlive(owner.pid)) return false;
    await fsp.rm(lock, { force: true });
    return true;
  } catch {
    return false;
  }
}

async function createLock(gitdir: string, lock: string): Promise<fsp.FileHandle> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      return await fsp.open(lock, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
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
  ) {}

  static async acquire(gitdir: string): Promise<IndexLock> {
    const handle = await createLock(gitdir, lockPath(gitdir));
    try {
      await fsp.mkdir(path.dirname(ownerFile(gitdir)), { recursive: true });
      await fsp.writeFile(ownerFile(gitdir), JSON.stringify({ pid: process.pid, ino: (await handle.stat()).ino }));
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fsp.rm(lockPath(gitdir), { force: true });
      throw error;
    }
    return new IndexLock(gitdir, handle);
  }

  async commit(content: Buffer): Promise<void> {
    if (this.committed) throw new Error('index.lock was already committed');
    await this.handle.writeFile(content);
    await this.handle.sync();
    await this.handle.close();
    await fsp.rename(lockPath(this.gitdir), path.join(this.gitdir, 'index'));
    this.committed = true;
    await fsp.rm(ownerFile(this.gitdir), { force: true });
  }

  async release(): Promise<void> {
    if (this.committed) return;
    await this.handle.close().catch(() => undefined);
    await fsp.rm(lockPath(this.gitdir), { force: true });
    await fsp.rm(ownerFile(this.gitdir), { force: true });
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
  const owner = await fsp
    .readFile(ownerFile(gitdir), 'utf8')
    .then((text) => JSON.parse(text) as { pid: number; ino: number })
    .catch(() => null);
  return { modifiedAtMs: stat.mtimeMs, ownLeftover: owner !== null && owner.ino === stat.ino && !processAlive(owner.pid) };
}

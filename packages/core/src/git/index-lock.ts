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

/** Writes `content` into `index.lock`, then puts it in place as the index. */
export async function replaceIndex(gitdir: string, content: Buffer): Promise<void> {
  const index = path.join(gitdir, 'index');
  const lock = `${index}.lock`;
  const handle = await createLock(gitdir, lock);
  let committed = false;
  try {
    await fsp.mkdir(path.dirname(ownerFile(gitdir)), { recursive: true });
    await fsp.writeFile(ownerFile(gitdir), JSON.stringify({ pid: process.pid, ino: (await handle.stat()).ino }));
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    await fsp.rename(lock, index);
    committed = true;
  } finally {
    if (!committed) {
      await handle.close().catch(() => undefined);
      await fsp.rm(lock, { force: true });
    }
    await fsp.rm(ownerFile(gitdir), { force: true });
  }
}

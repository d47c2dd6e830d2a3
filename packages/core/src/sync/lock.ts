import { promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncBusyError } from '../errors.js';

interface LockOwner {
  pid: number;
  host: string;
  operation: string;
  started_at: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock whose owner is gone (killed, crashed) must never block the next sync. */
async function isStale(file: string): Promise<boolean> {
  try {
    const text = await fsp.readFile(file, 'utf8');
    const owner = JSON.parse(text) as LockOwner;
    if (owner.host !== os.hostname()) return Date.now() - Date.parse(owner.started_at) > 6 * 3600_000;
    return !processAlive(owner.pid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // Empty or torn: its writer died between creating and filling it, unless that is happening right now.
    const stat = await fsp.stat(file).catch(() => null);
    return stat !== null && Date.now() - stat.mtimeMs > 5_000;
  }
}

export function lockPath(gitdir: string): string {
  return path.join(gitdir, 'planalign-sync', 'sync.lock');
}

/**
 * One sync at a time per root, shared by the CLI, the API and the watcher: an exclusive
 * lock file inside `.git/` that records its owner. A caller waits up to `timeoutMs`.
 */
export async function withRootLock<T>(
  gitdir: string,
  operation: string,
  work: () => Promise<T>,
  timeoutMs = Number(process.env.PLANALIGN_SYNC_LOCK_TIMEOUT_MS ?? 60_000),
): Promise<T> {
  const file = lockPath(gitdir);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), operation, started_at: new Date().toISOString() };
  let delay = 25;
  for (;;) {
    try {
      const handle = await fsp.open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(file)) {
        await fsp.rm(file, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        const holder = await fsp.readFile(file, 'utf8').then((t) => JSON.parse(t) as LockOwner).catch(() => null);
        throw new SyncBusyError(
          `Another sync${holder ? ` (${holder.operation}, process ${holder.pid})` : ''} is running on this root. Wait for it to finish and try again.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
  const release = () => {
    try {
      // Synchronous so it also runs from an 'exit' handler.
      rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  try {
    return await work();
  } finally {
    process.removeListener('exit', release);
    await fsp.rm(file, { force: true });
  }
}

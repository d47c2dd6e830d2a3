import { promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncBusyError } from '../errors.js';
import { processAlive } from '../fs/processes.js';
import { stateDir } from './state-dir.js';

export interface LockOwner {
  pid: number;
  host: string;
  operation: string;
  started_at: string;
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
  return path.join(stateDir(gitdir), 'sync.lock');
}

/**
 * Takes an exclusive lock file that records its owner, unless a live process holds it: then
 * null. A lock left by a process that is gone is removed first. The returned function releases it.
 */
export async function tryLock(file: string, operation: string): Promise<(() => Promise<void>) | null> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), operation, started_at: new Date().toISOString() };
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
      if (!(await isStale(file))) return null;
      await fsp.rm(file, { force: true });
    }
  }
  const releaseNow = () => {
    try {
      // Synchronous so it also runs from an 'exit' handler.
      rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.once('exit', releaseNow);
  return async () => {
    process.removeListener('exit', releaseNow);
    await fsp.rm(file, { force: true });
  };
}

/** Who holds a lock file, for messages. */
export async function lockHolder(file: string): Promise<LockOwner | null> {
  return fsp
    .readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as LockOwner)
    .catch(() => null);
}

/** A lock file as it is now, without touching it. */
export interface LockState {
  /** null when the file is empty or torn */
  owner: LockOwner | null;
  /** whether the next sync would remove it (its owner is gone; see isStale) */
  stale: boolean;
  /** when it was taken (its owner's record, else the file's time), in ms */
  takenAtMs: number;
}

/** The lock file's state; null when there is no lock. Nothing is changed. */
export async function inspectLock(file: string): Promise<LockState | null> {
  const stat = await fsp.stat(file).catch(() => null);
  if (!stat) return null;
  const read = await lockHolder(file);
  const owner = read !== null && typeof read === 'object' && typeof read.pid === 'number' ? read : null;
  const recorded = owner ? Date.parse(owner.started_at) : Number.NaN;
  return { owner, stale: await isStale(file), takenAtMs: Number.isNaN(recorded) ? stat.mtimeMs : recorded };
}

/** Removes the lock when it is stale (what the next sync would do by itself); true when it did. */
export async function removeStaleLock(file: string): Promise<boolean> {
  if (!(await isStale(file))) return false;
  await fsp.rm(file, { force: true });
  return true;
}

/** Runs `work` holding a lock file, waiting up to `timeoutMs` for it. */
export async function withFileLock<T>(
  file: string,
  operation: string,
  work: () => Promise<T>,
  timeoutMs: number,
  busyMessage: (holder: string) => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  for (;;) {
    const release = await tryLock(file, operation);
    if (release) {
      try {
        return await work();
      } finally {
        await release();
      }
    }
    if (Date.now() >= deadline) {
      const holder = await lockHolder(file);
      throw new SyncBusyError(busyMessage(holder ? ` (${holder.operation}, process ${holder.pid})` : ''));
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
}

/**
 * One sync at a time per root, shared by the CLI, the API and the watcher: an exclusive
 * lock file inside `.git/` that records its owner. A caller waits up to `timeoutMs`.
 */
export function withRootLock<T>(
  gitdir: string,
  operation: string,
  work: () => Promise<T>,
  timeoutMs = Number(process.env.PLANALIGN_SYNC_LOCK_TIMEOUT_MS ?? 60_000),
): Promise<T> {
  return withFileLock(
    lockPath(gitdir),
    operation,
    work,
    timeoutMs,
    (holder) => `Another sync${holder} is running on this root. Wait for it to finish and try again.`,
  );
}

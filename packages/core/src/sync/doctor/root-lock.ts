import os from 'node:os';
import type { DoctorFinding } from '../../models/doctor.js';
import { inspectLock, lockPath, removeStaleLock } from '../../state/lock.js';
import { formatDuration } from './wording.js';

/** A live sync holding the lock this long is probably stuck (a push of a large root takes minutes, not this). */
const STUCK_AFTER_SECONDS = 30 * 60;

/**
 * The lock that lets one sync at a time run on the root: free, held by a sync under way, held
 * for so long that the sync is probably stuck, or stale (its process is gone). A stale lock
 * is reported, and removed only when `removeStale` asks for it.
 */
export async function checkRootLock(gitdir: string, now: () => number, removeStale: boolean): Promise<DoctorFinding> {
  const file = lockPath(gitdir);
  const state = await inspectLock(file);
  if (!state) return { check: 'lock', status: 'ok', summary: 'No sync holds the lock: the next one can start.' };
  const seconds = Math.max(0, Math.round((now() - state.takenAtMs) / 1000));
  const since = new Date(state.takenAtMs).toISOString();
  const owner = state.owner;
  const holder = owner
    ? `a sync (${owner.operation}, process ${owner.pid}${owner.host && owner.host !== os.hostname() ? ` on ${owner.host}` : ''})`
    : 'a process that left the lock file empty';
  if (state.stale) {
    if (removeStale && (await removeStaleLock(file))) {
      return { check: 'lock', status: 'ok', summary: `Removed the stale lock left by ${holder}, which is no longer running.`, since, seconds };
    }
    return {
      check: 'lock',
      status: 'warning',
      summary: `The lock is stale: ${holder} took it ${formatDuration(seconds)} ago and is no longer running.`,
      detail: `${file} is removed by the next sync, or now on request.`,
      next: { action: 'remove_stale_lock' },
      since,
      seconds,
    };
  }
  if (seconds >= STUCK_AFTER_SECONDS) {
    return {
      check: 'lock',
      status: 'warning',
      summary: `${capitalized(holder)} has held the lock for ${formatDuration(seconds)}: it may be stuck, and every other sync waits for it.`,
      detail: `Once that process ends, the next sync removes ${file} by itself.`,
      next: { action: 'end_stuck_sync' },
      since,
      seconds,
    };
  }
  return { check: 'lock', status: 'ok', summary: `${capitalized(holder)} is running now; other syncs wait for it.`, since, seconds };
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

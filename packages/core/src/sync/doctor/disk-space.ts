import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DoctorFinding } from '../../models/doctor.js';
import { formatBytes } from './wording.js';

const MB = 1024 * 1024;
/** Below this, a pull or a pack of changes may not fit. */
const PROBLEM_BELOW_BYTES = 200 * MB;
/** Below this (or twice the repository, whichever is more), it soon may not. */
const WARNING_BELOW_BYTES = 1024 * MB;

/** The nearest folder that exists at or above `target` (a root not created yet is checked where it would be). */
async function existingFolder(target: string): Promise<string> {
  let folder = path.resolve(target);
  for (;;) {
    if (await fsp.stat(folder).catch(() => null)) return folder;
    const parent = path.dirname(folder);
    if (parent === folder) return folder;
    folder = parent;
  }
}

/** Free space on the disk holding the root, against what a sync may need to write (about the repository's size again, for a repack). */
export async function checkDiskSpace(root: string, repositoryBytes = 0): Promise<DoctorFinding> {
  const stats = await fsp.statfs(await existingFolder(root));
  const bytes = stats.bavail * stats.bsize;
  const wanted = Math.max(WARNING_BELOW_BYTES, 2 * repositoryBytes);
  if (bytes < PROBLEM_BELOW_BYTES) {
    return {
      check: 'disk_space',
      status: 'problem',
      summary: `Only ${formatBytes(bytes)} is free on the disk that holds the workspaces: a sync may fail half-way for lack of space.`,
      next: { action: 'free_disk_space' },
      bytes,
    };
  }
  if (bytes < wanted) {
    return {
      check: 'disk_space',
      status: 'warning',
      summary: `${formatBytes(bytes)} is free on the disk that holds the workspaces; syncs want at least ${formatBytes(wanted)}.`,
      next: { action: 'free_disk_space' },
      bytes,
    };
  }
  return { check: 'disk_space', status: 'ok', summary: `${formatBytes(bytes)} is free on the disk that holds the workspaces.`, bytes };
}

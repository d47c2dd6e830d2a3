import { readOpenConflicts, type Decision } from '../conflict/open-conflicts.js';
import { SyncConfigError, SyncError } from '../errors.js';
import type { ConflictResolution } from '../models/conflicts.js';
import { redactUrl } from '../models/remote-url.js';
import type { PullResult } from '../models/results.js';
import { withRootLock } from '../state/lock.js';
import { plural } from '../util/plural.js';
import { recordDecision, restoreBackup } from './conflicts.js';
import type { ProgressReporter } from './progress.js';
import { pullLocked } from './pull.js';
import { pushRoot } from './push.js';
import { loadSyncContext } from './sync-context.js';

/**
 * Settles one file: `local` or `remote` for an open conflict, or `backup:<id>` to put a kept
 * version in place. Once every open conflict has a decision, the pull they stopped runs, and
 * the result is sent.
 */
export async function resolveConflict(
  root: string,
  filePath: string,
  use: string,
  progress: ProgressReporter,
  choices: Record<string, Decision> = {},
): Promise<ConflictResolution> {
  const decided = await decideConflict(root, filePath, use, progress, choices);
  if (!decided.pull) return decided;
  // The last decision made the merge: sending it is what makes the choice the version every
  // computer has, rather than one this computer alone holds until someone syncs.
  try {
    const pushed = await pushRoot(root, {}, progress);
    return { ...decided, shared: true, message: `Resolved, and sent to the other computers. ${pushed.message}` };
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    return {
      ...decided,
      message: `Resolved on this computer; the other computers get the choice with the next sync (sending it now failed: ${redactUrl(error.message)})`,
    };
  }
}

async function decideConflict(
  root: string,
  filePath: string,
  use: string,
  progress: ProgressReporter,
  choices: Record<string, Decision>,
): Promise<ConflictResolution> {
  const context = await loadSyncContext(root);
  return withRootLock(context.repo.gitdir, 'resolve', async () => {
    const backupId = use.startsWith('backup:') ? use.slice('backup:'.length) : null;
    if (backupId === null && use !== 'local' && use !== 'remote') {
      throw new SyncConfigError(`"${use}" is not a choice for a conflict: use local, remote or backup:<id> (a backup's id from the list of conflicts).`, {
        field: 'use',
        next: { action: 'list_conflicts' },
      });
    }
    if (backupId !== null && Object.keys(choices).length > 0) {
      throw new SyncConfigError('A kept version is put back whole: choose it without settings.', { field: 'settings' });
    }
    if (backupId !== null) {
      const restored = await restoreBackup(context, backupId);
      if (restored.path !== filePath) {
        throw new SyncConfigError(`Backup ${backupId} holds ${restored.path}, not ${filePath}.`);
      }
    }
    const decided = await recordDecision(context, filePath, backupId !== null ? 'local' : (use as Decision), choices);
    if (!decided && backupId === null) {
      throw new SyncConfigError(`${filePath} has no open conflict.`, { next: { action: 'list_conflicts' } });
    }
    const open = await readOpenConflicts(context.repo.gitdir);
    const pending = (open?.files ?? []).filter((f) => !f.decision).map((f) => f.path);
    let pull: PullResult | null = null;
    if (open && pending.length === 0 && context.settings.remote) {
      pull = await pullLocked(context, {}, progress);
    }
    const message = pull
      ? `Resolved. ${pull.message}`
      : pending.length > 0
        ? `Recorded ${Object.keys(choices).length > 0 ? 'a choice per setting' : use} for ${filePath}; ${plural(pending.length, 'file')} still to decide.`
        : `Put backup ${backupId} in place for ${filePath}; it goes to the other computers with the next sync.`;
    return { path: filePath, use, pending, pull, shared: false, message };
  });
}

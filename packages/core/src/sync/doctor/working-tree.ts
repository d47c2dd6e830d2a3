import { readIndex, UnreadableIndexError } from '../../git/index-file.js';
import { inspectIndexLock } from '../../git/index-lock.js';
import type { GitRepository } from '../../git/repository.js';
import type { DoctorFinding } from '../../models/doctor.js';
import { plural } from '../../util/plural.js';
import { pendingCheckoutSince } from '../integrate.js';
import { scanWorkingTree } from '../local-commit.js';
import { stageWorkingTree } from '../stage.js';
import type { SyncContext } from '../sync-context.js';
import { formatDuration, mostSerious } from './wording.js';

/** A Git command holding `index.lock` longer than this has most likely stopped without cleaning up. */
const INDEX_LOCK_LEFT_AFTER_SECONDS = 10 * 60;
const PATHS_SHOWN = 20;

/** A file update (pull, merge, branch switch) that a killed run left half-done, which the next sync finishes first. */
export async function checkPendingCheckout(repo: GitRepository, now: () => number): Promise<DoctorFinding> {
  const since = await pendingCheckoutSince(repo);
  if (since === null) return { check: 'checkout', status: 'ok', summary: 'No update of the files was left half-done.' };
  const seconds = Math.max(0, Math.round((now() - since) / 1000));
  return {
    check: 'checkout',
    status: 'warning',
    summary: `An update of the files (a pull, a merge or a branch switch) was cut off ${formatDuration(seconds)} ago; some files are between two versions.`,
    detail: 'The next sync finishes it before anything else, so no half-updated file is taken for a local edit.',
    next: { action: 'sync_again' },
    since: new Date(since).toISOString(),
    seconds,
  };
}

/**
 * Git's index, which sync shares with native git: readable by sync, not in the middle of a
 * native merge, and not locked by a Git program that stopped.
 */
export async function checkIndex(repo: GitRepository, now: () => number): Promise<DoctorFinding> {
  const found: DoctorFinding[] = [];
  const lock = await inspectIndexLock(repo.gitdir);
  if (lock) {
    const seconds = Math.max(0, Math.round((now() - lock.modifiedAtMs) / 1000));
    if (lock.ownLeftover) {
      found.push({ check: 'index', status: 'ok', summary: 'A sync that was killed left index.lock behind; the next sync removes it.', seconds });
    } else if (seconds < INDEX_LOCK_LEFT_AFTER_SECONDS) {
      found.push({
        check: 'index',
        status: 'warning',
        summary: `A Git program is working in the root (its index.lock is ${formatDuration(seconds)} old); a sync started now waits, then stops.`,
        next: { action: 'finish_git_operation' },
        seconds,
      });
    } else {
      found.push({
        check: 'index',
        status: 'problem',
        summary: `${repo.gitdir}/index.lock was left ${formatDuration(seconds)} ago by a Git program that stopped: every sync stops until it is gone.`,
        next: { action: 'finish_git_operation' },
        seconds,
      });
    }
  }
  try {
    const index = await readIndex(repo.gitdir);
    if (index.unmerged.length > 0) {
      found.push({
        check: 'index',
        status: 'problem',
        summary: `A Git merge is in progress in the root (${plural(index.unmerged.length, 'unmerged file')}): nothing syncs until it is finished or cancelled.`,
        paths: index.unmerged.slice(0, PATHS_SHOWN),
        next: { action: 'finish_git_operation' },
      });
    } else {
      found.push({ check: 'index', status: 'ok', summary: `Git's index is readable (version ${index.version}, ${plural(index.entries.size, 'file')}).` });
    }
  } catch (error) {
    if (!(error instanceof UnreadableIndexError)) throw error;
    found.push({
      check: 'index',
      status: 'warning',
      summary: `Git's index cannot be read by sync: ${error.reason}.`,
      detail: "Sync works meanwhile, taking the last commit's files instead and reading every working file, which is slower on a large root.",
      next: { action: 'rebuild_index' },
    });
  }
  return mostSerious(found);
}

/**
 * Files the sync rules cover that are not synced: over the size limit, symbolic links, names
 * that are not UTF-8, JSON or YAML that does not parse. Files are read and hashed, never stored.
 */
export async function checkSkippedFiles(context: SyncContext): Promise<DoctorFinding> {
  const { index, scan } = await scanWorkingTree(context);
  const { skipped } = await stageWorkingTree(context.root, scan, index);
  if (skipped.length === 0) {
    return { check: 'skipped_files', status: 'ok', summary: `Every file the sync rules cover can be synced (${plural(scan.files.size, 'file')}).` };
  }
  const beingWritten = skipped.filter((file) => file.being_written).length;
  return {
    check: 'skipped_files',
    status: 'warning',
    summary:
      `${plural(skipped.length, 'file')} the sync rules cover ${skipped.length === 1 ? 'is' : 'are'} not synced` +
      (beingWritten > 0 ? ` (${beingWritten} probably still being written)` : '') +
      '; other computers keep their last synced version.',
    detail: skipped
      .slice(0, PATHS_SHOWN)
      .map((file) => `${file.path}: ${file.reason}`)
      .join('\n'),
    paths: skipped.slice(0, PATHS_SHOWN).map((file) => file.path),
    next: { action: 'fix_skipped_files' },
  };
}

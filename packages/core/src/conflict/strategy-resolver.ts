import { SyncConflictError } from '../errors.js';
import type { GitRepository } from '../git/repository.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import type { ResolvedConflict } from '../models/results.js';
import { saveBackup } from './backups.js';
import type { ConflictResolver, FileConflict } from './three-way-merge.js';

export interface SideInfo {
  commit: string;
  /** seconds since the epoch: when this side last changed */
  changedAt: number;
}

/**
 * Settles files changed on both sides. A modified file always beats a deletion (nothing
 * written is lost); otherwise the strategy picks the winner and the loser goes to a backup.
 * With `ask-user`, the conflicts are collected and the merge stops before anything changes.
 */
export function createStrategyResolver(options: {
  repo: GitRepository;
  strategy: ConflictStrategy;
  ours: SideInfo;
  theirs: SideInfo;
  resolved: ResolvedConflict[];
}): { resolve: ConflictResolver; finish: () => void } {
  const { repo, strategy, ours, theirs, resolved } = options;
  const unresolved: FileConflict[] = [];
  const resolve: ConflictResolver = async (conflict) => {
    if (conflict.ours === null || conflict.theirs === null) {
      const survivor = conflict.ours ?? conflict.theirs;
      resolved.push({ path: conflict.path, winner: conflict.ours ? 'local' : 'remote', strategy: 'modified-beats-deleted', backup: null });
      return { oid: survivor };
    }
    if (strategy === 'ask-user') {
      unresolved.push(conflict);
      return { oid: conflict.ours };
    }
    const localWins =
      strategy === 'keep-local' || (strategy === 'last-write-wins' && ours.changedAt >= theirs.changedAt);
    const loser = localWins ? conflict.theirs : conflict.ours;
    const record = await saveBackup(repo.root, conflict.path, await repo.readBlob(loser), {
      side: localWins ? 'remote' : 'local',
      reason: 'lost a conflict',
      strategy,
      commit: localWins ? theirs.commit : ours.commit,
    });
    resolved.push({ path: conflict.path, winner: localWins ? 'local' : 'remote', strategy, backup: record.id });
    return { oid: localWins ? conflict.ours : conflict.theirs };
  };
  const finish = () => {
    if (unresolved.length > 0) {
      const files = unresolved.map((c) => c.path);
      throw new SyncConflictError(
        `${files.length} file(s) changed both here and on the remote: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}. ` +
          `Nothing was changed. Choose a side with --strategy keep-local|keep-remote|last-write-wins, or set conflict_strategy in .planalign-sync.yaml.`,
        files,
      );
    }
  };
  return { resolve, finish };
}

import { SyncConflictError } from '../errors.js';
import type { GitRepository } from '../git/repository.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import type { ResolvedConflict } from '../models/results.js';
import { writeLooseObject } from '../git/objects.js';
import { saveBackup } from './backups.js';
import { isStructurallyMergeable, mergeStructured } from './structural-merge.js';
import type { ConflictResolver, FileConflict } from './three-way-merge.js';

export interface SideInfo {
  commit: string;
  /** seconds since the epoch: when this side last changed */
  changedAt: number;
}

/**
 * Settles files changed on both sides. A modified file always beats a deletion (nothing
 * written is lost). JSON and YAML are merged by key first, so edits to different keys both
 * survive; for keys (or whole files) changed differently on both sides, the strategy picks the
 * winner and the losing version goes to a backup. With `ask-user`, real conflicts are collected
 * and the merge stops before anything changes.
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
  /** Keeps the whole version of the side that lost, byte for byte. */
  const backUpLoser = async (conflict: FileConflict, localWins: boolean) =>
    saveBackup(repo.root, conflict.path, await repo.readBlob((localWins ? conflict.theirs : conflict.ours)!), {
      side: localWins ? 'remote' : 'local',
      reason: 'lost a conflict',
      strategy,
      commit: localWins ? theirs.commit : ours.commit,
    });
  const resolve: ConflictResolver = async (conflict) => {
    if (conflict.ours === null || conflict.theirs === null) {
      const survivor = conflict.ours ?? conflict.theirs;
      resolved.push({ path: conflict.path, winner: conflict.ours ? 'local' : 'remote', strategy: 'modified-beats-deleted', backup: null, keys: [] });
      return { oid: survivor };
    }
    const localPreferred = strategy === 'keep-local' || (strategy !== 'keep-remote' && ours.changedAt >= theirs.changedAt);
    if (isStructurallyMergeable(conflict.path)) {
      const text = async (oid: string | null) => (oid ? Buffer.from(await repo.readBlob(oid)).toString('utf8') : null);
      const merged = mergeStructured(conflict.path, await text(conflict.base), (await text(conflict.ours))!, (await text(conflict.theirs))!, localPreferred ? 'ours' : 'theirs');
      if (merged && merged.conflicts.length === 0) {
        resolved.push({ path: conflict.path, winner: 'merged', strategy: 'structural-merge', backup: null, keys: [] });
        return { oid: await writeLooseObject(repo.gitdir, 'blob', Buffer.from(merged.content)) };
      }
      if (merged && strategy !== 'ask-user') {
        const record = await backUpLoser(conflict, localPreferred);
        resolved.push({ path: conflict.path, winner: localPreferred ? 'local' : 'remote', strategy, backup: record.id, keys: merged.conflicts.map((c) => c.path.join('.')) });
        return { oid: await writeLooseObject(repo.gitdir, 'blob', Buffer.from(merged.content)) };
      }
    }
    if (strategy === 'ask-user') {
      unresolved.push(conflict);
      return { oid: conflict.ours };
    }
    const record = await backUpLoser(conflict, localPreferred);
    resolved.push({ path: conflict.path, winner: localPreferred ? 'local' : 'remote', strategy, backup: record.id, keys: [] });
    return { oid: localPreferred ? conflict.ours : conflict.theirs };
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

import type { GitRepository } from '../git/repository.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import type { ResolvedConflict } from '../models/results.js';
import { writeLooseObject } from '../git/objects.js';
import { saveBackup } from './backups.js';
import type { FileDecision } from './open-conflicts.js';
import { isStructurallyMergeable, keyName, mergeStructured, type StructuralMergeResult } from './structural-merge.js';
import type { ConflictResolver, FileConflict } from './three-way-merge.js';

export interface SideInfo {
  commit: string;
  /** seconds since the epoch: when this side last changed the file */
  changedAt: (filePath: string) => Promise<number>;
}

/**
 * Settles files changed on both sides. A modified file always beats a deletion (nothing
 * written is lost). JSON and YAML are merged by key first, so edits to different keys both
 * survive; for keys (or whole files) changed differently on both sides, the strategy picks the
 * winner and the losing version goes to a backup. With `ask-user`, real conflicts without a
 * decision are collected in `unresolved` for the caller to stop on.
 */
export function createStrategyResolver(options: {
  repo: GitRepository;
  /** the strategy for each file: a workspace may have its own */
  strategyFor: (filePath: string) => ConflictStrategy;
  ours: SideInfo;
  theirs: SideInfo;
  resolved: ResolvedConflict[];
  /** what the user already chose for some files (from `conflicts resolve`) */
  decisions?: Map<string, FileDecision>;
  /** decide as a merge would, but keep no backups (a preview) */
  dryRun?: boolean;
}): { resolve: ConflictResolver; unresolved: FileConflict[] } {
  const { repo, strategyFor, ours, theirs, resolved } = options;
  const decisions = options.decisions ?? new Map<string, FileDecision>();
  const unresolved: FileConflict[] = [];
  /** Keeps one side's whole version, byte for byte, saying why and what settled it. */
  const backUp = async (conflict: FileConflict, local: boolean, reason: string, strategy: string): Promise<{ id: string | null }> =>
    options.dryRun
      ? { id: null }
      : saveBackup(repo.root, conflict.path, await repo.readBlob((local ? conflict.ours : conflict.theirs)!), {
          side: local ? 'local' : 'remote',
          reason,
          strategy,
          commit: local ? ours.commit : theirs.commit,
        });
  /** Keeps the version of the side that lost, under what settled it: the file's strategy, or `chosen` when a person decided. */
  const backUpLoser = (conflict: FileConflict, localWins: boolean, settledBy: string = strategyFor(conflict.path)) =>
    backUp(conflict, !localWins, 'lost a conflict', settledBy);
  const text = async (oid: string | null) => (oid ? Buffer.from(await repo.readBlob(oid)).toString('utf8') : null);
  /** A merge by key that could not carry these sides' comments keeps each side whole in a backup; the first one's id. */
  const keepDropped = async (conflict: FileConflict, sides: StructuralMergeResult['dropped']): Promise<string | null> => {
    let first: string | null = null;
    for (const side of sides) {
      const record = await backUp(conflict, side === 'ours', 'its comments could not be carried into the merge', 'structural-merge');
      first ??= record.id;
    }
    return first;
  };
  /**
   * The user's choice. JSON and YAML are merged by key, each setting changed on both sides
   * taking the side chosen for it, so what either side changed elsewhere in the file stays.
   * Each side that lost a value is kept whole in a backup.
   */
  const applyDecision = async (conflict: FileConflict, decision: FileDecision) => {
    const sideOf = (name: string) => decision.choices[name] ?? decision.use;
    const merged = isStructurallyMergeable(conflict.path)
      ? mergeStructured(conflict.path, await text(conflict.base), (await text(conflict.ours))!, (await text(conflict.theirs))!, (path) =>
          sideOf(keyName(path)) === 'local' ? 'ours' : 'theirs',
        )
      : null;
    if (merged && merged.conflicts.length === 0) {
      resolved.push({ path: conflict.path, winner: 'merged', strategy: 'structural-merge', backup: await keepDropped(conflict, merged.dropped), keys: [] });
      return { oid: await writeLooseObject(repo.gitdir, 'blob', Buffer.from(merged.content)) };
    }
    if (!merged) {
      const localWins = decision.use === 'local';
      const record = await backUpLoser(conflict, localWins, 'chosen');
      resolved.push({ path: conflict.path, winner: decision.use, strategy: 'chosen', backup: record.id, keys: [] });
      return { oid: localWins ? conflict.ours : conflict.theirs };
    }
    const keys = merged.conflicts.map((c) => keyName(c.path));
    const sides = new Set(keys.map(sideOf));
    // the local version first: it is the one no history holds once the merge is made
    const backups = [];
    if (sides.has('remote')) backups.push(await backUpLoser(conflict, false, 'chosen'));
    if (sides.has('local')) backups.push(await backUpLoser(conflict, true, 'chosen'));
    resolved.push({ path: conflict.path, winner: sides.size === 1 ? [...sides][0] : 'merged', strategy: 'chosen', backup: backups[0]?.id ?? null, keys });
    return { oid: await writeLooseObject(repo.gitdir, 'blob', Buffer.from(merged.content)) };
  };
  const resolve: ConflictResolver = async (conflict) => {
    if (conflict.replacedByFolder) {
      // The folder keeps the path; the file goes to a backup, where `sync conflicts` finds it.
      const fileIsLocal = conflict.ours !== null;
      const record = options.dryRun
        ? { id: null }
        : await saveBackup(repo.root, conflict.path, await repo.readBlob((conflict.ours ?? conflict.theirs)!), {
            side: fileIsLocal ? 'local' : 'remote',
            reason: 'replaced by a folder of the same name',
            strategy: 'folder-beats-file',
            commit: fileIsLocal ? ours.commit : theirs.commit,
          });
      resolved.push({ path: conflict.path, winner: fileIsLocal ? 'remote' : 'local', strategy: 'folder-beats-file', backup: record.id, keys: [] });
      return { oid: null };
    }
    if (conflict.ours === null || conflict.theirs === null) {
      const survivor = conflict.ours ?? conflict.theirs;
      resolved.push({ path: conflict.path, winner: conflict.ours ? 'local' : 'remote', strategy: 'modified-beats-deleted', backup: null, keys: [] });
      return { oid: survivor };
    }
    const decision = decisions.get(conflict.path);
    if (decision) return applyDecision(conflict, decision);
    const strategy = strategyFor(conflict.path);
    const localPreferred =
      strategy === 'keep-local' || (strategy !== 'keep-remote' && (await ours.changedAt(conflict.path)) >= (await theirs.changedAt(conflict.path)));
    if (isStructurallyMergeable(conflict.path)) {
      const merged = mergeStructured(
        conflict.path,
        await text(conflict.base),
        (await text(conflict.ours))!,
        (await text(conflict.theirs))!,
        localPreferred ? 'ours' : 'theirs',
      );
      if (merged && merged.conflicts.length === 0) {
        resolved.push({ path: conflict.path, winner: 'merged', strategy: 'structural-merge', backup: await keepDropped(conflict, merged.dropped), keys: [] });
        return { oid: await writeLooseObject(repo.gitdir, 'blob', Buffer.from(merged.content)) };
      }
      if (merged && strategy !== 'ask-user') {
        const record = await backUpLoser(conflict, localPreferred);
        // The winner's comments the merge could not carry (an inline note on a value it won) are kept too.
        const loser = localPreferred ? 'theirs' : 'ours';
        await keepDropped(
          conflict,
          merged.dropped.filter((side) => side !== loser),
        );
        resolved.push({
          path: conflict.path,
          winner: localPreferred ? 'local' : 'remote',
          strategy,
          backup: record.id,
          keys: merged.conflicts.map((c) => c.path.join('.')),
        });
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
  return { resolve, unresolved };
}

import { saveBackup } from '../conflict/backups.js';
import type { GitRepository } from '../git/repository.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, treeAtPath, type PathChange } from '../git/tree-diff.js';
import type { ResolvedConflict } from '../models/results.js';
import { appendAll } from '../util/arrays.js';

/**
 * Workspaces the other side removed (archived, or deleted on another computer) that this
 * computer changed since the two last agreed. The merge takes this side's tree with those
 * folders as they were at the base, so the removal goes through whole instead of leaving a
 * folder of stray edits behind; what this computer changed in them is listed in `kept`, for
 * keepRemovedWork to put in backups once the merge is sure to go ahead.
 */
export async function removedWorkspaces(
  repo: GitRepository,
  base: string | null,
  oursTree: string,
  theirsTree: string,
): Promise<{ oursTree: string; kept: PathChange[] }> {
  const kept: PathChange[] = [];
  if (!base) return { oursTree, kept };
  const removed = new Set<string>();
  for (const item of await repo.readTree(base)) {
    if (item.type !== 'tree') continue;
    const [oursFolder, theirsFolder] = await Promise.all([treeAtPath(repo, oursTree, item.name), treeAtPath(repo, theirsTree, item.name)]);
    if (theirsFolder !== null || oursFolder === null || oursFolder === item.oid) continue;
    if (!(await repo.readTree(item.oid)).some((child) => child.name === 'workspace.json')) continue;
    appendAll(
      kept,
      (await diffTrees(repo, item.oid, oursFolder, item.name)).filter((change) => change.after !== null),
    );
    removed.add(item.name);
  }
  if (removed.size === 0) return { oursTree, kept };
  return { oursTree: await composeRootTree(repo, oursTree, base, (name) => removed.has(name)), kept };
}

/** Keeps each file this computer changed in a removed workspace in a backup, listed with the conflicts. */
export async function keepRemovedWork(repo: GitRepository, kept: PathChange[], oursCommit: string): Promise<ResolvedConflict[]> {
  const resolved: ResolvedConflict[] = [];
  for (const change of kept) {
    const record = await saveBackup(repo.root, change.path, await repo.readBlob(change.after!), {
      side: 'local',
      reason: 'its workspace was removed on another computer',
      strategy: 'workspace-removed',
      commit: oursCommit,
    });
    resolved.push({ path: change.path, winner: 'remote', strategy: 'workspace-removed', backup: record.id, keys: [] });
  }
  return resolved;
}

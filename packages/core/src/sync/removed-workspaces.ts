import { saveBackup } from '../conflict/backups.js';
import type { GitRepository } from '../git/repository.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, treeAtPath, type PathChange } from '../git/tree-diff.js';
import type { ResolvedConflict } from '../models/results.js';

/** A file changed in a workspace the other side removed, and the side whose change it is. */
export interface RemovedWork extends PathChange {
  side: 'local' | 'remote';
}

/**
 * Workspaces one side removed (archived, or deleted with the delete guard's consent) that the
 * other side changed since the two last agreed. The merge takes both trees with those folders as
 * they were at the base, so the removal goes through whole instead of leaving a folder of stray
 * edits behind; the files changed in them are listed in `kept` (with the side that changed them),
 * for keepRemovedWork to put in backups once the merge is sure to go ahead.
 */
export async function removedWorkspaces(
  repo: GitRepository,
  base: string | null,
  oursTree: string,
  theirsTree: string,
): Promise<{ oursTree: string; theirsTree: string; kept: RemovedWork[] }> {
  const kept: RemovedWork[] = [];
  if (!base) return { oursTree, theirsTree, kept };
  // folders put back as they were at the base on the side that changed them
  const reset = { local: new Set<string>(), remote: new Set<string>() };
  for (const item of await repo.readTree(base)) {
    if (item.type !== 'tree') continue;
    const [oursFolder, theirsFolder] = await Promise.all([treeAtPath(repo, oursTree, item.name), treeAtPath(repo, theirsTree, item.name)]);
    // removed on one side, changed on the other
    const [gone, changed, side] = theirsFolder === null ? [theirsFolder, oursFolder, 'local' as const] : [oursFolder, theirsFolder, 'remote' as const];
    if (gone !== null || changed === null || changed === item.oid) continue;
    if (!(await repo.readTree(item.oid)).some((child) => child.name === 'workspace.json')) continue;
    for (const change of await diffTrees(repo, item.oid, changed, item.name)) if (change.after !== null) kept.push({ ...change, side });
    reset[side].add(item.name);
  }
  const asAtBase = async (tree: string, names: Set<string>) => (names.size === 0 ? tree : composeRootTree(repo, tree, base, (name) => names.has(name)));
  return { oursTree: await asAtBase(oursTree, reset.local), theirsTree: await asAtBase(theirsTree, reset.remote), kept };
}

/** Keeps each file changed in a removed workspace in a backup on this computer, listed with the conflicts. */
export async function keepRemovedWork(repo: GitRepository, kept: RemovedWork[], commits: { ours: string; theirs: string }): Promise<ResolvedConflict[]> {
  const resolved: ResolvedConflict[] = [];
  for (const change of kept) {
    const local = change.side === 'local';
    const record = await saveBackup(repo.root, change.path, await repo.readBlob(change.after!), {
      side: change.side,
      reason: local ? 'its workspace was removed on another computer' : 'it was changed on another computer, and its workspace was removed here',
      strategy: 'workspace-removed',
      commit: local ? commits.ours : commits.theirs,
    });
    resolved.push({ path: change.path, winner: local ? 'remote' : 'local', strategy: 'workspace-removed', backup: record.id, keys: [] });
  }
  return resolved;
}

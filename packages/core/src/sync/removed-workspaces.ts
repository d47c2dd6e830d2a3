import { saveBackup } from '../conflict/backups.js';
import type { GitRepository } from '../git/repository.js';
import { TREE_MODE } from '../git/objects.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, treeAtPath, type PathChange } from '../git/tree-diff.js';
import type { ResolvedConflict } from '../models/results.js';

/** A file changed in a workspace or scenario the other side removed, and the side whose change it is. */
export interface RemovedWork extends PathChange {
  side: 'local' | 'remote';
  /** what the other side removed */
  removed: 'workspace' | 'scenario';
}

/**
 * Workspaces, and scenarios of a workspace both sides kept, that one side removed (archived, or
 * deleted with the delete guard's consent) and the other changed since the two last agreed. The
 * merge takes both trees with those folders as they were at the base, so the removal goes through
 * whole instead of leaving a folder of stray edits behind (a scenario.json without its config and
 * runs, say); the files changed in them are listed in `kept` (with the side that changed them),
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
  // workspace folders put back as they were at the base on the side that changed them
  const reset = { local: new Set<string>(), remote: new Set<string>() };
  // and, per workspace both sides kept, the scenario folders put back
  const scenariosReset = { local: new Map<string, Set<string>>(), remote: new Map<string, Set<string>>() };
  // the files the changing side added or changed in a folder the other side removed
  const keepChanged = async (atBase: string, removal: { side: 'local' | 'remote'; changed: string }, folder: string, removed: RemovedWork['removed']) => {
    for (const change of await diffTrees(repo, atBase, removal.changed, folder))
      if (change.after !== null) kept.push({ ...change, side: removal.side, removed });
  };
  for (const item of await repo.readTree(base)) {
    if (item.type !== 'tree') continue;
    const [oursFolder, theirsFolder] = await Promise.all([treeAtPath(repo, oursTree, item.name), treeAtPath(repo, theirsTree, item.name)]);
    const removal = removedOnOneSide(item.oid, oursFolder, theirsFolder);
    if (removal) {
      if (!(await holds(repo, item.oid, 'workspace.json'))) continue;
      await keepChanged(item.oid, removal, item.name, 'workspace');
      reset[removal.side].add(item.name);
      continue;
    }
    // Only where both sides changed the workspace can one have removed a scenario the other changed.
    if (oursFolder === null || theirsFolder === null || oursFolder === item.oid || theirsFolder === item.oid) continue;
    const baseScenarios = await treeAtPath(repo, item.oid, 'scenarios');
    for (const scenario of baseScenarios ? await repo.readTree(baseScenarios) : []) {
      if (scenario.type !== 'tree') continue;
      const at = `scenarios/${scenario.name}`;
      const [ours, theirs] = await Promise.all([treeAtPath(repo, oursFolder, at), treeAtPath(repo, theirsFolder, at)]);
      const gone = removedOnOneSide(scenario.oid, ours, theirs);
      if (!gone || !(await holds(repo, scenario.oid, 'scenario.json'))) continue;
      await keepChanged(scenario.oid, gone, `${item.name}/${at}`, 'scenario');
      const names = scenariosReset[gone.side].get(item.name) ?? new Set<string>();
      scenariosReset[gone.side].set(item.name, names.add(scenario.name));
    }
  }
  const asAtBase = async (tree: string, side: 'local' | 'remote') => {
    let result = reset[side].size === 0 ? tree : await composeRootTree(repo, tree, base, (name) => reset[side].has(name));
    for (const [workspace, names] of scenariosReset[side]) result = await withScenariosAtBase(repo, result, base, workspace, names);
    return result;
  };
  return { oursTree: await asAtBase(oursTree, 'local'), theirsTree: await asAtBase(theirsTree, 'remote'), kept };
}

/** A folder one side removed and the other changed: the changed side and its folder; null otherwise. */
function removedOnOneSide(atBase: string, ours: string | null, theirs: string | null): { side: 'local' | 'remote'; changed: string } | null {
  const [gone, changed, side] = theirs === null ? [theirs, ours, 'local' as const] : [ours, theirs, 'remote' as const];
  return gone === null && changed !== null && changed !== atBase ? { side, changed } : null;
}

const holds = async (repo: GitRepository, tree: string, name: string) => (await repo.readTree(tree)).some((child) => child.name === name);

/** `root` with the scenario folders named in one workspace as they were at `base` (only the trees on the way are written). */
async function withScenariosAtBase(repo: GitRepository, root: string, base: string, workspace: string, names: Set<string>): Promise<string> {
  const folder = (await treeAtPath(repo, root, workspace))!;
  const scenarios = await composeRootTree(repo, await treeAtPath(repo, folder, 'scenarios'), await treeAtPath(repo, base, `${workspace}/scenarios`), (name) =>
    names.has(name),
  );
  const workspaceFolder = await composeRootTree(repo, folder, null, () => false, [{ name: 'scenarios', oid: scenarios, mode: TREE_MODE, type: 'tree' }]);
  return composeRootTree(repo, root, null, () => false, [{ name: workspace, oid: workspaceFolder, mode: TREE_MODE, type: 'tree' }]);
}

/** Keeps each file changed in a removed workspace or scenario in a backup on this computer, listed with the conflicts. */
export async function keepRemovedWork(repo: GitRepository, kept: RemovedWork[], commits: { ours: string; theirs: string }): Promise<ResolvedConflict[]> {
  const resolved: ResolvedConflict[] = [];
  for (const change of kept) {
    const local = change.side === 'local';
    const strategy = `${change.removed}-removed`;
    const record = await saveBackup(repo.root, change.path, await repo.readBlob(change.after!), {
      side: change.side,
      reason: local
        ? `its ${change.removed} was removed on another computer`
        : `it was changed on another computer, and its ${change.removed} was removed here`,
      strategy,
      commit: local ? commits.ours : commits.theirs,
    });
    resolved.push({ path: change.path, winner: local ? 'remote' : 'local', strategy, backup: record.id, keys: [] });
  }
  return resolved;
}

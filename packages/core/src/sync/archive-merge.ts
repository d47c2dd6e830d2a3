import { parseSettings, SETTINGS_FILE } from '../config/settings-file.js';
import { saveBackup } from '../conflict/backups.js';
import type { GitRepository } from '../git/repository.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, fileAtPath, treeAtPath } from '../git/tree-diff.js';
import type { ArchivedWorkspaceSettings } from '../models/sync-config.js';

/** The workspaces a tree's settings record as archived (`sync.archived`), by id; none when they cannot be read. */
export async function archivedIn(repo: GitRepository, tree: string | null): Promise<Record<string, ArchivedWorkspaceSettings>> {
  const content = await fileAtPath(repo, tree, SETTINGS_FILE);
  if (!content) return {};
  try {
    return parseSettings(Buffer.from(content).toString('utf8')).sync.archived ?? {};
  } catch {
    return {};
  }
}

export interface MergeSide {
  commit: string;
  tree: string;
}

/**
 * A workspace archived on one side of a merge and changed on the other since they last met.
 * The three-way merge keeps a file deleted on one side and changed on the other, which here
 * would leave part of the workspace in the shared copy, half of it. The archive is a person's
 * explicit choice, so it wins as a whole: the workspace leaves the merged tree, and every file
 * the other side added or changed since the two sides met is kept in this computer's backups
 * first (the conflicts' backups, which can be put back). Returns the tree to commit and the
 * paths kept.
 *
 * A removal the merged settings do not record as an archive is left to the merge's own rules.
 */
export async function keepArchivesWhole(
  repo: GitRepository,
  base: string | null,
  ours: MergeSide,
  theirs: MergeSide,
  merged: string,
): Promise<{ tree: string; backedUp: string[] }> {
  let tree = merged;
  const backedUp: string[] = [];
  for (const [id, entry] of Object.entries(await archivedIn(repo, merged))) {
    const [before, mine, other] = await Promise.all([treeAtPath(repo, base, id), treeAtPath(repo, ours.tree, id), treeAtPath(repo, theirs.tree, id)]);
    // Archived on one side only, in this merge (not one brought back, or archived long ago on both).
    if (!before || !(await treeAtPath(repo, tree, id)) || (mine === null) === (other === null)) continue;
    const changed =
      mine === null ? { side: 'remote' as const, commit: theirs.commit, tree: other } : { side: 'local' as const, commit: ours.commit, tree: mine };
    const reason =
      changed.side === 'local'
        ? `changed on this computer while "${entry.name}" was archived on another; the archive took the workspace out of the shared copy`
        : `changed on another computer while "${entry.name}" was archived here; the archive took the workspace out of the shared copy`;
    for (const change of await diffTrees(repo, before, changed.tree, id)) {
      if (change.after === null) continue;
      await saveBackup(repo.root, change.path, await repo.readBlob(change.after), { side: changed.side, reason, strategy: null, commit: changed.commit });
      backedUp.push(change.path);
    }
    tree = await composeRootTree(repo, tree, null, (name) => name === id);
  }
  return { tree, backedUp };
}

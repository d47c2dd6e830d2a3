import { createStrategyResolver } from '../conflict/strategy-resolver.js';
import { mergeTrees } from '../conflict/three-way-merge.js';
import { readIndex, writeIndex } from '../git/index-file.js';
import { diffTrees, type PathChange } from '../git/tree-diff.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import type { ResolvedConflict } from '../models/results.js';
import { commitIdentity } from './identity.js';
import { applyTreeChanges } from './worktree-update.js';
import type { SyncContext } from './sync-context.js';

export interface Integration {
  /** files of the working tree that changed */
  applied: PathChange[];
  head: string;
  kind: 'up-to-date' | 'fast-forward' | 'merge';
  resolved: ResolvedConflict[];
  backedUp: string[];
}

/**
 * Brings the remote's commit into the local branch: nothing to do, a fast-forward, or a
 * three-way merge whose conflicts the strategy settles. Local changes must already be
 * committed.
 */
export async function integrateRemote(context: SyncContext, remoteHead: string, strategy: ConflictStrategy): Promise<Integration> {
  const { repo } = context;
  const head = await repo.resolveRef(context.branchRef);
  const remoteCommit = await repo.readCommit(remoteHead);
  const resolved: ResolvedConflict[] = [];
  if (head === remoteHead) return { applied: [], head, kind: 'up-to-date', resolved, backedUp: [] };

  let target = remoteHead;
  let targetTree = remoteCommit.tree;
  let kind: Integration['kind'] = 'fast-forward';
  let headTree: string | null = null;
  if (head) {
    const headCommit = await repo.readCommit(head);
    headTree = headCommit.tree;
    const { bases } = await repo.compareHistories(head, remoteHead);
    if (bases.includes(remoteHead)) return { applied: [], head, kind: 'up-to-date', resolved, backedUp: [] };
    if (!bases.includes(head)) {
      const baseTree = bases.length > 0 ? (await repo.readCommit(bases[0])).tree : null;
      const resolver = createStrategyResolver({
        repo,
        strategy,
        ours: { commit: head, changedAt: headCommit.committedAt },
        theirs: { commit: remoteHead, changedAt: remoteCommit.committedAt },
        resolved,
      });
      const mergedTree = await mergeTrees(repo, baseTree, headTree, remoteCommit.tree, resolver.resolve);
      resolver.finish();
      // A first sync that only brought files the remote already has needs no merge commit.
      if (!(mergedTree === remoteCommit.tree && headCommit.parents.length === 0)) {
        kind = 'merge';
        targetTree = mergedTree;
        target = await repo.writeCommit({
          tree: mergedTree,
          parents: [head, remoteHead],
          message: `Merge changes from the remote${resolved.length ? ` (${resolved.length} conflict${resolved.length === 1 ? '' : 's'} settled)` : ''}`,
          author: await commitIdentity(repo),
        });
      }
    }
  }
  const applied = await diffTrees(repo, headTree, targetTree);
  const index = await readIndex(repo.gitdir);
  const { backedUp } = await applyTreeChanges(repo, applied, index.entries);
  // Files, then branch, then index: a kill at any point leaves files the next run either
  // finds already committed or commits again, never an index ahead of its branch.
  await repo.writeRef(context.branchRef, target);
  await writeIndex(repo.gitdir, index.entries.values());
  return { applied, head: target, kind, resolved, backedUp };
}

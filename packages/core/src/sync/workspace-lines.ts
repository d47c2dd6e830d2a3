import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createStrategyResolver } from '../conflict/strategy-resolver.js';
import { mergeTrees } from '../conflict/three-way-merge.js';
import { SyncConflictError } from '../errors.js';
import { emptyIndex, type GitIndex } from '../git/index-file.js';
import { hashObject } from '../git/objects.js';
import { PackBuilder } from '../git/pack-writer.js';
import type { GitRepository } from '../git/repository.js';
import { entryWithoutStat } from '../git/index-file.js';
import { holdBack, stageWorkingTree, treeEditsOf } from './stage.js';
import { composeRootTree } from '../git/tree-compose.js';
import { editTree } from '../git/tree-edit.js';
import { diffTrees, treeAtPath } from '../git/tree-diff.js';
import type { ResolvedConflict } from '../models/results.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import { commitMessage, summarizeChanges } from './change-summary.js';
import { commitIdentity } from './identity.js';
import { lastChanges } from './integrate.js';
import { commitLocalChanges } from './local-commit.js';
import type { SyncContext } from './sync-context.js';
import { coveredBy, walkSyncedFiles, type ScanResult } from '../workspace/file-scan.js';
import { runningScenarioHold } from '../workspace/in-progress.js';
import { NameBook } from '../workspace/names.js';
import { strategyFor } from '../workspace/selection.js';
import { branchRefs, readWorkspaceLines } from '../state/branch-state.js';
import { plural } from '../util/plural.js';

/**
 * The lines of a workspace: its main line is the root's own branch (every workspace together);
 * a branch is a line of root commits in which only that workspace moves on. Both are ordinary
 * commits, so branches are pushed, merged and inspected like anything else in the repository.
 */
export interface LineTip {
  ref: string;
  commit: string | null;
  tree: string | null;
}

export async function lineTip(context: SyncContext, workspace: string, line: string): Promise<LineTip> {
  const ref = line === context.branch ? context.branchRef : branchRefs(workspace, line).local;
  const commit = await context.repo.resolveRef(ref);
  return { ref, commit, tree: commit ? (await context.repo.readCommit(commit)).tree : null };
}

/** The line a workspace's folder shows on this machine. */
export async function shownLine(context: SyncContext, workspace: string): Promise<string> {
  return (await readWorkspaceLines(context.repo.gitdir))[workspace] ?? context.branch;
}

/** The id of a workspace's folder in a root tree, or null. */
export function workspaceTree(repo: GitRepository, rootTree: string | null, workspace: string): Promise<string | null> {
  return treeAtPath(repo, rootTree, workspace);
}

/**
 * Commits what the workspace's folder holds to the line it shows, so that switching or
 * merging never loses an edit. Returns the new commit, or null when nothing changed.
 */
export async function saveWorkspaceWork(context: SyncContext, workspace: string): Promise<string | null> {
  const line = await shownLine(context, workspace);
  if (line === context.branch) return (await commitLocalChanges(context)).commit;
  return commitBranchWork(context, workspace, line);
}

async function commitBranchWork(context: SyncContext, workspace: string, branch: string): Promise<string | null> {
  const { repo, root } = context;
  const tip = await lineTip(context, workspace, branch);
  if (!tip.commit || !tip.tree) return null;
  // The branch's files, without stat data: each working file is read and compared.
  const committed = await diffTrees(repo, null, await workspaceTree(repo, tip.tree, workspace), workspace);
  const index: GitIndex = {
    ...emptyIndex(),
    entries: new Map(committed.map((c) => [c.path, entryWithoutStat(c.path, c.after!, Number.parseInt(c.afterMode ?? '100644', 8))])),
  };
  // only this workspace's folder is walked: the rest of the root is no business of its line
  const walked = await walkSyncedFiles(root, workspace, context.rules, context.maxFileBytes);
  const scan: ScanResult = { files: walked.files, skipped: walked.skipped, covers: coveredBy(context.rules) };
  const objects = new PackBuilder();
  const staged = await stageWorkingTree(root, scan, index, objects);
  const snapshot = holdBack(
    staged,
    index,
    runningScenarioHold(
      root,
      staged.changes.map((c) => c.path),
    ),
  );
  if (snapshot.changes.length === 0) return null;
  const tree = await editTree(repo, tip.tree, treeEditsOf(snapshot), objects);
  await objects.flush(repo.gitdir);
  const message = commitMessage(await summarizeChanges(snapshot.changes, new NameBook(root)), snapshot.changes.length);
  const commit = await repo.writeCommit({ tree, parents: [tip.commit], message: `${message} (branch ${branch})`, author: await commitIdentity(repo) });
  await repo.writeRef(tip.ref, commit);
  return commit;
}

/**
 * Files of a workspace showing a branch that the remote's copy of the branch does not have
 * yet: edits not committed, and commits not pushed. Only that workspace's files are read.
 */
export async function unsyncedOnBranch(context: SyncContext, workspace: string, branch: string, scan: ScanResult): Promise<number> {
  const { repo, root } = context;
  const tip = await lineTip(context, workspace, branch);
  const tipFolder = await workspaceTree(repo, tip.tree, workspace);
  const committed = new Map((await diffTrees(repo, null, tipFolder, workspace)).map((c) => [c.path, c.after!]));
  const changed = new Set<string>();
  const prefix = `${workspace}/`;
  for (const relative of scan.files.keys()) {
    if (!relative.startsWith(prefix)) continue;
    let oid: string;
    try {
      oid = hashObject('blob', readFileSync(path.join(root, relative)));
    } catch {
      continue;
    }
    if (committed.get(relative) !== oid) changed.add(relative);
  }
  for (const relative of committed.keys()) if (!scan.files.has(relative)) changed.add(relative);
  // Never pushed: everything it changed from the main line as the remote has it.
  const remoteCopy = (await repo.resolveRef(branchRefs(workspace, branch).tracking)) ?? (await repo.resolveRef(context.trackingRef));
  const remoteTree = remoteCopy && (await repo.hasCommit(remoteCopy)) ? (await repo.readCommit(remoteCopy)).tree : null;
  for (const change of await diffTrees(repo, await workspaceTree(repo, remoteTree, workspace), tipFolder, workspace)) changed.add(change.path);
  return changed.size;
}

export interface WorkspaceMerge {
  /** the root tree of `ours` with the merged workspace in it */
  tree: string;
  /** what `theirs` brings is already in `ours` */
  alreadyMerged: boolean;
  /** `ours` is an ancestor of `theirs`: taking theirs is the whole merge */
  fastForward: boolean;
  resolved: ResolvedConflict[];
}

/**
 * Merges one workspace of `theirs` into `ours` by the rules of every merge: structural merge
 * of JSON and YAML, the strategy for what both changed, the losing side kept as a backup.
 * Under `ask-user` a real conflict stops here, with nothing changed.
 */
export async function mergeWorkspace(
  context: SyncContext,
  workspace: string,
  ours: string,
  theirs: string,
  options: { strategy?: ConflictStrategy; describe: string },
): Promise<WorkspaceMerge> {
  const { repo } = context;
  const [oursCommit, theirsCommit] = await Promise.all([repo.readCommit(ours), repo.readCommit(theirs)]);
  const histories = await repo.compareHistories(ours, theirs);
  if (histories.bases.includes(theirs)) return { tree: oursCommit.tree, alreadyMerged: true, fastForward: false, resolved: [] };
  const only = (name: string) => name === workspace;
  if (histories.bases.includes(ours)) {
    return { tree: await composeRootTree(repo, oursCommit.tree, theirsCommit.tree, only), alreadyMerged: false, fastForward: true, resolved: [] };
  }
  const baseTree = histories.bases[0] ? (await repo.readCommit(histories.bases[0])).tree : null;
  const project = (tree: string | null) => composeRootTree(repo, null, tree, only);
  const resolved: ResolvedConflict[] = [];
  const resolver = createStrategyResolver({
    repo,
    strategyFor: strategyFor(context.settings, options.strategy),
    ours: { commit: ours, changedAt: lastChanges(repo, histories.onlyLocal) },
    theirs: { commit: theirs, changedAt: lastChanges(repo, histories.onlyRemote) },
    resolved,
  });
  const merged = await mergeTrees(repo, await project(baseTree), await project(oursCommit.tree), await project(theirsCommit.tree), resolver.resolve);
  if (resolver.unresolved.length > 0) {
    const files = resolver.unresolved.map((c) => c.path);
    throw new SyncConflictError(
      `${plural(files.length, 'file')} changed differently on ${options.describe}: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}. ` +
        `Nothing was changed.`,
      files,
      { next: { action: 'choose_strategy' } },
    );
  }
  return { tree: await composeRootTree(repo, oursCommit.tree, merged, only), alreadyMerged: false, fastForward: false, resolved };
}

export async function mergeCommit(context: SyncContext, tree: string, parents: string[], message: string): Promise<string> {
  return context.repo.writeCommit({ tree, parents, message, author: await commitIdentity(context.repo) });
}

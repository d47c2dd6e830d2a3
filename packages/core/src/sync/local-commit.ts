import path from 'node:path';
import { writeIndex, type GitIndex } from '../git/index-file.js';
import { withIndexLock, type IndexLock } from '../git/index-lock.js';
import type { ObjectSink } from '../git/objects.js';
import { byPath, editTimeOf, holdBack, refreshWorthWriting, stageWorkingTree, treeEditsOf, type FileChange, type Snapshot } from './stage.js';
import { editTree } from '../git/tree-edit.js';
import { readIndexOrCommit, type LoadedIndex } from '../git/work-index.js';
import { carryIndexRecord, stagedByGit, type StagedByGit } from './staged-by-git.js';
import { PackBuilder } from '../git/pack-writer.js';
import { SyncConfigError } from '../errors.js';
import type { SkippedFile } from '../models/results.js';
import { scanSyncedFiles, type ScanResult } from '../workspace/file-scan.js';
import { ScanCache } from '../workspace/scan-cache.js';
import { runningScenarioHold } from '../workspace/in-progress.js';
import { selectionHold, type AutomaticSync, type Hold } from '../workspace/selection.js';
import { branchHold, readWorkspaceLines, type WorkspaceLines } from '../state/branch-state.js';
import { NameBook } from '../workspace/names.js';
import { commitMessage, summarizeChanges, type ChangeSummary } from './change-summary.js';
import { commitIdentity } from './identity.js';
import type { SyncContext } from './sync-context.js';
import { plural } from '../util/plural.js';

export interface LocalCommit {
  commit: string | null;
  changes: FileChange[];
  summary: ChangeSummary;
  skipped: SkippedFile[];
  /** what the settings keep on this machine: a push leaves it out of whatever it sends (see withholdFromPush) */
  withheld: Hold;
}

/**
 * The working tree as the next commit would take it: changes in running scenarios wait, and
 * what the settings leave out (excluded workspaces, older runs) and workspaces showing one of
 * their branches stay as last committed.
 */
export async function stageLocalWork(
  context: Pick<SyncContext, 'root' | 'settings' | 'excludedHere' | 'repo' | 'branchRef'>,
  scan: ScanResult,
  index: LoadedIndex,
  /** `lines`: the workspaces showing a branch, when the caller has read them already */
  options: { sink?: ObjectSink; automatic?: AutomaticSync; lines?: WorkspaceLines } = {},
): Promise<Snapshot & { withheld: Hold; waiting: FileChange[] }> {
  const staged = withStagedByGit(
    await stageWorkingTree(context.root, scan, index, options.sink),
    index,
    await stagedByGit(context.repo, context.branchRef, index),
  );
  const withheld = selectionHold(context, scan, options);
  const selected = holdBack(staged, index, withheld);
  const onMainLine = holdBack(selected, index, branchHold(options.lines ?? (await readWorkspaceLines(path.join(context.root, '.git')))));
  const ready = holdBack(
    onMainLine,
    index,
    runningScenarioHold(
      context.root,
      onMainLine.changes.map((c) => c.path),
    ),
  );
  // Changes of running scenarios: not committed yet, but changes all the same (status shows them).
  const readyNow = new Set(ready.changes);
  const waiting = onMainLine.changes.filter((change) => !readyNow.has(change));
  return { ...ready, withheld, waiting };
}

/**
 * Adds what git staged and nobody committed (see stagedByGit) to the changes, where the working
 * file is the staged version: one that differs from it is a change already, by its new content.
 */
function withStagedByGit(snapshot: Snapshot, index: GitIndex, staged: StagedByGit[]): Snapshot {
  if (staged.length === 0) return snapshot;
  const changed = new Set(snapshot.changes.map((c) => c.path));
  const asStaged = (relative: string) => {
    const [now, staged] = [snapshot.entries.get(relative), index.entries.get(relative)];
    return !!now && !!staged && now.oid === staged.oid && now.mode === staged.mode;
  };
  const added = staged.filter((s): s is StagedByGit & { kind: 'added' | 'modified' } => s.kind !== 'untracked' && !changed.has(s.path) && asStaged(s.path));
  // A file `git rm --cached` took out of the index and left as it was committed: it looks new to
  // the index, but the next commit would hold it unchanged.
  const asCommitted = new Set(
    staged
      .filter((s) => s.kind === 'untracked' && s.committed)
      .filter((s) => {
        const now = snapshot.entries.get(s.path);
        return !!now && now.oid === s.committed!.oid && now.mode === s.committed!.mode;
      })
      .map((s) => s.path),
  );
  if (added.length === 0 && asCommitted.size === 0) return snapshot;
  const changes = [...snapshot.changes.filter((c) => !(c.kind === 'added' && asCommitted.has(c.path))), ...added.map((s) => ({ path: s.path, kind: s.kind }))];
  changes.sort(byPath);
  return { ...snapshot, changes };
}

/** The synced files as they are now (folder listings remembered in the scan cache), and the index to compare them with. */
export async function scanWorkingTree(
  context: Pick<SyncContext, 'repo' | 'root' | 'rules' | 'rulesKey' | 'maxFileBytes' | 'branchRef'>,
): Promise<{ cache: ScanCache; index: GitIndex; scan: ScanResult }> {
  const [cache, index] = await Promise.all([ScanCache.load(context.repo.gitdir, context.rulesKey), readIndexOrCommit(context.repo, context.branchRef)]);
  const scan = await scanSyncedFiles(context.root, context.rules, context.maxFileBytes, cache);
  return { cache, index, scan };
}

/**
 * The tree the next commit would record, without recording it: objects are stored, but no
 * branch, index or scan cache moves (a preview must leave the root as it found it).
 */
export async function localWorkTree(context: SyncContext): Promise<{ tree: string | null; changes: FileChange[]; editedAt: number }> {
  const { repo } = context;
  const { index, scan } = await scanWorkingTree(context);
  const objects = new PackBuilder();
  const snapshot = await stageLocalWork(context, scan, index, { sink: objects });
  const head = await repo.resolveRef(context.branchRef);
  const headTree = head ? (await repo.readCommit(head)).tree : null;
  // the date a commit of these changes would carry (see editTimeOf)
  const editedAt = editTimeOf(snapshot, Math.floor(Date.now() / 1000));
  if (snapshot.changes.length === 0) return { tree: headTree, changes: [], editedAt };
  const tree = await editTree(repo, headTree, treeEditsOf(snapshot), objects);
  await objects.flush(repo.gitdir);
  return { tree, changes: snapshot.changes, editedAt };
}

/**
 * Commits whatever changed in the working tree, so that no later merge or checkout can
 * overwrite it. Only changed files are read; files that fail their content check stay out.
 */
export interface CommitOptions {
  automatic?: AutomaticSync;
  /** looks at the tree about to be committed (and what the settings hold back); throwing leaves nothing committed */
  beforeCommit?: (tree: string, withheld: Hold) => Promise<void>;
}

export async function commitLocalChanges(context: SyncContext, explicitMessage?: string, options: CommitOptions = {}): Promise<LocalCommit> {
  // Taken before anything moves: a Git program at work in the root stops the commit here, not
  // after the branch moved with an index left behind it.
  return withIndexLock(context.repo.gitdir, (lock) => commitLocked(context, lock, explicitMessage, options));
}

async function commitLocked(context: SyncContext, lock: IndexLock, explicitMessage: string | undefined, options: CommitOptions): Promise<LocalCommit> {
  const { repo, root } = context;
  const { cache, index, scan } = await scanWorkingTree(context);
  if (index.unmerged.length > 0) {
    throw new SyncConfigError(
      `A Git merge is in progress in ${root} (${plural(index.unmerged.length, 'unmerged file')}: ${index.unmerged.slice(0, 3).join(', ')}). ` +
        `Nothing was synced. Finish it with git (git commit) or cancel it (git merge --abort), then sync again.`,
    );
  }
  await cache.save();
  const objects = new PackBuilder();
  const snapshot = await stageLocalWork(context, scan, index, { sink: objects, automatic: options.automatic });
  const head = await repo.resolveRef(context.branchRef);
  const summary = await summarizeChanges(snapshot.changes, new NameBook(root));
  // The index is written after the branch moves, so an index that matches the files also
  // matches HEAD: no change found means nothing to commit.
  if (head && snapshot.changes.length === 0) {
    if (refreshWorthWriting(snapshot))
      await carryIndexRecord(repo.gitdir, index, head, await writeIndex(repo.gitdir, snapshot.entries.values(), index.version, lock), head);
    return { commit: null, changes: [], summary, skipped: snapshot.skipped, withheld: snapshot.withheld };
  }
  // The last commit plus what changed here: whatever sync does not stage is carried as it is.
  const headTree = head ? (await repo.readCommit(head)).tree : null;
  const tree = await editTree(repo, headTree, treeEditsOf(snapshot), objects);
  if (tree === headTree || (!head && snapshot.changes.length === 0)) {
    // A run killed after moving the branch left an older index behind: the files are HEAD's.
    await writeIndex(repo.gitdir, snapshot.entries.values(), index.version, lock);
    return { commit: null, changes: [], summary, skipped: snapshot.skipped, withheld: snapshot.withheld };
  }
  if (options.beforeCommit) {
    // The check reads the tree from the repository: its objects are stored first (nothing points at them yet).
    await objects.flush(repo.gitdir);
    await options.beforeCommit(tree, snapshot.withheld);
  }
  const message = explicitMessage?.trim() || commitMessage(summary, snapshot.changes.length);
  const committer = await commitIdentity(repo);
  const author = { ...committer, timestamp: editTimeOf(snapshot, committer.timestamp) };
  const commit = await repo.writeCommit({ tree, parents: head ? [head] : [], message, author, committer }, objects);
  // Objects are stored before anything points at them; the index follows the branch.
  await objects.flush(repo.gitdir);
  await repo.writeRef(context.branchRef, commit, `planalign-sync: commit${head ? '' : ' (initial)'}: ${message.split('\n')[0]}`);
  await carryIndexRecord(repo.gitdir, index, head, await writeIndex(repo.gitdir, snapshot.entries.values(), index.version, lock), commit);
  return { commit, changes: snapshot.changes, summary, skipped: snapshot.skipped, withheld: snapshot.withheld };
}

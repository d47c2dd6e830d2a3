import { clearOpenConflicts, decisionsOf, saveOpenConflicts } from '../conflict/open-conflicts.js';
import { createStrategyResolver } from '../conflict/strategy-resolver.js';
import { SyncConflictError } from '../errors.js';
import { mergeTrees } from '../conflict/three-way-merge.js';
import { isStructurallyMergeable, mergeStructured } from '../conflict/structural-merge.js';
import { namesOf } from './conflicts.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { writeIndex } from '../git/index-file.js';
import { withIndexLock, type IndexLock } from '../git/index-lock.js';
import { readIndexOrTree } from '../git/work-index.js';
import type { CommitInfo, GitRepository } from '../git/repository.js';
import { appendJournal } from './journal.js';
import { stateDir } from '../state/state-dir.js';
import { carryIndexRecord } from './staged-by-git.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { diffTrees, type PathChange } from '../git/tree-diff.js';
import { SyncConfig, type ConflictStrategy } from '../models/sync-config.js';
import type { ResolvedConflict, SkippedFile } from '../models/results.js';
import { commitIdentity } from './identity.js';
import { applyTreeChanges } from './worktree-update.js';
import { keepRemovedWork, removedWorkspaces } from './removed-workspaces.js';
import type { SyncContext } from './sync-context.js';
import { strategyFor, workspaceEnabled } from '../workspace/selection.js';
import { readExcludedHere } from '../config/local-selection.js';
import { readSettings } from '../config/settings-file.js';
import { composeRootTree } from '../git/tree-compose.js';
import { readWorkspaceLines, setWorkspaceLine } from '../state/branch-state.js';
import { plural } from '../util/plural.js';
import { appendAll } from '../util/arrays.js';

export interface Integration {
  /** files of the working tree that changed */
  applied: PathChange[];
  head: string;
  kind: 'up-to-date' | 'fast-forward' | 'merge';
  resolved: ResolvedConflict[];
  backedUp: string[];
  /** files of the shared copy this computer cannot hold under their names (kept, not written) */
  notWritten: SkippedFile[];
}

/**
 * Brings the remote's commit into the local branch: nothing to do, a fast-forward, or a
 * three-way merge whose conflicts the strategy settles. Local changes must already be
 * committed.
 */
export async function integrateRemote(
  context: SyncContext,
  remoteHead: string,
  strategy?: ConflictStrategy,
  /**
   * When this computer's side changed each file, where its commits cannot say: a root's first
   * commit holds files written over weeks, and is dated by the newest of them.
   */
  localEditTime?: (filePath: string) => number | null,
): Promise<Integration> {
  const integration = await integrate(context, remoteHead, strategyFor(context.settings, strategy), localEditTime);
  // Whatever was waiting for a decision is settled once the remote is in.
  await clearOpenConflicts(context.repo.gitdir);
  return integration;
}

async function integrate(
  context: SyncContext,
  remoteHead: string,
  strategy: (filePath: string) => ConflictStrategy,
  localEditTime?: (filePath: string) => number | null,
): Promise<Integration> {
  const { repo } = context;
  const head = await repo.resolveRef(context.branchRef);
  const remoteCommit = await repo.readCommit(remoteHead);
  const resolved: ResolvedConflict[] = [];
  if (head === remoteHead) return { applied: [], head, kind: 'up-to-date', resolved, backedUp: [], notWritten: [] };

  let target = remoteHead;
  let targetTree = remoteCommit.tree;
  let kind: Integration['kind'] = 'fast-forward';
  let headTree: string | null = null;
  if (head) {
    const headCommit = await repo.readCommit(head);
    headTree = headCommit.tree;
    const { bases, onlyLocal, onlyRemote } = await repo.compareHistories(head, remoteHead);
    if (bases.includes(remoteHead)) return { applied: [], head, kind: 'up-to-date', resolved, backedUp: [], notWritten: [] };
    if (!bases.includes(head)) {
      const baseTree = bases.length > 0 ? (await repo.readCommit(bases[0])).tree : null;
      const [oursChangedAt, theirsChangedAt] = [lastChanges(repo, onlyLocal), lastChanges(repo, onlyRemote)];
      const resolver = createStrategyResolver({
        repo,
        strategyFor: strategy,
        ours: { commit: head, changedAt: async (file) => localEditTime?.(file) ?? oursChangedAt(file) },
        theirs: { commit: remoteHead, changedAt: theirsChangedAt },
        resolved,
        decisions: await decisionsOf(repo.gitdir),
      });
      const removed = await removedWorkspaces(repo, baseTree, headTree, remoteCommit.tree);
      const mergedTree = await mergeTrees(repo, baseTree, removed.oursTree, removed.theirsTree, resolver.resolve);
      if (resolver.unresolved.length > 0) {
        // Nothing moves: the conflicts wait in .git/ for `planalign sync conflicts resolve`.
        await saveOpenConflicts(repo.gitdir, remoteHead, resolver.unresolved);
        const files = resolver.unresolved.map((c) => c.path);
        const names = new NameBook(context.root);
        const workspaceIds = [...new Set(files.map((f) => placeOf(f).workspaceId).filter((w): w is string => !!w))];
        const text = async (oid: string | null) => (oid ? Buffer.from(await repo.readBlob(oid)).toString('utf8') : null);
        const waiting = await Promise.all(
          resolver.unresolved.map(async (c) => {
            const [base, ours, theirs] = await Promise.all([text(c.base), text(c.ours), text(c.theirs)]);
            const keys =
              ours !== null && theirs !== null && isStructurallyMergeable(c.path)
                ? (mergeStructured(c.path, base, ours, theirs, 'ours')?.conflicts ?? []).map((k) => k.path.join('.'))
                : [];
            const place = await namesOf(names, c.path);
            return { path: c.path, workspace: place.workspace_name, scenario: place.scenario_name, keys, kept: null, strategy: null, backup: null };
          }),
        );
        await appendJournal(repo.gitdir, {
          timestamp: new Date().toISOString(),
          operation: 'conflict',
          workspaces_affected: await Promise.all(workspaceIds.map((w) => names.workspaceName(w))),
          scenarios_affected: [...new Set(waiting.map((c) => c.scenario).filter((s): s is string => !!s))],
          message: `Waiting for a decision: ${files.join(', ')} changed both here and on the remote`,
          commit: null,
          conflicts: waiting,
        });
        throw new SyncConflictError(
          `${plural(files.length, 'file')} changed both here and on the remote: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}. ` +
            `Nothing was changed.`,
          files,
          { next: { action: 'choose_versions' } },
        );
      }
      appendAll(resolved, await keepRemovedWork(repo, removed.kept, { ours: head, theirs: remoteHead }));
      // A first sync that only brought files the remote already has needs no merge commit.
      if (!(mergedTree === remoteCommit.tree && headCommit.parents.length === 0)) {
        kind = 'merge';
        targetTree = mergedTree;
        target = await repo.writeCommit({
          tree: mergedTree,
          parents: [head, remoteHead],
          message: mergeMessage(resolved),
          author: await commitIdentity(repo),
        });
      }
    }
  }
  const { applied, backedUp, notWritten } = await checkOut(repo, context.branchRef, headTree, targetTree, target);
  return { applied, head: target, kind, resolved, backedUp, notWritten };
}

/**
 * When one side last changed each file: the author time of the newest of its own commits whose
 * version of the file differs from its first parent's (so last-write-wins compares the edits
 * themselves, not whatever was committed last on each machine). The side's commits are compared
 * with their parents newest first, each once, and only as far as a question needs: asking per
 * file walked every commit again for each file both sides changed.
 */
export function lastChanges(repo: GitRepository, sideCommits: string[]): (filePath: string) => Promise<number> {
  const known = new Map<string, number>();
  let newestFirst: CommitInfo[] | null = null;
  let next = 0;
  let walk: Promise<unknown> = Promise.resolve();
  const find = async (filePath: string): Promise<number> => {
    if (known.has(filePath)) return known.get(filePath)!;
    newestFirst ??= (await Promise.all(sideCommits.map((oid) => repo.readCommit(oid)))).sort((a, b) => b.committedAt - a.committedAt);
    while (next < newestFirst.length) {
      const commit = newestFirst[next++];
      const parentTree = commit.parents[0] ? (await repo.readCommit(commit.parents[0])).tree : null;
      for (const change of await diffTrees(repo, parentTree, commit.tree)) {
        // a file whose mode alone changed holds the same version
        if (change.before !== change.after && !known.has(change.path)) known.set(change.path, commit.authoredAt);
      }
      if (known.has(filePath)) return known.get(filePath)!;
    }
    return 0;
  };
  // one question at a time: each goes on from where the walk stopped
  return (filePath) => {
    const answer = walk.then(() => find(filePath));
    walk = answer.catch(() => undefined);
    return answer;
  };
}

interface PendingCheckout {
  from: string | null;
  to: string;
  /** the branch moved to `commit` once the files are in place; null when no branch moves */
  branchRef: string | null;
  commit: string | null;
  /** a workspace folder moving to another of its lines, and the line it shows afterwards */
  folder?: { workspace: string; line: string | null; updateIndex: boolean };
}

const pendingFile = (repo: GitRepository) => path.join(stateDir(repo.gitdir), 'checkout.json');

/**
 * Moves the working tree, the branch and the index from one tree to another. The move is
 * recorded first: files half-way between two versions must never be taken for local edits
 * (they would beat the newer remote version in the next merge), so an interrupted move is
 * finished by the next run before anything else (resumeCheckout). Workspaces showing one of
 * their branches keep their folder: only the index follows.
 */
export async function checkOut(repo: GitRepository, branchRef: string, from: string | null, to: string, commit: string) {
  return runCheckout(repo, { from, to, commit, branchRef });
}

/**
 * Shows another line of one workspace in its folder: the files move from one line's version
 * of the workspace to the other's, and the machine records which line it shows, as one
 * resumable step. `updateIndex` when the folder returns to the main line the index follows.
 */
export async function switchWorkspaceFolder(
  repo: GitRepository,
  workspace: string,
  fromLineTree: string | null,
  toLineTree: string | null,
  /** `move`: a branch that moves to a commit in the same step (the folder's line advancing) */
  options: { line: string | null; updateIndex: boolean; move?: { ref: string; commit: string } },
) {
  const only = (name: string) => name === workspace;
  const [from, to] = await Promise.all([composeRootTree(repo, null, fromLineTree, only), composeRootTree(repo, null, toLineTree, only)]);
  const { line, updateIndex, move } = options;
  return runCheckout(repo, { from, to, branchRef: move?.ref ?? null, commit: move?.commit ?? null, folder: { workspace, line, updateIndex } });
}

async function runCheckout(repo: GitRepository, pending: PendingCheckout) {
  await fsp.mkdir(stateDir(repo.gitdir), { recursive: true });
  await writeFileAtomic(pendingFile(repo), JSON.stringify(pending));
  const result = await finishCheckout(repo, pending);
  await fsp.rm(pendingFile(repo), { force: true });
  return result;
}

async function finishCheckout(repo: GitRepository, pending: PendingCheckout) {
  // Before any file or ref moves: a Git program holding the index stops the checkout here.
  return withIndexLock(repo.gitdir, (lock) => checkoutLocked(repo, pending, lock));
}

async function checkoutLocked(repo: GitRepository, pending: PendingCheckout, lock: IndexLock) {
  const applied = await diffTrees(repo, pending.from, pending.to, '', { gitlinks: true });
  // An index that cannot be read is rebuilt from the tree the working files are at.
  const index = await readIndexOrTree(repo, async () => pending.from);
  const { folder } = pending;
  const lines = await readWorkspaceLines(repo.gitdir);
  const onBranch = (p: string) => {
    const workspace = placeOf(p).workspaceId;
    return !!workspace && !!lines[workspace];
  };
  const entries = folder && !folder.updateIndex ? new Map(index.entries) : index.entries;
  const selection = { settings: (await readSettings(repo.root))?.sync ?? SyncConfig.parse({}), excludedHere: await readExcludedHere(repo.gitdir) };
  const keptHere = (p: string) => !workspaceEnabled(selection, placeOf(p).workspaceId);
  const { backedUp, notWritten } = await applyTreeChanges(repo, applied, entries, folder ? () => false : onBranch, keptHere);
  // Files, then branch, then index: the index never runs ahead of its branch.
  const headBefore = pending.branchRef ? await repo.resolveRef(pending.branchRef) : null;
  if (pending.branchRef && pending.commit) await repo.writeRef(pending.branchRef, pending.commit, 'planalign-sync: pull');
  if (!folder || folder.updateIndex) {
    const written = await writeIndex(repo.gitdir, index.entries.values(), index.version, lock);
    if (!folder && pending.commit) await carryIndexRecord(repo.gitdir, index, headBefore, written, pending.commit);
  }
  if (folder) await setWorkspaceLine(repo.gitdir, folder.workspace, folder.line);
  return { applied, backedUp, notWritten };
}

/** The checkout a killed run recorded and did not finish, or null. Nothing is changed. */
async function readPendingCheckout(repo: GitRepository): Promise<PendingCheckout | null> {
  try {
    return JSON.parse(await fsp.readFile(pendingFile(repo), 'utf8')) as PendingCheckout;
  } catch {
    return null;
  }
}

/** Whether a checkout waits to be finished by the next run, and when it started (ms); null when none does. */
export async function pendingCheckoutSince(repo: GitRepository): Promise<number | null> {
  if (!(await readPendingCheckout(repo))) return null;
  return (await fsp.stat(pendingFile(repo)).catch(() => null))?.mtimeMs ?? null;
}

/** Completes a checkout that a killed run left half-done; a no-op when there is none. */
export async function resumeCheckout(repo: GitRepository): Promise<boolean> {
  const pending = await readPendingCheckout(repo);
  if (!pending) return false;
  await finishCheckout(repo, pending);
  await fsp.rm(pendingFile(repo), { force: true });
  return true;
}

/** The merge commit's subject: edits merged by key are not conflicts, and are not called so. */
function mergeMessage(resolved: ResolvedConflict[]): string {
  const settled = resolved.filter((r) => r.winner !== 'merged').length;
  const merged = resolved.length - settled;
  const notes = [settled > 0 ? `${plural(settled, 'conflict')} settled` : null, merged > 0 ? `${plural(merged, 'file')} merged by key` : null].filter(Boolean);
  return `Merge changes from the remote${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

import { decisionsOf } from '../conflict/open-conflicts.js';
import { createStrategyResolver } from '../conflict/strategy-resolver.js';
import { conflictingKeys } from '../conflict/structural-merge.js';
import { mergeTrees, type FileConflict } from '../conflict/three-way-merge.js';
import { diffTrees, fileAtPath, type PathChange } from '../git/tree-diff.js';
import type { ConflictPreview, PullPreview, WorkspacePreview } from '../models/preview.js';
import { CONFLICT_STRATEGIES, type ConflictStrategy } from '../models/sync-config.js';
import path from 'node:path';
import { withRootLock } from '../state/lock.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { strategyFor } from '../workspace/selection.js';
import { lastChanges } from './integrate.js';
import { localWorkTree } from './local-commit.js';
import { previewMessage } from './messages.js';
import type { ProgressReporter } from './progress.js';
import { removedWorkspaces } from './removed-workspaces.js';
import { loadSyncContext, requireRemote, type SyncContext } from './sync-context.js';
import { groupInto } from '../util/arrays.js';

/**
 * What a pull would do, without doing it: the remote is fetched (its tracking ref is the one
 * thing that moves), and the merge is worked out on objects alone. No working file, no index,
 * no branch and no backup is written; this computer's unrecorded work is taken as it is now.
 */
export async function previewPull(root: string, options: { strategy?: ConflictStrategy }, progress: ProgressReporter): Promise<PullPreview> {
  const context = await loadSyncContext(root);
  const url = requireRemote(context);
  return withRootLock(context.repo.gitdir, 'preview', async () => {
    const { repo } = context;
    progress.step('scan', 'Looking at local changes');
    const local = await localWorkTree(context);
    progress.step('fetch', 'Checking the remote for changes');
    const remoteHead = await repo.fetch({ url, branch: context.branch, onProgress: progress.transfer('fetch') });
    const head = await repo.resolveRef(context.branchRef);
    const outline = { remote_url: url, branch: context.branch, local_changes: local.changes.length };
    if (!remoteHead) return nothingToPull(outline, 'The remote has no workspaces yet: nothing to pull.');
    const history = head ? await repo.compareHistories(head, remoteHead) : { bases: [], onlyLocal: [], onlyRemote: [] };
    if (history.bases.includes(remoteHead)) return nothingToPull(outline, 'Already up to date.');

    const theirsTree = (await repo.readCommit(remoteHead)).tree;
    const baseTree = history.bases.length > 0 ? (await repo.readCommit(history.bases[0])).tree : null;
    const localPaths = new Set(local.changes.map((change) => change.path));
    const [oursChangedAt, theirsChangedAt] = [lastChanges(repo, history.onlyLocal), lastChanges(repo, history.onlyRemote)];
    const changedAt = {
      ours: async (file: string) => (localPaths.has(file) ? local.editedAt : oursChangedAt(file)),
      theirs: theirsChangedAt,
    };
    const removed = local.tree ? await removedWorkspaces(repo, baseTree, local.tree, theirsTree) : { oursTree: null, theirsTree, kept: [] };
    const strategy = strategyFor(context.settings, options.strategy);
    const bothChanged: FileConflict[] = [];
    const resolver = createStrategyResolver({
      repo,
      strategyFor: strategy,
      ours: { commit: head ?? remoteHead, changedAt: changedAt.ours },
      theirs: { commit: remoteHead, changedAt: changedAt.theirs },
      resolved: [],
      decisions: await decisionsOf(repo.gitdir),
      dryRun: true,
    });
    progress.step('merge', 'Working out what would change');
    const fastForward = (head === null || history.bases.includes(head)) && localPaths.size === 0;
    const merged =
      fastForward || removed.oursTree === null
        ? theirsTree
        : await mergeTrees(repo, baseTree, removed.oursTree, removed.theirsTree, recording(resolver.resolve, bothChanged));
    const incoming = await diffTrees(repo, local.tree, merged);
    // Names as they will be after the pull (a renamed scenario by its new name); removed things by their name here.
    const names = new NameBook(
      path.join(repo.gitdir, 'no-working-tree'),
      async (file) => (await fileAtPath(repo, merged, file)) ?? fileAtPath(repo, local.tree, file),
    );
    const workspaces = await describeWorkspaces(incoming, names);
    const conflicts = await describeConflicts(context, bothChanged, strategy, changedAt, names);
    const inWorkspaces = new Set(workspaces.map((w) => w.id));
    const otherFiles = incoming.filter((change) => !inWorkspaces.has(placeOf(change.path).workspaceId ?? '')).length;
    return {
      ...outline,
      // a conflict the pull would stop and ask about is something to pull, though no file would change yet
      up_to_date: incoming.length === 0 && !conflicts.some((conflict) => conflict.outcomes[conflict.strategy] === 'ask'),
      workspaces,
      other_files: otherFiles,
      files_changed: incoming.length,
      conflicts,
      backed_up_before_removal: removed.kept.map((change) => change.path),
      message: previewMessage(workspaces, otherFiles, conflicts, removed.kept.length),
    };
  });
}

function nothingToPull(outline: { remote_url: string; branch: string; local_changes: number }, message: string): PullPreview {
  return { ...outline, up_to_date: true, workspaces: [], other_files: 0, files_changed: 0, conflicts: [], backed_up_before_removal: [], message };
}

/** Passes each file changed on both sides to `resolve`, and remembers it. */
function recording(resolve: (conflict: FileConflict) => Promise<{ oid: string | null }>, seen: FileConflict[]) {
  return async (conflict: FileConflict) => {
    seen.push(conflict);
    return resolve(conflict);
  };
}

/** The incoming changes by workspace, with the scenarios and runs each adds, changes or removes. */
async function describeWorkspaces(changes: PathChange[], names: NameBook): Promise<WorkspacePreview[]> {
  const byWorkspace = new Map<string, PathChange[]>();
  // asked once per top-level folder, not once per file in it
  const isWorkspace = new Map<string, boolean>();
  for (const change of changes) {
    const { workspaceId } = placeOf(change.path);
    if (!workspaceId) continue;
    if (!isWorkspace.has(workspaceId)) isWorkspace.set(workspaceId, await names.isWorkspace(workspaceId));
    if (!isWorkspace.get(workspaceId)) continue;
    groupInto(byWorkspace, workspaceId, change);
  }
  const kindOf = (change: PathChange) => (change.before === null ? 'added' : change.after === null ? 'removed' : 'changed');
  const previews: WorkspacePreview[] = [];
  for (const [id, inside] of byWorkspace) {
    const workspaceFile = inside.find((change) => placeOf(change.path).file === 'workspace');
    const scenarios = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
    const touchedRuns = new Map<string, 'added' | 'changed' | 'removed'>();
    const touchedScenarios = new Map<string, 'added' | 'changed' | 'removed'>();
    // A run counts once, by its metadata file; a scenario changes when its own files do (runs aside).
    const note = (seen: Map<string, 'added' | 'changed' | 'removed'>, key: string, own: boolean, change: PathChange) => {
      if (own) seen.set(key, kindOf(change));
      else if (!seen.has(key)) seen.set(key, 'changed');
    };
    for (const change of inside) {
      const place = placeOf(change.path);
      if (place.runId) note(touchedRuns, `${place.scenarioId}/${place.runId}`, place.file === 'run', change);
      else if (place.scenarioId) note(touchedScenarios, place.scenarioId, place.file === 'scenario', change);
    }
    const runs = { added: 0, changed: 0, removed: 0 };
    for (const kind of touchedRuns.values()) runs[kind] += 1;
    for (const [scenarioId, kind] of touchedScenarios) scenarios[kind].push(await names.scenarioName(id, scenarioId));
    previews.push({
      id,
      name: await names.workspaceName(id),
      change: workspaceFile && workspaceFile.before === null ? 'added' : workspaceFile && workspaceFile.after === null ? 'removed' : 'changed',
      scenarios,
      runs,
    });
  }
  return previews.sort((a, b) => a.name.localeCompare(b.name));
}

/** Files changed differently on both sides, the keys they disagree on, and what each strategy would keep. */
async function describeConflicts(
  context: SyncContext,
  bothChanged: FileConflict[],
  strategy: (file: string) => ConflictStrategy,
  changedAt: { ours: (file: string) => Promise<number>; theirs: (file: string) => Promise<number> },
  names: NameBook,
): Promise<ConflictPreview[]> {
  const { repo } = context;
  const text = async (oid: string | null) => (oid ? Buffer.from(await repo.readBlob(oid)).toString('utf8') : null);
  const previews: ConflictPreview[] = [];
  for (const conflict of bothChanged) {
    // A file kept on one side and deleted on the other is kept: no choice to make.
    if (conflict.ours === null || conflict.theirs === null) continue;
    const differing = conflictingKeys(conflict.path, await text(conflict.base), (await text(conflict.ours))!, (await text(conflict.theirs))!);
    // Edits to different keys merge: not a conflict.
    if (differing?.length === 0) continue;
    const keys = (differing ?? []).map((c) => ({ key: c.path.join('.'), local: c.ours, remote: c.theirs }));
    const newer = (await changedAt.ours(conflict.path)) >= (await changedAt.theirs(conflict.path)) ? 'local' : 'remote';
    const outcomes = Object.fromEntries(
      CONFLICT_STRATEGIES.map((name) => [name, name === 'keep-local' ? 'local' : name === 'keep-remote' ? 'remote' : name === 'ask-user' ? 'ask' : newer]),
    ) as ConflictPreview['outcomes'];
    previews.push({ path: conflict.path, label: await labelOf(conflict.path, names), keys, outcomes, strategy: strategy(conflict.path) });
  }
  return previews;
}

/** `Workspace › Scenario › scenario.json`: a file as people know it. */
async function labelOf(file: string, names: NameBook): Promise<string> {
  const place = placeOf(file);
  if (!place.workspaceId) return file;
  const parts = [await names.workspaceName(place.workspaceId)];
  if (place.scenarioId) parts.push(await names.scenarioName(place.workspaceId, place.scenarioId));
  parts.push(file.split('/').pop()!);
  return parts.join(' › ');
}

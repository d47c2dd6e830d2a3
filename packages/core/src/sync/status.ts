import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { SyncAuthError, SyncBusyError, SyncNetworkError } from '../errors.js';
import { ObjectNotFoundError } from '../git/object-reader.js';
import { writeIndex } from '../git/index-file.js';
import { diffTrees, fileAtPath, listTreeFiles } from '../git/tree-diff.js';
import type { WorkspaceSyncState, SyncStatus, TreeCounts } from '../models/sync-status.js';
import { NameBook } from '../workspace/names.js';
import { compileSyncRules } from '../ignore/sync-rules.js';
import { readGitignore } from '../ignore/gitignore-template.js';
import { scanSyncedFiles, type ScanResult } from '../workspace/file-scan.js';
import { countTree, placeOf } from '../workspace/paths.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { readLocalState } from './journal.js';
import { stateDir } from '../state/state-dir.js';
import { withRootLock } from '../state/lock.js';
import { readOpenConflicts } from '../conflict/open-conflicts.js';
import { ScenarioLastRuns } from '../state/scenario-last-runs.js';
import { resumeCheckout } from './integrate.js';
import type { SyncContext } from './sync-context.js';
import { scanWorkingTree, stageLocalWork } from './local-commit.js';
import { countMissingResults } from '../regen/missing-results.js';
import { exclusionOf } from '../workspace/selection.js';
import { readWorkspaceLines, type WorkspaceLines } from '../state/branch-state.js';
import type { GitIndex } from '../git/index-file.js';
import type { LiveView } from './live-working-tree.js';
import { unsyncedOnBranch, workspaceTree } from './workspace-lines.js';
import { commitsSinceExchange, teamRefs } from './team-remote.js';
import { describeRemotes } from './remotes.js';
import { unknownSettingWarning } from './messages.js';
import { carryIndexRecord } from './staged-by-git.js';
import { refreshWorthWriting } from './stage.js';
import { groupInto } from '../util/arrays.js';

const STATUS_LOCK_WAIT_MS = 2_000;

/**
 * Where this root stands against its remote. Asks the remote for its branch head (one small
 * request) and fetches only when it moved; offline, it answers from the last fetch.
 */
export async function computeStatus(context: SyncContext, options: { offline?: boolean; lastSync?: string | null } = {}): Promise<SyncStatus> {
  const warnings: string[] = [];
  let remoteReachable: boolean | null = null;
  const gather = async (locked: boolean) => {
    // The working tree is looked at while the remote is asked: neither waits for the other. The
    // remote goes first, so the git process that reads its network settings starts while this
    // one is small (a fork copies the parent's page tables) and runs while the files are scanned.
    const asking = !options.offline && context.settings.remote && locked ? context.repo.fetch({ url: context.settings.remote, branch: context.branch }) : null;
    asking?.catch(() => undefined);
    const local = lookAtWorkingTree(context);
    local.catch(() => undefined);
    if (asking) {
      try {
        await asking;
        remoteReachable = true;
      } catch (error) {
        // Unreachable or refusing this computer's credentials: the local state is still worth showing.
        if (!(error instanceof SyncNetworkError) && !(error instanceof SyncAuthError)) throw error;
        if (error instanceof SyncNetworkError) remoteReachable = false;
        warnings.push(`${error.message} Showing the state as of the last sync.`);
        if (error instanceof SyncAuthError)
          return { ...(await gatherStatus(context, local, locked, warnings, remoteReachable)), credentials_refused: true as const };
      }
    }
    return gatherStatus(context, local, locked, warnings, remoteReachable);
  };
  try {
    return await withRootLock(
      context.repo.gitdir,
      'status',
      async () => {
        await resumeCheckout(context.repo);
        return gather(true);
      },
      STATUS_LOCK_WAIT_MS,
    );
  } catch (error) {
    if (!(error instanceof SyncBusyError)) throw error;
    warnings.push('A sync is running on this root; the remote was not asked.');
    return gather(false);
  }
}

/** The working tree and the index: from the live view a long-running process keeps, else scanned now. */
interface WorkingTreeLook {
  scan: ScanResult;
  index: GitIndex;
  view: LiveView | null;
  /** keeps what the scan learned for the next one (a one-shot scan's cache) */
  save: () => Promise<void>;
}

async function lookAtWorkingTree(context: SyncContext): Promise<WorkingTreeLook> {
  if (context.live) {
    const view = await context.live.look(context);
    return { scan: view.scan, index: view.index, view, save: async () => undefined };
  }
  const { cache, index, scan } = await scanWorkingTree(context);
  return { scan, index, view: null, save: () => cache.save() };
}

/** What is staged, remembered by the live view while nothing it depends on changed. */
function stagedWork(context: SyncContext, look: WorkingTreeLook, lines: WorkspaceLines): ReturnType<typeof stageLocalWork> {
  const stage = () => stageLocalWork(context, look.scan, look.index, { lines });
  if (!context.live || !look.view) return stage();
  const key = [look.view.indexVersion, JSON.stringify(context.settings), [...context.excludedHere].join(','), JSON.stringify(lines)].join('\0');
  return context.live.remember(look.view, 'staged', key, stage);
}

async function gatherStatus(
  context: SyncContext,
  pending: Promise<WorkingTreeLook>,
  locked: boolean,
  warnings: string[],
  remoteReachable: boolean | null,
): Promise<SyncStatus> {
  const { repo, root } = context;
  const [look, state, open, lines] = await Promise.all([pending, readLocalState(repo.gitdir), readOpenConflicts(repo.gitdir), readWorkspaceLines(repo.gitdir)]);
  const { index, scan } = look;
  const conflicts = (open?.files ?? []).map((f) => f.path);
  const conflictWorkspaces = new Set(conflicts.map((p) => placeOf(p).workspaceId));
  if (locked) await look.save();
  const snapshot = await stagedWork(context, look, lines);
  const head = await repo.resolveRef(context.branchRef);
  // A native merge in progress keeps its index: its conflict stages are git's to settle.
  if (locked && refreshWorthWriting(snapshot) && index.unmerged.length === 0) {
    // Only a cache for the next scan: a Git program holding the index is left to it.
    const written = await writeIndex(repo.gitdir, snapshot.refreshedIndex.values(), index.version).catch((error: unknown) => {
      if (!(error instanceof SyncBusyError)) throw error;
      return null;
    });
    // the same entries with fresher stat data: an index known to match the branch still does
    if (written) await carryIndexRecord(repo.gitdir, index, head, written, head);
  }
  for (const skipped of snapshot.skipped) {
    warnings.push(`${skipped.path} is not synced: ${skipped.reason}.`);
  }
  for (const setting of context.unknownSettings) {
    warnings.push(unknownSettingWarning(setting));
  }

  const tracking = await repo.resolveRef(context.trackingRef);
  const headTree = head ? (await repo.readCommit(head)).tree : null;
  const trackingTree = tracking ? (await repo.readCommit(tracking)).tree : null;
  let ahead = 0;
  let behind = 0;
  let baseTree: string | null = null;
  if (head && tracking && head !== tracking) {
    const histories = await repo.compareHistories(head, tracking);
    baseTree = histories.bases[0] ? (await repo.readCommit(histories.bases[0])).tree : null;
    ahead = histories.onlyLocal.length;
    behind = histories.onlyRemote.length;
  } else if (head && tracking) {
    baseTree = headTree;
  } else if (head) {
    // Without origin, a root that shares through team remotes is ahead by what it made since it last shared.
    ahead = teamOnly(context) ? await commitsSinceExchange(context, head) : (await repo.history(head)).length;
  }

  // Per workspace: files changed here (uncommitted, or committed and not pushed) and there.
  const localChangesByWorkspace = new Map<string, number>();
  const bump = (map: Map<string, number>, p: string) => {
    const ws = placeOf(p).workspaceId;
    if (ws) map.set(ws, (map.get(ws) ?? 0) + 1);
  };
  // Changes waiting for a running scenario count too: they are this computer's, not yet sent.
  const changedHere = new Set([...snapshot.changes, ...snapshot.waiting].map((c) => c.path));
  if (head && headTree !== (tracking ? baseTree : null)) {
    for (const change of await diffTrees(repo, tracking ? baseTree : null, headTree)) changedHere.add(change.path);
  }
  for (const p of changedHere) bump(localChangesByWorkspace, p);
  // A workspace showing a branch: what that branch has here and not on the remote.
  let branchChanges = 0;
  for (const [workspace, branch] of Object.entries(lines)) {
    const unsynced = await unsyncedOnBranch(context, workspace, branch, scan);
    localChangesByWorkspace.set(workspace, unsynced);
    branchChanges += unsynced;
  }
  // A root that shares only through team remotes: each workspace against the remote carrying it.
  const teamCarried = new Map<string, string | null>();
  if (teamOnly(context)) {
    for (const [name, remote] of Object.entries(context.settings.remotes)) {
      const tip = await repo.resolveRef(teamRefs(name, remote.branch).tracking);
      const tree = tip && (await repo.hasCommit(tip)) ? (await repo.readCommit(tip)).tree : null;
      for (const workspace of remote.workspaces) teamCarried.set(workspace, await workspaceTree(repo, tree, workspace));
    }
    const changedByWorkspace = new Map<string, string[]>();
    for (const { path: changed } of snapshot.changes) {
      const workspace = placeOf(changed).workspaceId;
      if (workspace) groupInto(changedByWorkspace, workspace, changed);
    }
    for (const [workspace, theirs] of teamCarried) {
      const changed = new Set(changedByWorkspace.get(workspace));
      for (const change of await diffTrees(repo, theirs, await workspaceTree(repo, headTree, workspace), workspace)) changed.add(change.path);
      if (!lines[workspace]) localChangesByWorkspace.set(workspace, changed.size);
    }
  }
  const remoteChangesByWorkspace = new Map<string, number>();
  if (tracking && behind > 0) for (const change of await diffTrees(repo, baseTree, trackingTree)) bump(remoteChangesByWorkspace, change.path);
  const remoteWorkspaces = new Set(trackingTree ? (await repo.readTree(trackingTree)).filter((i) => i.type === 'tree').map((i) => i.name) : []);

  const { names, workspaceIds, perWorkspace, lastRunAt, local } = look.view
    ? await context.live!.remember(look.view, 'local-facts', '', () => localFacts(root, repo.gitdir, scan))
    : await localFacts(root, repo.gitdir, scan);
  const problemsByWorkspace = new Map<string, string[]>();
  for (const skipped of snapshot.skipped) {
    const ws = placeOf(skipped.path).workspaceId;
    if (ws) groupInto(problemsByWorkspace, ws, `${skipped.path}: ${skipped.reason}`);
  }
  // Workspaces known only on the remote are listed too, as pull available; and those whose
  // folder went from this computer, whose removal the next push would send.
  const removedHere = new Set([...localChangesByWorkspace.keys()].filter((ws) => !perWorkspace.has(ws) && (localChangesByWorkspace.get(ws) ?? 0) > 0));
  const allIds = [...new Set([...workspaceIds, ...[...remoteChangesByWorkspace.keys()].filter((ws) => !perWorkspace.has(ws)), ...removedHere])];
  const missingByWorkspace = context.live
    ? await context.live.countMissingResults()
    : await countMissingResults(root, { synced: scan.files, noted: scan.noted });
  const workspaces: WorkspaceSyncState[] = [];
  for (const id of allIds.sort()) {
    const counts = perWorkspace.get(id) ?? { scenarios: new Set<string>(), runs: 0 };
    const changes = localChangesByWorkspace.get(id) ?? 0;
    const pullAvailable = (remoteChangesByWorkspace.get(id) ?? 0) > 0;
    const exclusion = exclusionOf(context, id);
    const enabled = exclusion === null;
    const onRemote = context.settings.remote ? remoteWorkspaces.has(id) || pullAvailable : !!teamCarried.get(id);
    const state: WorkspaceSyncState['state'] = conflictWorkspaces.has(id)
      ? 'conflict'
      : !enabled || !onRemote
        ? 'local_only'
        : changes > 0
          ? 'push_needed'
          : pullAvailable
            ? 'pull_available'
            : 'synced';
    const removed = removedHere.has(id);
    // A workspace not here yet is described by the remote's copy: its name and what it holds.
    const onlyThere = !removed && !perWorkspace.has(id) && trackingTree !== null ? await describedByTree(context, trackingTree, id) : null;
    workspaces.push({
      id,
      name: onlyThere
        ? (onlyThere.name ?? id)
        : removed
          ? ((await committedWorkspaceName(context, [headTree, trackingTree], id)) ?? id)
          : await names.workspaceName(id),
      state,
      changes,
      pull_available: pullAvailable,
      sync_enabled: enabled,
      excluded_on: exclusion,
      scenario_count: onlyThere?.scenarios ?? counts.scenarios.size,
      run_count: onlyThere?.runs ?? counts.runs,
      last_run_at: lastRunAt.get(id) ?? null,
      problems: [...(removed ? [REMOVED_HERE] : []), ...(problemsByWorkspace.get(id) ?? [])],
      missing_results: missingByWorkspace.get(id) ?? 0,
      branch: lines[id] ?? null,
    });
  }
  return {
    is_initialized: true,
    remote_url: context.settings.remote,
    branch: context.branch,
    remotes: await describeRemotes(context),
    local_changes: snapshot.changes.length + snapshot.waiting.length + branchChanges,
    ahead,
    behind,
    last_sync: state.last_sync,
    conflicts,
    remote_reachable: remoteReachable,
    local,
    remote:
      tracking && trackingTree ? await remoteCounts(context, tracking, trackingTree) : teamOnly(context) ? await carriedCounts(context, teamCarried) : null,
    workspaces,
    missing_results: [...missingByWorkspace.values()].reduce((a, b) => a + b, 0),
    warnings,
  };
}

/** What status says of a workspace whose folder is gone from this computer. */
const REMOVED_HERE = 'its folder is no longer on this computer: a push would remove it from the remote and the other computers';

/** A workspace as a committed tree holds it: its name, and how many scenarios and runs it has. */
async function describedByTree(context: SyncContext, tree: string, id: string): Promise<{ name: string | null; scenarios: number; runs: number }> {
  const folder = await workspaceTree(context.repo, tree, id);
  const { scenarios, runs } = countTree(folder ? (await diffTrees(context.repo, null, folder, id)).map((change) => change.path) : []);
  return { name: await committedWorkspaceName(context, [tree], id), scenarios, runs };
}

/** A workspace's name as the first of these trees that holds it records it (its folder may be gone). */
async function committedWorkspaceName(context: SyncContext, trees: (string | null)[], id: string): Promise<string | null> {
  for (const tree of trees) {
    const content = tree ? await fileAtPath(context.repo, tree, `${id}/workspace.json`) : null;
    if (!content) continue;
    try {
      const name = (JSON.parse(Buffer.from(content).toString('utf8')) as { name?: unknown }).name;
      if (typeof name === 'string' && name) return name;
    } catch {
      // not JSON: try the next tree
    }
  }
  return null;
}

/**
 * What the local files say, per workspace: its scenarios and runs, its name, its last run
 * (from each scenario.json, read only when it changed since the last status).
 */
async function localFacts(root: string, gitdir: string, scan: ScanResult) {
  const names = new NameBook(root);
  const lastRuns = ScenarioLastRuns.load(gitdir);
  const { workspaceIds, perWorkspace, local } = tallyWorkspaces(scan.files.keys());
  const lastRunAt = new Map<string, string | null>();
  for (const [id, counts] of perWorkspace) {
    let latest: string | null = null;
    for (const scenarioId of counts.scenarios) {
      const file = scan.files.get(`${id}/scenarios/${scenarioId}/scenario.json`);
      const read = async () => (await names.scenario(id, scenarioId))?.last_run_at ?? null;
      const at = file ? await lastRuns.lastRunAt(file.path, file, read) : await read();
      if (at && (!latest || at > latest)) latest = at;
    }
    lastRunAt.set(id, latest);
  }
  await lastRuns.save();
  return { names, workspaceIds, perWorkspace, lastRunAt, local };
}

/**
 * Each workspace's scenarios and runs, the workspaces in the order their workspace.json came,
 * and countTree's figures for all of them, from one pass over the files.
 */
function tallyWorkspaces(paths: Iterable<string>) {
  const workspaceIds: string[] = [];
  const perWorkspace = new Map<string, { scenarios: Set<string>; runs: number }>();
  const local = { workspaces: 0, scenarios: 0, runs: 0 };
  for (const p of paths) {
    const place = placeOf(p);
    if (!place.workspaceId) continue;
    if (place.file === 'workspace') {
      workspaceIds.push(place.workspaceId);
      local.workspaces += 1;
    }
    let entry = perWorkspace.get(place.workspaceId);
    if (!entry) perWorkspace.set(place.workspaceId, (entry = { scenarios: new Set(), runs: 0 }));
    if (place.file === 'scenario') {
      entry.scenarios.add(place.scenarioId!);
      local.scenarios += 1;
    }
    if (place.file === 'run') {
      entry.runs += 1;
      local.runs += 1;
    }
  }
  return { workspaceIds: [...new Set(workspaceIds)], perWorkspace, local };
}

/** A root with no origin that shares through team remotes (as one set up by an import is). */
const teamOnly = (context: SyncContext) => !context.settings.remote && Object.keys(context.settings.remotes).length > 0;

/** What the team remotes hold of the workspaces they carry for this root; null before anything was exchanged. */
async function carriedCounts(context: SyncContext, carried: Map<string, string | null>): Promise<TreeCounts | null> {
  const paths: string[] = [];
  for (const [workspace, tree] of carried) {
    if (tree) for (const change of await diffTrees(context.repo, null, tree, workspace)) paths.push(change.path);
  }
  return paths.length > 0 ? countTree(paths) : null;
}

/**
 * Counting the remote's tree reads every folder of it (a third of a second on a 34,000-file
 * root), so the answer is kept with the tree it counted; when the remote moved, only the paths
 * that changed since that tree are read, and the counts of workspace, scenario and run files
 * moved by them.
 */
async function remoteCounts(context: SyncContext, tracking: string, trackingTree: string): Promise<TreeCounts> {
  const file = path.join(stateDir(context.repo.gitdir), 'remote-counts.json');
  let cached: { commit: string; tree?: string; counts: TreeCounts } | null = null;
  try {
    cached = JSON.parse(await fsp.readFile(file, 'utf8')) as { commit: string; tree?: string; counts: TreeCounts };
  } catch {
    // no cache yet
  }
  if (cached?.commit === tracking) return cached.counts;
  const counts =
    (cached?.tree && (await countsMovedBy(context, cached.tree, trackingTree, cached.counts))) ||
    countTree((await listTreeFiles(context.repo, trackingTree)).keys());
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ commit: tracking, tree: trackingTree, counts }), { durable: false }).catch(() => undefined);
  return counts;
}

/** `counts` of tree `from`, moved by what changed from it to `to`; null when `from` cannot be read here any more. */
async function countsMovedBy(context: SyncContext, from: string, to: string, counts: TreeCounts): Promise<TreeCounts | null> {
  let changes: Awaited<ReturnType<typeof diffTrees>>;
  try {
    changes = await diffTrees(context.repo, from, to);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return null;
    throw error;
  }
  const added = countTree(changes.filter((c) => c.before === null).map((c) => c.path));
  const removed = countTree(changes.filter((c) => c.after === null).map((c) => c.path));
  return {
    workspaces: counts.workspaces + added.workspaces - removed.workspaces,
    scenarios: counts.scenarios + added.scenarios - removed.scenarios,
    runs: counts.runs + added.runs - removed.runs,
  };
}

/** What auto-sync needs to know after a change, without counting, naming or asking the remote. */
export interface LocalWork {
  /**
   * Whether a push would have anything to send: changed files, commits the remote does not have,
   * or a workspace branch ahead of its remote copy.
   */
  pending: boolean;
  /** synced files held back because they do not parse yet: most likely still being written */
  beingWritten: string[];
}

export async function localWork(context: SyncContext): Promise<LocalWork> {
  const { repo } = context;
  const look = await lookAtWorkingTree(context);
  const { scan } = look;
  const snapshot = await stagedWork(context, look, await readWorkspaceLines(repo.gitdir));
  const beingWritten = snapshot.skipped.filter((skipped) => skipped.being_written).map((skipped) => skipped.path);
  const pending = async () => {
    if (snapshot.changes.length > 0) return true;
    const [head, tracking] = await Promise.all([repo.resolveRef(context.branchRef), repo.resolveRef(context.trackingRef)]);
    if (head && head !== tracking && (!teamOnly(context) || (await commitsSinceExchange(context, head)) > 0)) return true;
    for (const [workspace, branch] of Object.entries(await readWorkspaceLines(repo.gitdir))) {
      if ((await unsyncedOnBranch(context, workspace, branch, scan)) > 0) return true;
    }
    return false;
  };
  return { pending: await pending(), beingWritten };
}

/** What a root that does not sync yet holds: its workspaces, all local only. */
export async function uninitializedStatus(root: string): Promise<SyncStatus> {
  const rules = compileSyncRules(await readGitignore(root).catch(() => null));
  const scan = await scanSyncedFiles(root, rules, 10 * 1024 * 1024).catch(() => ({ files: new Map(), skipped: [], covers: () => false }));
  const names = new NameBook(root);
  const workspaces: WorkspaceSyncState[] = [];
  const { workspaceIds, perWorkspace, local } = tallyWorkspaces(scan.files.keys());
  for (const id of workspaceIds) {
    const { scenarios, runs } = perWorkspace.get(id)!;
    workspaces.push({
      id,
      name: await names.workspaceName(id),
      state: 'local_only',
      changes: 0,
      pull_available: false,
      sync_enabled: true,
      excluded_on: null,
      scenario_count: scenarios.size,
      run_count: runs,
      last_run_at: null,
      problems: [],
      missing_results: 0,
      branch: null,
    });
  }
  const state = await readLocalState(`${root}/.git`);
  return {
    is_initialized: false,
    remote_url: null,
    branch: null,
    remotes: [],
    local_changes: 0,
    ahead: 0,
    behind: 0,
    last_sync: state.last_sync,
    conflicts: [],
    remote_reachable: null,
    local,
    remote: null,
    workspaces,
    missing_results: 0,
    warnings: [],
  };
}

import { SyncConfigError, SyncNetworkError, SyncNotFoundError, SyncUnmergedWorkError } from '../errors.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import type { Author, BranchList, BranchResult, WorkspaceBranch } from '../models/team.js';
import { checkOut, switchWorkspaceFolder } from '../sync/integrate.js';
import type { SyncContext } from '../sync/sync-context.js';
import { assertBranchName, branchRefs, LOCAL_BRANCHES_PREFIX, REMOTE_BRANCHES_PREFIX, TRACKING_BRANCHES_PREFIX } from '../state/branch-state.js';
import { lineTip, mergeCommit, mergeWorkspace, saveWorkspaceWork, shownLine, workspaceTree, type LineTip } from '../sync/workspace-lines.js';
import { plural } from '../util/plural.js';

/** How far back a line is searched for its last change to the workspace. */
const LAST_CHANGE_DEPTH = 500;

interface Named {
  id: string;
  name: string;
}

const branchResult = (workspace: Named, branch: string, files: number, message: string, resolved: BranchResult['resolved_conflicts'] = []): BranchResult => ({
  workspace_id: workspace.id,
  workspace_name: workspace.name,
  branch,
  files_changed: files,
  resolved_conflicts: resolved,
  message,
});

/** Starts a branch of a workspace from the line its folder shows, and shows it. */
export async function createBranch(context: SyncContext, workspace: Named, branch: string): Promise<BranchResult> {
  assertBranchName(branch, context.branch);
  const refs = branchRefs(workspace.id, branch);
  if ((await context.repo.resolveRef(refs.local)) || (await context.repo.resolveRef(refs.tracking))) {
    throw new SyncConfigError(`"${workspace.name}" already has a branch "${branch}".`, {
      next: { action: 'switch_branch', workspace: workspace.name, branch },
    });
  }
  await saveWorkspaceWork(context, workspace.id);
  const from = await lineTip(context, workspace.id, await shownLine(context, workspace.id));
  if (!from.commit) throw new SyncConfigError(`"${workspace.name}" has nothing committed yet: sync once first.`, { next: { action: 'push' } });
  await context.repo.writeRef(refs.local, from.commit);
  await switchWorkspaceFolder(context.repo, workspace.id, from.tree, from.tree, { line: branch, updateIndex: false });
  return branchResult(
    workspace,
    branch,
    0,
    `Started branch "${branch}" of "${workspace.name}"; its folder now shows it. Changes you make stay on the branch until you merge it.`,
  );
}

/**
 * Shows another line of the workspace in its folder. What the folder held is committed to the
 * line it showed first; a branch only a teammate has is fetched.
 */
export async function switchBranch(context: SyncContext, workspace: Named, branch: string): Promise<BranchResult> {
  const current = await shownLine(context, workspace.id);
  if (branch === current) return branchResult(workspace, branch, 0, `"${workspace.name}" already shows ${describeLine(context, branch)}.`);
  const target = await findLine(context, workspace, branch);
  await saveWorkspaceWork(context, workspace.id);
  const from = await lineTip(context, workspace.id, current);
  const toMain = branch === context.branch;
  const moved = await switchWorkspaceFolder(context.repo, workspace.id, from.tree, target.tree, { line: toMain ? null : branch, updateIndex: toMain });
  return branchResult(
    workspace,
    branch,
    moved.applied.length,
    `"${workspace.name}" now shows ${describeLine(context, branch)} (${plural(moved.applied.length, 'file')} changed in its folder).`,
  );
}

/**
 * Merges a branch of the workspace back into its main line, then shows the main line. Only
 * that workspace is merged; the rest of the root is untouched.
 */
export async function mergeBranch(context: SyncContext, workspace: Named, branch: string, strategy?: ConflictStrategy): Promise<BranchResult> {
  if (branch === context.branch) throw new SyncConfigError(`"${branch}" is the main line: name the branch to merge into it.`);
  await findLine(context, workspace, branch);
  await saveWorkspaceWork(context, workspace.id);
  // Saving may have moved the branch: merge what it holds now.
  const shown = await lineTip(context, workspace.id, await shownLine(context, workspace.id));
  const tip = await lineTip(context, workspace.id, branch);
  const main = await lineTip(context, workspace.id, context.branch);
  if (!main.commit || !main.tree || !tip.commit)
    throw new SyncConfigError(`Nothing is committed on the main branch yet: sync once first.`, { next: { action: 'push' } });
  const merge = await mergeWorkspace(context, workspace.id, main.commit, tip.commit, {
    strategy,
    describe: `the main line and the branch "${branch}" of "${workspace.name}"`,
  });
  let files = 0;
  if (!merge.alreadyMerged) {
    const commit = await mergeCommit(context, merge.tree, [main.commit, tip.commit], `Merge branch "${branch}" into "${workspace.name}"`);
    files += (await checkOut(context.repo, context.branchRef, main.tree, merge.tree, commit)).applied.length;
  }
  // The folder shows the main line again, now with the branch's work in it.
  const mainNow = await lineTip(context, workspace.id, context.branch);
  if (shown.ref !== mainNow.ref) {
    files = (await switchWorkspaceFolder(context.repo, workspace.id, shown.tree, mainNow.tree, { line: null, updateIndex: true })).applied.length;
  }
  const settled = merge.resolved.filter((r) => r.winner !== 'merged').length;
  const message = merge.alreadyMerged
    ? `The main line of "${workspace.name}" already has everything on "${branch}".`
    : `Merged "${branch}" into "${workspace.name}"${settled ? ` (${plural(settled, 'conflict')} settled, the other side kept as a backup)` : ''}; push to share it.`;
  return branchResult(workspace, branch, files, message, merge.resolved);
}

/**
 * Deletes a branch here and on origin. A branch whose work the main line does not have is kept
 * unless `force`: its commits would be gone. The folder must not be showing it.
 */
export async function deleteBranch(context: SyncContext, workspace: Named, branch: string, options: { force?: boolean } = {}): Promise<BranchResult> {
  if (branch === context.branch) throw new SyncConfigError(`"${branch}" is the main line; it cannot be deleted.`);
  assertBranchName(branch, context.branch);
  if ((await shownLine(context, workspace.id)) === branch) {
    throw new SyncConfigError(`"${workspace.name}" has the branch "${branch}" checked out: switch to another branch first.`, {
      next: { action: 'switch_branch', workspace: workspace.name, branch: context.branch },
    });
  }
  const { repo } = context;
  const refs = branchRefs(workspace.id, branch);
  const here = await repo.resolveRef(refs.local);
  // What the remote has now (a teammate may have pushed since), fetched so its work is checked too.
  let there = await repo.resolveRef(refs.tracking);
  let remoteReached = false;
  if (context.settings.remote) {
    try {
      there = await repo.fetch({ url: context.settings.remote, branch: refs.remoteBranch, localRef: refs.local, trackingRef: refs.tracking });
      remoteReached = true;
    } catch (error) {
      // Offline, a branch never pushed can still go; one the remote may have must wait.
      if (!(error instanceof SyncNetworkError) || there) throw error;
    }
  }
  if (!here && !there)
    throw new SyncNotFoundError(`"${workspace.name}" has no branch "${branch}" here.`, { next: { action: 'list_branches', workspace: workspace.name } });
  const main = await repo.resolveRef(context.branchRef);
  for (const tip of [here, there]) {
    if (!tip || !main || options.force) continue;
    const unmerged = (await repo.compareHistories(tip, main)).onlyLocal.length;
    if (unmerged > 0) {
      throw new SyncUnmergedWorkError(
        `"${branch}" has ${plural(unmerged, 'commit')} the main branch of "${workspace.name}" does not have: merge it first, or delete it anyway (its work is then gone).`,
        unmerged,
        { next: { action: 'delete_anyway', workspace: workspace.name, branch } },
      );
    }
  }
  if (context.settings.remote && remoteReached) {
    const deleted = await repo.deleteRemoteBranch({ url: context.settings.remote, branch: refs.remoteBranch }, there);
    if (!deleted) throw new SyncConfigError(`Someone changed "${branch}" on the remote since this machine last synced: pull, look, and delete it again.`);
  }
  await repo.deleteRef(refs.local);
  await repo.deleteRef(refs.tracking);
  return branchResult(workspace, branch, 0, `Deleted the branch "${branch}" of "${workspace.name}"${remoteReached ? ' here and on the remote' : ''}.`);
}

/** The main line and every branch of a workspace, here and on origin, with who changed each last. */
export async function listBranches(context: SyncContext, workspace: Named, options: { offline?: boolean } = {}): Promise<BranchList> {
  const { repo } = context;
  const current = await shownLine(context, workspace.id);
  const local = await repo.listRefs(`${LOCAL_BRANCHES_PREFIX}/${workspace.id}`);
  let remote = await repo.listRefs(`${TRACKING_BRANCHES_PREFIX}/${workspace.id}`);
  let reachable: boolean | null = null;
  if (context.settings.remote && !options.offline) {
    try {
      const advertised = await repo.listRemoteRefs(context.settings.remote, `${REMOTE_BRANCHES_PREFIX}/${workspace.id}`);
      remote = new Map([...advertised].map(([ref, oid]) => [ref.replace(REMOTE_BRANCHES_PREFIX, TRACKING_BRANCHES_PREFIX), oid]));
      reachable = true;
    } catch (error) {
      if (!(error instanceof SyncNetworkError)) throw error;
      reachable = false;
    }
  }
  const names = new Set([...local.keys(), ...remote.keys()].map((ref) => ref.split('/').pop()!));
  const branches: WorkspaceBranch[] = [await describeBranch(context, workspace.id, context.branch, current, 'both', 0)];
  for (const name of [...names].sort()) {
    const refs = branchRefs(workspace.id, name);
    const here = local.get(refs.local) ?? null;
    const there = remote.get(refs.tracking) ?? null;
    // A teammate's branch is fetched (mostly objects already here) to show who changed it.
    if (there && reachable && !(await repo.hasCommit(there))) {
      await repo.fetch({ url: context.settings.remote!, branch: refs.remoteBranch, localRef: refs.local, trackingRef: refs.tracking }).catch(() => null);
    }
    const known = there && (await repo.hasCommit(there)) ? there : null;
    // Never pushed: its commits that the remote's main line does not have.
    const basis = known ?? (here && !there ? await repo.resolveRef(context.trackingRef) : null);
    const ahead = here && basis && here !== basis ? (await repo.compareHistories(here, basis)).onlyLocal.length : 0;
    branches.push(await describeBranch(context, workspace.id, name, current, here && there ? 'both' : here ? 'local' : 'remote', ahead, here ?? known));
  }
  return {
    workspace_id: workspace.id,
    workspace_name: workspace.name,
    current,
    branches,
    remote_reachable: reachable,
    message: `"${workspace.name}" shows ${describeLine(context, current)}; ${plural(branches.length - 1, 'branch', 'branches')} besides the main line.`,
  };
}

async function describeBranch(
  context: SyncContext,
  workspace: string,
  name: string,
  current: string,
  where: WorkspaceBranch['where'],
  ahead: number,
  tip?: string | null,
): Promise<WorkspaceBranch> {
  const commit = tip === undefined ? await context.repo.resolveRef(context.branchRef) : tip;
  const last = commit ? await lastWorkspaceChange(context, workspace, commit) : null;
  return {
    name,
    current: name === current,
    where,
    ahead,
    commit,
    last_changed_by: last?.author ?? null,
    last_changed_at: last ? new Date(last.at * 1000).toISOString() : null,
    last_message: last?.message.trim().split('\n')[0] ?? null,
  };
}

/**
 * The newest commit of a line that changed the workspace. A merge that only brought in what
 * one parent already had is not a change of its own: the search goes on into that parent, so
 * the teammate who made the change is named, not whoever merged it.
 */
async function lastWorkspaceChange(context: SyncContext, workspace: string, tip: string): Promise<{ author: Author; at: number; message: string } | null> {
  const { repo } = context;
  let oid: string | undefined = tip;
  for (let depth = 0; oid && depth < LAST_CHANGE_DEPTH; depth += 1) {
    if (!(await repo.hasCommit(oid))) return null;
    const commit = await repo.readCommit(oid);
    const mine = await workspaceTree(repo, commit.tree, workspace);
    const parents = await Promise.all(
      commit.parents.map(async (p) => ({ oid: p, folder: await workspaceTree(repo, (await repo.readCommit(p)).tree, workspace) })),
    );
    const same = parents.find((p) => p.folder === mine);
    if (!same && (parents.length > 0 || mine !== null)) {
      return { author: { name: commit.author, email: commit.authorEmail }, at: commit.committedAt, message: commit.message };
    }
    oid = same?.oid;
  }
  return null;
}

/** A line to switch to or merge: the main line, a branch here, or one fetched from origin. */
async function findLine(context: SyncContext, workspace: Named, branch: string): Promise<LineTip> {
  if (branch !== context.branch) assertBranchName(branch, context.branch);
  const here = await lineTip(context, workspace.id, branch);
  if (here.commit) return here;
  const refs = branchRefs(workspace.id, branch);
  if (context.settings.remote) {
    const theirs = await context.repo.fetch({ url: context.settings.remote, branch: refs.remoteBranch, localRef: refs.local, trackingRef: refs.tracking });
    if (theirs) {
      await context.repo.writeRef(refs.local, theirs);
      return lineTip(context, workspace.id, branch);
    }
  }
  throw new SyncNotFoundError(`"${workspace.name}" has no branch "${branch}".`, { next: { action: 'list_branches', workspace: workspace.name } });
}

const describeLine = (context: SyncContext, line: string) => (line === context.branch ? `its main line` : `the branch "${line}"`);

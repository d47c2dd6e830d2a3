import { SyncError, SyncNetworkError } from '../errors.js';
import { redactUrl } from '../models/remote-url.js';
import { diffTrees } from '../git/tree-diff.js';
import type { BranchExchange } from '../models/results.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import { branchRefs, LOCAL_BRANCHES_PREFIX } from '../state/branch-state.js';
import { plural } from '../util/plural.js';
import { workspaceEnabled } from '../workspace/selection.js';
import { guardDeletions } from './delete-guard.js';
import { switchWorkspaceFolder } from './integrate.js';
import { PUSH_ATTEMPTS, pushRetryDelay } from './push-race.js';
import type { SyncContext } from './sync-context.js';
import { mergeCommit, mergeWorkspace, saveWorkspaceWork, shownLine, workspaceTree } from './workspace-lines.js';

/**
 * Brings every local workspace branch level with origin: fetch, fast-forward or merge, and
 * (for a push) upload. A branch that fails is reported; the others and the main line go on.
 */
export async function exchangeWorkspaceBranches(
  context: SyncContext,
  options: { push: boolean; strategy?: ConflictStrategy; allowDelete?: boolean },
): Promise<BranchExchange[]> {
  const url = context.settings.remote;
  if (!url) return [];
  const exchanges: BranchExchange[] = [];
  for (const ref of (await context.repo.listRefs(LOCAL_BRANCHES_PREFIX)).keys()) {
    const [workspace, branch] = ref.slice(LOCAL_BRANCHES_PREFIX.length + 1).split('/');
    if (!workspace || !branch || !workspaceEnabled(context, workspace)) continue;
    try {
      exchanges.push(await exchangeBranch(context, url, workspace, branch, options));
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      exchanges.push({ workspace_id: workspace, branch, pushed: false, files_changed: 0, error: redactUrl(error.message) });
    }
  }
  return exchanges;
}

/**
 * A branch deleted on the remote is deleted here too, so the next push does not bring it back,
 * unless this machine has work on it the remote never had, or shows it in the workspace's
 * folder: then it stays, and the exchange says why.
 */
async function followRemoteDeletion(
  context: SyncContext,
  workspace: string,
  branch: string,
  ours: string,
  lastSeen: string,
  shown: boolean,
): Promise<BranchExchange> {
  const refs = branchRefs(workspace, branch);
  const kept = (reason: string): BranchExchange => ({ workspace_id: workspace, branch, pushed: false, files_changed: 0, error: reason });
  if (shown)
    return kept(
      `it was deleted on the remote, but this computer shows it in the workspace's folder; it is kept here until the folder returns to the main line`,
    );
  const unshared = ours === lastSeen ? 0 : (await context.repo.compareHistories(ours, lastSeen)).onlyLocal.length;
  if (unshared > 0)
    return kept(
      `it was deleted on the remote, but this computer has ${plural(unshared, 'change')} on it that ${unshared === 1 ? 'was' : 'were'} never shared; it is kept here (delete it, or push it again under a new name)`,
    );
  await context.repo.deleteRef(refs.local);
  await context.repo.deleteRef(refs.tracking);
  return { workspace_id: workspace, branch, pushed: false, files_changed: 0, error: null, removed: true };
}

async function exchangeBranch(
  context: SyncContext,
  url: string,
  workspace: string,
  branch: string,
  options: { push: boolean; strategy?: ConflictStrategy; allowDelete?: boolean },
): Promise<BranchExchange> {
  const { repo } = context;
  const refs = branchRefs(workspace, branch);
  const shown = (await shownLine(context, workspace)) === branch;
  if (shown) await saveWorkspaceWork(context, workspace);
  const transport = { url, branch: refs.remoteBranch, localRef: refs.local, trackingRef: refs.tracking, basis: await repo.resolveRef(context.trackingRef) };
  let files = 0;
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt += 1) {
    if (attempt > 1) await pushRetryDelay(attempt);
    const theirs = await repo.fetch(transport);
    const ours = (await repo.resolveRef(refs.local))!;
    const lastSeen = await repo.resolveRef(refs.tracking);
    // Gone from the remote after this machine saw it there: someone deleted it on purpose.
    if (theirs === null && lastSeen) return followRemoteDeletion(context, workspace, branch, ours, lastSeen, shown);
    let next = ours;
    if (theirs && theirs !== ours) {
      const merge = await mergeWorkspace(context, workspace, ours, theirs, { strategy: options.strategy, describe: `both sides of the branch "${branch}"` });
      if (merge.fastForward) next = theirs;
      else if (!merge.alreadyMerged) next = await mergeCommit(context, merge.tree, [ours, theirs], `Merge the remote's branch "${branch}"`);
    }
    if (next !== ours) {
      const [before, after] = await Promise.all([repo.readCommit(ours), repo.readCommit(next)]);
      if (shown) {
        files += (
          await switchWorkspaceFolder(repo, workspace, before.tree, after.tree, { line: branch, updateIndex: false, move: { ref: refs.local, commit: next } })
        ).applied.length;
      } else {
        files += (await diffTrees(repo, await workspaceTree(repo, before.tree, workspace), await workspaceTree(repo, after.tree, workspace))).length;
        await repo.writeRef(refs.local, next);
      }
    }
    if (!options.push || next === theirs) return { workspace_id: workspace, branch, pushed: false, files_changed: files, error: null };
    // The delete guard holds a branch as it holds the main line: an emptied folder does not empty the remote's branch.
    if (theirs && !options.allowDelete) {
      const [before, after] = await Promise.all([repo.readCommit(theirs), repo.readCommit(next)]);
      await guardDeletions(repo, before.tree, after.tree, context.settings.max_delete_percent);
    }
    if (await repo.push(transport)) return { workspace_id: workspace, branch, pushed: true, files_changed: files, error: null };
  }
  throw new SyncNetworkError(`The branch "${branch}" kept changing on the remote while pushing (${PUSH_ATTEMPTS} attempts); push again.`);
}

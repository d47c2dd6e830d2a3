import { SyncNetworkError } from '../errors.js';
import type { PushSession } from '../git/repository.js';
import { diffTrees, type PathChange } from '../git/tree-diff.js';
import { readIndexOrCommit } from '../git/work-index.js';
import type { PushResult, ResolvedConflict, SkippedFile } from '../models/results.js';
import type { ConflictStrategy, RemoteSettings } from '../models/sync-config.js';
import { composeRootTree } from '../git/tree-compose.js';
import { guardDeletions } from './delete-guard.js';
import { teamRefs } from './team-remote.js';
import { withRootLock } from '../state/lock.js';
import { plural } from '../util/plural.js';
import { NameBook } from '../workspace/names.js';
import { countTree } from '../workspace/paths.js';
import type { AutomaticSync, Hold } from '../workspace/selection.js';
import { summarizeChanges } from './change-summary.js';
import { integrateRemote } from './integrate.js';
import { appendJournal, writeLocalState } from './journal.js';
import { commitLocalChanges } from './local-commit.js';
import { pushedPhrase, pushMessage, sharedWithNote } from './messages.js';
import { withholdFromPush } from './outgoing.js';
import type { ProgressReporter } from './progress.js';
import { PUSH_ATTEMPTS, pushRetryDelay } from './push-race.js';
import { exchangeBranches, exchangeWithTeams, journalConflicts, journalPull, maintainStorage, recover, selectRemotes, toFileChanges } from './shared-steps.js';
import { loadSyncContext, requireRemote, type SyncContext } from './sync-context.js';
import { appendAll } from '../util/arrays.js';

export interface PushOptions {
  message?: string;
  strategy?: ConflictStrategy;
  /** a sync nobody asked for (auto-sync), which carries only the workspaces auto-sync covers */
  automatic?: AutomaticSync;
  /** only this remote (origin or a team remote's name) */
  remote?: string;
  /** send deletions of whole workspaces or of more than `max_delete_percent` of the files (see delete-guard.ts) */
  allowDelete?: boolean;
}

/**
 * Commits local changes, exchanges with the team remotes, integrates whatever origin has, and
 * pushes; retries when another machine pushed first.
 */
export async function pushRoot(root: string, options: PushOptions, progress: ProgressReporter): Promise<PushResult> {
  const context = await loadSyncContext(root);
  const targets = selectRemotes(context, options.remote);
  const url = targets.origin ? requireRemote(context) : '';
  const { strategy } = options;
  return withRootLock(context.repo.gitdir, 'push', async () => {
    // The remote is asked for its head while local work is recorded: a round trip less to wait for.
    const opening = targets.origin ? context.repo.openPush({ url, branch: context.branch }) : null;
    opening?.catch(() => undefined); // its failure is reported where the push awaits it
    await recover(context);
    progress.step('commit', 'Committing local changes');
    // Deletions that would go too far stop before they are even committed: put back, they leave no trace.
    const beforeCommit = options.allowDelete ? undefined : (tree: string, withheld: Hold) => guardBeforeSending(context, targets, tree, withheld);
    const local = await commitLocalChanges(context, options.message, { automatic: options.automatic, beforeCommit });
    // Without a new commit, the branch may still hold deletions committed earlier (by a pull, say).
    if (beforeCommit && !local.commit) {
      const head = await context.repo.resolveRef(context.branchRef);
      if (head) await beforeCommit((await context.repo.readCommit(head)).tree, local.withheld);
    }
    const teams = await exchangeWithTeams(context, targets.teams, progress, { push: true, strategy, alone: !targets.origin });
    const origin = targets.origin
      ? await pushToOrigin(context, url, progress, { strategy, withheld: local.withheld, allowDelete: options.allowDelete, opening })
      : null;
    const resolved = [...teams.flatMap((t) => t.resolved), ...(origin?.resolved ?? [])];
    const pulledChanges = [...teams.flatMap((t) => t.applied), ...(origin?.applied ?? [])];
    const pulledFirst = teams.some((t) => t.applied.length > 0) || (origin?.pulledFirst ?? false);
    const pushed = origin?.pushed ?? false;
    const remoteHead = origin?.remoteHead ?? null;
    const branches = targets.origin ? await exchangeBranches(context, progress, { push: true, strategy, allowDelete: options.allowDelete }) : [];
    const head = await context.repo.resolveRef(context.branchRef);
    // Counted from the index, which matches HEAD: it includes what was merged from the remote.
    const synced = countTree((await readIndexOrCommit(context.repo, context.branchRef)).entries.keys());
    const now = new Date().toISOString();
    await writeLocalState(context.repo.gitdir, { last_sync: now });
    await maintainStorage(context);
    // Remote work merged on the way is history too: the log shows it as a pull.
    const pulled = await journalPull(context, pulledChanges, targets.origin && remoteHead === null, now, remoteHead);
    // What this push carried: the difference between origin before it and now; without
    // origin, what it sent to the team remotes.
    const carried =
      pushed && head
        ? await diffTrees(context.repo, remoteHead ? (await context.repo.readCommit(remoteHead)).tree : null, (await context.repo.readCommit(head)).tree)
        : [...new Map(teams.flatMap((t) => t.sent).map((change) => [change.path, change])).values()];
    const summary = await summarizeChanges(toFileChanges(carried), new NameBook(root));
    const toTeams = teams.filter((t) => t.pushed).map((t) => t.remote);
    if (pushed || toTeams.length > 0) {
      await appendJournal(context.repo.gitdir, {
        timestamp: now,
        operation: 'push',
        workspaces_affected: summary.workspaces,
        scenarios_affected: summary.scenarios,
        message:
          (summary.lines.length === 1
            ? pushedPhrase(summary.lines[0])
            : carried.length === 0
              ? // a merge whose files the remote already has: only history travels
                'Pushed a merge of changes already on the remote (no file differs)'
              : `Pushed ${plural(carried.length, 'changed file')} in ${plural(summary.workspaces.length, 'workspace')}`) + sharedWithNote(toTeams),
        commit: head,
      });
    }
    await journalConflicts(context, resolved);
    return {
      commit: head,
      pushed,
      synced,
      changed_workspaces: summary.workspaces,
      changed_scenarios: summary.scenarios,
      files_changed: carried.length,
      pulled_first: pulledFirst,
      resolved_conflicts: resolved,
      skipped: [...local.skipped, ...(origin?.notWritten ?? [])],
      remotes: teams.map((t) => ({ name: t.remote, pushed: t.pushed, files_changed: t.applied.length, error: t.error })),
      branches,
      message: pushMessage({ synced, pushed, toTeams, pulled, branches }),
    };
  });
}

interface OriginPush {
  pushed: boolean;
  /** origin's head before the push */
  remoteHead: string | null;
  pulledFirst: boolean;
  resolved: ResolvedConflict[];
  applied: PathChange[];
  notWritten: SkippedFile[];
}

/** Merges the remote's changes and pushes, again when another machine pushed in between. */
async function pushToOrigin(
  context: SyncContext,
  url: string,
  progress: ProgressReporter,
  options: { strategy?: ConflictStrategy; withheld: Hold; allowDelete?: boolean; opening?: Promise<PushSession | null> | null },
): Promise<OriginPush> {
  const { strategy, withheld } = options;
  const merged = { pulledFirst: false, resolved: [] as ResolvedConflict[], applied: [] as PathChange[], notWritten: [] as SkippedFile[] };
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt += 1) {
    if (attempt > 1) await pushRetryDelay(attempt);
    progress.step('fetch', 'Checking the remote for changes');
    // receive-pack's answer names the remote's head: unchanged, nothing more is asked before sending.
    const opened = attempt === 1 && options.opening ? await options.opening : await context.repo.openPush({ url, branch: context.branch });
    const remoteHead = await context.repo.fetch({ url, branch: context.branch, onProgress: progress.transfer('fetch') }, opened);
    if (remoteHead) {
      const integration = await integrateRemote(context, remoteHead, strategy);
      appendAll(merged.resolved, integration.resolved);
      appendAll(merged.applied, integration.applied);
      appendAll(merged.notWritten, integration.notWritten);
      if (integration.applied.length > 0 || integration.kind === 'merge') merged.pulledFirst = true;
    }
    await withholdFromPush(context, remoteHead, withheld);
    const head = await context.repo.resolveRef(context.branchRef);
    if (!head || head === remoteHead) return { ...merged, pushed: false, remoteHead };
    if (!options.allowDelete && remoteHead) {
      const [theirs, ours] = await Promise.all([context.repo.readCommit(remoteHead), context.repo.readCommit(head)]);
      await guardDeletions(context.repo, theirs.tree, ours.tree, context.settings.max_delete_percent);
    }
    progress.step('push', 'Uploading');
    // A session whose remote moved on since would only be refused: the push then asks afresh.
    const session = opened && opened.remoteHead === remoteHead ? opened : null;
    if (await context.repo.push({ url, branch: context.branch, onProgress: progress.transfer('push') }, session))
      return { ...merged, pushed: true, remoteHead };
  }
  throw new SyncNetworkError(`The remote kept changing while pushing (${PUSH_ATTEMPTS} attempts). Your changes are committed here.`, {
    next: { action: 'sync_again' },
  });
}

/**
 * Stops a push that would delete too much before any remote is contacted: the tree it would
 * send (this root's branch, with local work on top) against what it and each remote last agreed on (for origin, where the branch
 * and origin's tracking ref meet; for a team remote, the branch as last mirrored to it, limited
 * to the workspaces it carries).
 */
async function guardBeforeSending(
  context: SyncContext,
  targets: { origin: boolean; teams: [string, RemoteSettings][] },
  headTree: string,
  withheld: Hold,
): Promise<void> {
  const { repo } = context;
  const head = await repo.resolveRef(context.branchRef);
  if (!head) return;
  const max = context.settings.max_delete_percent;
  const treeOf = async (ref: string) => {
    const commit = await repo.resolveRef(ref);
    return commit && (await repo.hasCommit(commit)) ? (await repo.readCommit(commit)).tree : null;
  };
  if (targets.origin) {
    // Against the last state both sides agreed on: what origin gained since is not a deletion here.
    const tracking = await repo.resolveRef(context.trackingRef);
    const base = tracking && (await repo.hasCommit(tracking)) ? (await repo.compareHistories(head, tracking)).bases[0] : undefined;
    if (base) await guardDeletions(repo, (await repo.readCommit(base)).tree, headTree, max, withheld);
  }
  for (const [name, remote] of targets.teams) {
    const mirrored = await treeOf(teamRefs(name, remote.branch).mirrored);
    if (!mirrored) continue;
    const carried = (entry: string) => remote.workspaces.includes(entry);
    const [before, after] = await Promise.all([composeRootTree(repo, null, mirrored, carried), composeRootTree(repo, null, headTree, carried)]);
    await guardDeletions(repo, before, after, max, withheld);
  }
}

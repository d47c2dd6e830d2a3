import type { PullResult } from '../models/results.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import { withRootLock } from '../state/lock.js';
import { integrateRemote, type Integration } from './integrate.js';
import { writeLocalState } from './journal.js';
import { commitLocalChanges } from './local-commit.js';
import { pullResultMessage } from './messages.js';
import type { ProgressReporter } from './progress.js';
import { exchangeBranches, exchangeWithTeams, journalConflicts, journalPull, maintainStorage, recover, selectRemotes } from './shared-steps.js';
import { loadSyncContext, requireRemote, type SyncContext } from './sync-context.js';
import { appendAll } from '../util/arrays.js';

export interface PullOptions {
  strategy?: ConflictStrategy;
  /** only this remote (origin or a team remote's name) */
  remote?: string;
}

/** Fetches and merges the remote's changes, committing local work first so nothing is overwritten. */
export async function pullRoot(root: string, options: PullOptions, progress: ProgressReporter): Promise<PullResult> {
  const context = await loadSyncContext(root);
  const targets = selectRemotes(context, options.remote);
  if (targets.origin) requireRemote(context);
  return withRootLock(context.repo.gitdir, 'pull', () => pullLocked(context, options, progress));
}

/** The pull itself, for callers that already hold the root's lock (a conflict's last decision). */
export async function pullLocked(context: SyncContext, options: PullOptions, progress: ProgressReporter): Promise<PullResult> {
  const { strategy } = options;
  const targets = selectRemotes(context, options.remote);
  // The remote is asked for its head while local work is recorded: a round trip less to wait for.
  const opening = targets.origin ? context.repo.openFetch({ url: requireRemote(context), branch: context.branch }) : null;
  opening?.catch(() => undefined); // its failure is reported where the pull awaits it
  await recover(context);
  progress.step('commit', 'Committing local changes');
  const local = await commitLocalChanges(context);
  const teams = await exchangeWithTeams(context, targets.teams, progress, { push: false, strategy, alone: !targets.origin });
  const resolved = teams.flatMap((t) => t.resolved);
  const applied = teams.flatMap((t) => t.applied);
  let remoteHead: string | null = null;
  let integration: Integration | null = null;
  if (targets.origin) {
    progress.step('fetch', 'Downloading changes');
    remoteHead = await context.repo.fetch({ url: requireRemote(context), branch: context.branch, onProgress: progress.transfer('fetch') }, await opening);
    if (remoteHead) {
      progress.step('merge', 'Merging');
      integration = await integrateRemote(context, remoteHead, strategy);
      appendAll(resolved, integration.resolved);
      appendAll(applied, integration.applied);
    }
  }
  const branches = targets.origin ? await exchangeBranches(context, progress, { push: false, strategy }) : [];
  const now = new Date().toISOString();
  await writeLocalState(context.repo.gitdir, { last_sync: now });
  await maintainStorage(context);
  const summary = await journalPull(context, applied, targets.origin && remoteHead === null && teams.length === 0, now, integration?.head ?? null);
  await journalConflicts(context, resolved);
  return {
    commit: integration?.head ?? (await context.repo.resolveRef(context.branchRef)),
    updated_workspaces: summary.workspaces,
    new_scenarios: summary.addedScenarios,
    new_runs: summary.addedRuns,
    files_changed: applied.length,
    committed_local_changes: local.commit !== null,
    resolved_conflicts: resolved,
    skipped: [...local.skipped, ...(integration?.notWritten ?? [])],
    remotes: teams.map((t) => ({ name: t.remote, pushed: false, files_changed: t.applied.length, error: t.error })),
    branches,
    message: pullResultMessage(summary.message, local.commit !== null, branches),
  };
}

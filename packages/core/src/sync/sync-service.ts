import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseSettings, readSettings, settingsPath, SETTINGS_FILE, writeSettings } from '../config/settings-file.js';
import { SyncBranchChangeError, SyncConfigError, SyncError, SyncNetworkError, SyncNotInitializedError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import { redactUrl } from '../models/remote-url.js';
import { GitRepository, type TransferProgress } from '../git/repository.js';
import { diffTrees, fileAtPath, listTreeFiles, type PathChange } from '../git/tree-diff.js';
import { GITIGNORE_FILE, readGitignore, writeMergedGitignore } from '../ignore/gitignore-template.js';
import { compileSyncRules } from '../ignore/sync-rules.js';
import type { DisconnectResult, InitResult, PullResult, PushResult, RemoteList, ResolvedConflict, SkippedFile, WorkspaceSelection } from '../models/results.js';
import { SyncConfig, type ConflictStrategy, type RemoteSettings } from '../models/sync-config.js';
import type { SyncLogEntry } from '../models/sync-log.js';
import type { SyncStatus, WorkspaceSyncState } from '../models/sync-status.js';
import type { ConflictDetail, ConflictList, ConflictResolution, RestoreResult } from '../models/conflicts.js';
import { scanSyncedFiles } from '../workspace/file-scan.js';
import { NameBook } from '../workspace/names.js';
import type { AutomaticSync, Hold } from '../workspace/selection.js';
import { countTree, placeOf } from '../workspace/paths.js';
import { summarizeChanges } from './change-summary.js';
import { integrateRemote, resumeCheckout, type Integration } from './integrate.js';
import { withholdFromPush } from './outgoing.js';
import { branchNameProblem } from '../models/branch-name.js';
import type { SyncPhase, SyncProgress } from '../models/operations.js';
import { appendJournal, readJournal, readLocalState, writeLocalState } from './journal.js';
import { readIndexOrCommit } from '../git/work-index.js';
import { commitLocalChanges } from './local-commit.js';
import { withRootLock } from '../state/lock.js';
import { exchangeWithTeamRemote, type TeamExchange } from './team-remote.js';
import { exchangeWorkspaceBranches } from './branch-exchange.js';
import { setRootAuthor } from './identity.js';
import { assertSyncRepository } from './remote-check.js';
import { PUSH_ATTEMPTS, pushRetryDelay } from './push-race.js';
import { computeStatus, localWork, type LocalWork } from './status.js';
import { listConflicts, recordDecision, restoreBackup, showConflict } from './conflicts.js';
import { readOpenConflicts } from '../conflict/open-conflicts.js';
import { loadSyncContext, requireRemote, type SyncContext } from './sync-context.js';
import { addRemote, listRemotes, removeRemote } from './remotes.js';
import { checkSettingsChange, setWorkspaceSync, updateSettings } from './settings-edits.js';
import { pulledPhrase, pullMessage, pushedPhrase, pushMessage, removedBranchesNote, sharedWithNote } from './messages.js';
import { plural } from '../util/plural.js';
import { adoptPlanAlignRoot } from './adopt-planalign.js';
import { readPlanAlignSettingsText } from '../config/planalign-legacy.js';
import { takeNotices } from './notices.js';

export interface SyncServiceOptions {
  onProgress?: (progress: SyncProgress) => void;
}

/**
 * The sync operations of one workspaces root, as the CLI, the API and other programs use them.
 * Every operation that writes holds the root's lock.
 */
export class SyncService {
  constructor(
    readonly root: string,
    private readonly options: SyncServiceOptions = {},
  ) {}

  private progress(phase: SyncPhase, message: string, extra: Partial<SyncProgress> = {}): void {
    this.options.onProgress?.({ phase, message, ...extra });
  }

  private transferProgress(phase: SyncPhase) {
    return (p: TransferProgress) => this.progress(phase, p.phase, { loaded: p.loaded, total: p.total });
  }

  /** Creates or updates this root's sync set-up and, when the remote already holds workspaces, brings them here. */
  async init(
    options: {
      remote?: string | null;
      branch?: string;
      author?: { name: string; email?: string };
      /** a root already syncing another branch moves to this one (it splits this computer from the others) */
      confirmBranchChange?: boolean;
    } = {},
  ): Promise<InitResult> {
    if (options.remote) assertRemoteUrlIsSafe(options.remote, '--remote');
    // A full ref name means the branch it names, as it does for git.
    if (options.branch?.startsWith('refs/heads/')) options = { ...options, branch: options.branch.slice('refs/heads/'.length) };
    if (options.branch !== undefined) {
      const problem = branchNameProblem(options.branch);
      if (problem) throw new SyncConfigError(`--branch "${options.branch}" is not a branch name git accepts: ${problem}. Use a name such as "main".`);
    }
    await fsp.mkdir(this.root, { recursive: true });
    const repo = new GitRepository(this.root);
    const createdRepository = !(await repo.exists());
    if (!createdRepository) await repo.assertSupportedFormat();
    await adoptPlanAlignRoot(this.root);
    const existing = await readSettings(this.root);
    let branch = options.branch ?? existing?.sync.branch ?? 'main';
    const remote = options.remote ?? existing?.sync.remote ?? null;
    if (existing?.sync.remote && remote && branch !== existing.sync.branch && !options.confirmBranchChange) {
      await this.refuseBranchChange(repo, remote, existing.sync.branch, branch);
    }
    if (createdRepository) await repo.init(branch);
    // Before the first commit, so that it already carries the name people chose.
    if (options.author) await setRootAuthor(repo, options.author);
    return withRootLock(repo.gitdir, 'init', async () => {
      await resumeCheckout(repo);
      if (!(await repo.resolveRef(`refs/heads/${branch}`))) await repo.setHeadBranch(branch);
      let remoteHead: string | null = null;
      let remoteTree: string | null = null;
      let followed = '';
      if (remote) {
        this.progress('fetch', 'Looking for workspaces on the remote');
        remoteHead = await repo.fetch({ url: remote, branch, onProgress: this.transferProgress('fetch') });
        // A machine joining a remote that has no "main" but one other branch (PlanAlign's own sync
        // leaves its work on "master") follows that branch, unless a branch was asked for.
        if (!remoteHead && options.branch === undefined && !existing && !(await repo.resolveRef(`refs/heads/${branch}`))) {
          const only = await onlyRemoteBranch(repo, remote);
          if (only) {
            followed = ` It syncs the branch "${only}", the one the remote has.`;
            branch = only;
            await repo.setHeadBranch(branch);
            remoteHead = await repo.fetch({ url: remote, branch, onProgress: this.transferProgress('fetch') });
          }
        }
        remoteTree = remoteHead ? (await repo.readCommit(remoteHead)).tree : null;
        if (remoteTree) await assertSyncRepository(repo, remoteTree, remote, branch);
        await repo.setRemote(remote);
      } else if (await repo.remoteUrl()) {
        await repo.removeRemote();
      }
      // A second machine adopts the settings and ignore rules already on the remote.
      const remoteSettings = await this.readRemoteSettings(repo, remoteTree);
      const base = existing?.sync ?? remoteSettings ?? SyncConfig.parse({});
      await writeSettings(this.root, { ...base, enabled: true, remote, branch });
      if (remoteTree && (await readGitignore(this.root)) === null) {
        const rules = await fileAtPath(repo, remoteTree, GITIGNORE_FILE);
        if (rules) await writeFileAtomic(path.join(this.root, GITIGNORE_FILE), rules);
      }
      await writeMergedGitignore(this.root);

      const context = await loadSyncContext(this.root);
      this.progress('commit', 'Recording local workspaces');
      const local = await commitLocalChanges(context, 'Start syncing this workspaces root');
      let integration: Integration | null = null;
      if (remoteHead) {
        this.progress('merge', 'Bringing down workspaces from the remote');
        integration = await integrateRemote(context, remoteHead);
        await writeLocalState(repo.gitdir, { last_sync: new Date().toISOString() });
        // A remote PlanAlign's own sync wrote to brings its flat settings and its log here: taken over at once.
        await adoptPlanAlignRoot(this.root, { lockHeld: true });
      }
      const fromRemote = remoteTree ? countTree((await listTreeFiles(repo, remoteTree)).keys()) : null;
      await appendJournal(repo.gitdir, {
        timestamp: new Date().toISOString(),
        operation: 'init',
        workspaces_affected: local.summary.workspaces,
        scenarios_affected: [],
        message: remote ? `Initialized sync with ${remote}` : 'Initialized sync (no remote yet)',
        commit: integration?.head ?? local.commit,
      });
      const broughtDown =
        fromRemote && fromRemote.workspaces > 0
          ? ` Brought down ${plural(fromRemote.workspaces, 'workspace')} (${plural(fromRemote.scenarios, 'scenario')}, ${plural(fromRemote.runs, 'run')}) from the remote.`
          : '';
      return {
        root: this.root,
        remote_url: remote,
        branch,
        created_repository: createdRepository,
        from_remote: fromRemote,
        message: `Sync initialized.${broughtDown}${followed} Use 'planalign sync push' to upload workspaces.`,
      };
    });
  }

  private async readRemoteSettings(repo: GitRepository, remoteTree: string | null): Promise<SyncConfig | null> {
    if (!remoteTree) return null;
    const content = await fileAtPath(repo, remoteTree, SETTINGS_FILE);
    if (!content) return null;
    const text = Buffer.from(content).toString('utf8');
    try {
      return parseSettings(text, `${SETTINGS_FILE} on the remote`).sync;
    } catch {
      // Written by PlanAlign's own sync: its settings, without the token.
      return readPlanAlignSettingsText(text)?.sync ?? null;
    }
  }

  /**
   * Commits local changes, exchanges with the team remotes, integrates whatever origin has, and
   * pushes; retries when another machine pushed first. `automatic`: a sync nobody asked for
   * (auto-sync), which carries only the workspaces auto-sync covers.
   */
  async push(options: { message?: string; strategy?: ConflictStrategy; automatic?: AutomaticSync; remote?: string } = {}): Promise<PushResult> {
    const context = await loadSyncContext(this.root);
    const targets = selectRemotes(context, options.remote);
    const url = targets.origin ? requireRemote(context) : '';
    const { strategy } = options;
    return withRootLock(context.repo.gitdir, 'push', async () => {
      await this.recover(context);
      this.progress('commit', 'Committing local changes');
      const local = await commitLocalChanges(context, options.message, { automatic: options.automatic });
      const teams = await this.exchangeWithTeams(context, targets.teams, { push: true, strategy, alone: !targets.origin });
      const origin = targets.origin ? await this.pushToOrigin(context, url, strategy, local.withheld) : null;
      const resolved = [...teams.flatMap((t) => t.resolved), ...(origin?.resolved ?? [])];
      const pulledChanges = [...teams.flatMap((t) => t.applied), ...(origin?.applied ?? [])];
      const notWritten = origin?.notWritten ?? [];
      const pulledFirst = teams.some((t) => t.applied.length > 0) || (origin?.pulledFirst ?? false);
      const pushed = origin?.pushed ?? false;
      const remoteHead = origin?.remoteHead ?? null;
      const branches = targets.origin ? await this.exchangeBranches(context, { push: true, strategy }) : [];
      const head = await context.repo.resolveRef(context.branchRef);
      // Counted from the index, which matches HEAD: it includes what was merged from the remote.
      const synced = countTree((await readIndexOrCommit(context.repo, context.branchRef)).entries.keys());
      const now = new Date().toISOString();
      await writeLocalState(context.repo.gitdir, { last_sync: now });
      await this.maintainStorage(context);
      // Remote work merged on the way is history too: the log shows it as a pull.
      const pulled = await this.journalPull(context, pulledChanges, targets.origin && remoteHead === null, now, remoteHead);
      // What this push carried: the difference between origin before it and now; without
      // origin, what it sent to the team remotes.
      const carried =
        pushed && head
          ? await diffTrees(context.repo, remoteHead ? (await context.repo.readCommit(remoteHead)).tree : null, (await context.repo.readCommit(head)).tree)
          : [...new Map(teams.flatMap((t) => t.sent).map((change) => [change.path, change])).values()];
      const summary = await summarizeChanges(toFileChanges(carried), new NameBook(this.root));
      const toTeams = teams.filter((t) => t.pushed).map((t) => t.remote);
      const teamNote = sharedWithNote(toTeams);
      const message = pushMessage({ synced, pushed, toTeams, pulled, branches });
      if (pushed || toTeams.length > 0) {
        await appendJournal(context.repo.gitdir, {
          timestamp: now,
          operation: 'push',
          workspaces_affected: summary.workspaces,
          scenarios_affected: summary.scenarios,
          message:
            (summary.lines.length === 1
              ? pushedPhrase(summary.lines[0])
              : `Pushed ${plural(carried.length, 'changed file')} in ${plural(summary.workspaces.length, 'workspace')}`) + teamNote,
          commit: head,
        });
      }
      await this.journalConflicts(context, resolved);
      return {
        commit: head,
        pushed,
        synced,
        changed_workspaces: summary.workspaces,
        changed_scenarios: summary.scenarios,
        files_changed: carried.length,
        pulled_first: pulledFirst,
        resolved_conflicts: resolved,
        skipped: [...local.skipped, ...notWritten],
        remotes: teams.map((t) => ({ name: t.remote, pushed: t.pushed, files_changed: t.applied.length, error: t.error })),
        branches,
        message,
      };
    });
  }

  /** Merges the remote's changes and pushes, again when another machine pushed in between. */
  private async pushToOrigin(
    context: SyncContext,
    url: string,
    strategy: ConflictStrategy | undefined,
    withheld: Hold,
  ): Promise<{
    pushed: boolean;
    remoteHead: string | null;
    pulledFirst: boolean;
    resolved: ResolvedConflict[];
    applied: PathChange[];
    notWritten: SkippedFile[];
  }> {
    const merged = { pulledFirst: false, resolved: [] as ResolvedConflict[], applied: [] as PathChange[], notWritten: [] as SkippedFile[] };
    for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt += 1) {
      if (attempt > 1) await pushRetryDelay(attempt);
      this.progress('fetch', 'Checking the remote for changes');
      const remoteHead = await context.repo.fetch({ url, branch: context.branch, onProgress: this.transferProgress('fetch') });
      if (remoteHead) {
        const integration = await integrateRemote(context, remoteHead, strategy);
        merged.resolved.push(...integration.resolved);
        merged.applied.push(...integration.applied);
        merged.notWritten.push(...integration.notWritten);
        if (integration.applied.length > 0 || integration.kind === 'merge') merged.pulledFirst = true;
      }
      await withholdFromPush(context, remoteHead, withheld);
      const head = await context.repo.resolveRef(context.branchRef);
      if (!head || head === remoteHead) return { ...merged, pushed: false, remoteHead };
      this.progress('push', 'Uploading');
      if (await context.repo.push({ url, branch: context.branch, onProgress: this.transferProgress('push') })) return { ...merged, pushed: true, remoteHead };
    }
    throw new SyncNetworkError(
      `The remote kept changing while pushing (${PUSH_ATTEMPTS} attempts). Your changes are committed here; run 'planalign sync push' again.`,
    );
  }

  /** Exchanges with each team remote in turn; what they bring lands in this root's branch. */
  private async exchangeWithTeams(
    context: SyncContext,
    teams: [string, RemoteSettings][],
    /** `alone`: this remote is all the operation talks to, so its failure is the operation's */
    options: { push: boolean; strategy?: ConflictStrategy; alone?: boolean },
  ): Promise<TeamExchange[]> {
    const exchanges: TeamExchange[] = [];
    for (const [name, remote] of teams) {
      this.progress(options.push ? 'push' : 'fetch', `Syncing with "${name}"`);
      try {
        const exchange = await exchangeWithTeamRemote(context, name, remote, {
          ...options,
          onProgress: this.transferProgress(options.push ? 'push' : 'fetch'),
        });
        exchanges.push(exchange);
      } catch (error) {
        // One team remote that is down, refuses us or conflicts must not keep the others
        // (and origin) from syncing: it is reported, and tried again next time.
        if (!(error instanceof SyncError) || options.alone) throw error;
        exchanges.push({ remote: name, applied: [], pushed: false, sent: [], resolved: [], error: redactUrl(error.message) });
      }
    }
    return exchanges;
  }

  /** Brings the workspace branches level with origin, after its main line. */
  private async exchangeBranches(context: SyncContext, options: { push: boolean; strategy?: ConflictStrategy }) {
    this.progress(options.push ? 'push' : 'fetch', 'Syncing workspace branches');
    return exchangeWorkspaceBranches(context, options);
  }

  /** Fetches and merges the remote's changes, committing local work first so nothing is overwritten. */
  async pull(options: { strategy?: ConflictStrategy; remote?: string } = {}): Promise<PullResult> {
    const context = await loadSyncContext(this.root);
    const targets = selectRemotes(context, options.remote);
    const url = targets.origin ? requireRemote(context) : '';
    return withRootLock(context.repo.gitdir, 'pull', () => this.pullLocked(context, url, options.strategy, targets));
  }

  private async pullLocked(context: SyncContext, url: string, strategy?: ConflictStrategy, targets = selectRemotes(context)): Promise<PullResult> {
    await this.recover(context);
    this.progress('commit', 'Committing local changes');
    const local = await commitLocalChanges(context);
    const teams = await this.exchangeWithTeams(context, targets.teams, { push: false, strategy, alone: !targets.origin });
    const resolved = teams.flatMap((t) => t.resolved);
    const applied = teams.flatMap((t) => t.applied);
    let remoteHead: string | null = null;
    let integration: Integration | null = null;
    if (targets.origin) {
      this.progress('fetch', 'Downloading changes');
      remoteHead = await context.repo.fetch({ url, branch: context.branch, onProgress: this.transferProgress('fetch') });
      if (remoteHead) {
        this.progress('merge', 'Merging');
        integration = await integrateRemote(context, remoteHead, strategy);
        resolved.push(...integration.resolved);
        applied.push(...integration.applied);
      }
    }
    const branches = targets.origin ? await this.exchangeBranches(context, { push: false, strategy }) : [];
    const now = new Date().toISOString();
    await writeLocalState(context.repo.gitdir, { last_sync: now });
    await this.maintainStorage(context);
    const summary = await this.journalPull(context, applied, targets.origin && remoteHead === null && teams.length === 0, now, integration?.head ?? null);
    await this.journalConflicts(context, resolved);
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
      message:
        summary.message.replace(/\.$/, '') +
        (local.commit ? "; this computer's own changes were recorded, and go with the next push" : '') +
        branches
          .filter((b) => b.files_changed > 0)
          .map((b) => `; branch "${b.branch}": ${plural(b.files_changed, 'file')} updated`)
          .join('') +
        branches
          .filter((b) => b.error)
          .map((b) => `; branch "${b.branch}" not synced: ${b.error}`)
          .join('') +
        removedBranchesNote(branches),
    };
  }

  /**
   * Stops a change of branch on a root that already syncs: every later push would go to the
   * new branch, and this computer would stop seeing the others' work without a word.
   */
  private async refuseBranchChange(repo: GitRepository, remote: string, current: string, requested: string): Promise<never> {
    const remoteBranches = await repo
      .listRemoteRefs(remote, 'refs/heads')
      .then((refs) => [...refs.keys()].map((ref) => ref.slice('refs/heads/'.length)).sort())
      .catch(() => [] as string[]);
    const sameButCase = remoteBranches.find((name) => name !== requested && name.toLowerCase() === requested.toLowerCase());
    const others = remoteBranches.length > 0 ? `The remote has ${remoteBranches.map((name) => `"${name}"`).join(', ')}.` : '';
    throw new SyncBranchChangeError(
      `This root syncs the branch "${current}" of ${redactUrl(remote)}, where the other computers' work is. ${others} ` +
        `Moving to "${requested}" would send this computer's work there and stop bringing theirs here` +
        `${sameButCase ? ` (did you mean "${sameButCase}"? branch names are case-sensitive)` : ''}. Nothing was changed; confirm the change to make it.`,
      current,
      requested,
      remoteBranches,
    );
  }

  /**
   * Includes a workspace in sync or keeps it out, on this computer or (`everywhere`) on every
   * computer (see settings-edits.ts).
   */
  setWorkspaceSync(workspace: string, enabled: boolean, options: { everywhere?: boolean } = {}): Promise<WorkspaceSelection> {
    return setWorkspaceSync(this.root, workspace, enabled, options);
  }

  /** Checks settings to change and says whether applying them connects to a remote; nothing is written. */
  checkSettingsChange(update: Record<string, unknown>): Promise<{ next: SyncConfig; connects: boolean }> {
    return checkSettingsChange(this.root, update);
  }

  /**
   * Changes the settings given and keeps the others. A new remote or branch connects through
   * `init` (which checks the address and asks before moving a root to another branch); the rest
   * is written under the root's lock, or as a plain file before sync is set up.
   */
  async configure(update: Record<string, unknown>, options: { confirmBranchChange?: boolean } = {}): Promise<SyncConfig> {
    const { next, connects } = await checkSettingsChange(this.root, update);
    const current = (await readSettings(this.root))?.sync ?? SyncConfig.parse({});
    if (connects) {
      await writeSettings(this.root, { ...next, remote: current.remote, branch: current.branch });
      await this.init({ remote: next.remote!, branch: next.branch, confirmBranchChange: options.confirmBranchChange });
    } else if (current.remote) {
      await updateSettings(this.root, next);
    } else {
      await writeSettings(this.root, next);
    }
    return (await readSettings(this.root))!.sync;
  }

  /** Writes settings other than the remote and branch, under the root's lock. */
  updateSettings(next: SyncConfig): Promise<void> {
    return updateSettings(this.root, next);
  }

  /** Origin and the team remotes, with the workspaces each carries. */
  listRemotes(message = ''): Promise<RemoteList> {
    return listRemotes(this.root, message);
  }

  /** Adds (or changes) a team remote carrying the given workspaces (names or ids). */
  addRemote(name: string, url: string, options: { branch?: string; workspaces?: string[] } = {}): Promise<RemoteList> {
    return addRemote(this.root, name, url, options);
  }

  /** Removes a team remote from this root; its repository and what it holds are left alone. */
  removeRemote(name: string): Promise<RemoteList> {
    return removeRemote(this.root, name);
  }

  /** Open conflicts waiting for a decision, and past ones kept in backups. */
  async conflicts(): Promise<ConflictList> {
    return listConflicts(await loadSyncContext(this.root));
  }

  async showConflict(filePath: string): Promise<ConflictDetail> {
    return showConflict(await loadSyncContext(this.root), filePath);
  }

  /**
   * Settles one file: `local` or `remote` for an open conflict, or `backup:<id>` to put a kept
   * version in place. Once every open conflict has a decision, the pull they stopped runs.
   */
  async resolveConflict(filePath: string, use: string): Promise<ConflictResolution> {
    const decided = await this.decideConflict(filePath, use);
    if (!decided.pull) return decided;
    // The last decision made the merge: sending it is what makes the choice the version every
    // computer has, rather than one this computer alone holds until someone syncs.
    try {
      const pushed = await this.push();
      return { ...decided, shared: true, message: `Resolved, and sent to the other computers. ${pushed.message}` };
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      return {
        ...decided,
        message: `Resolved on this computer; the other computers get the choice with the next sync (sending it now failed: ${redactUrl(error.message)})`,
      };
    }
  }

  private async decideConflict(filePath: string, use: string): Promise<ConflictResolution> {
    const context = await loadSyncContext(this.root);
    return withRootLock(context.repo.gitdir, 'resolve', async () => {
      const backupId = use.startsWith('backup:') ? use.slice('backup:'.length) : null;
      if (backupId === null && use !== 'local' && use !== 'remote') {
        throw new SyncConfigError(`--use "${use}" is not a choice: use local, remote or backup:<id> (ids from 'planalign sync conflicts').`);
      }
      if (backupId !== null) {
        const restored = await restoreBackup(context, backupId);
        if (restored.path !== filePath) {
          throw new SyncConfigError(`Backup ${backupId} holds ${restored.path}, not ${filePath}.`);
        }
      }
      const decided = await recordDecision(context, filePath, backupId !== null ? 'local' : (use as 'local' | 'remote'));
      if (!decided && backupId === null) {
        throw new SyncConfigError(`${filePath} has no open conflict. Run 'planalign sync conflicts' to list them.`);
      }
      const open = await readOpenConflicts(context.repo.gitdir);
      const pending = (open?.files ?? []).filter((f) => !f.decision).map((f) => f.path);
      let pull: PullResult | null = null;
      if (open && pending.length === 0 && context.settings.remote) {
        pull = await this.pullLocked(context, context.settings.remote);
      }
      const message = pull
        ? `Resolved. ${pull.message}`
        : pending.length > 0
          ? `Recorded ${use} for ${filePath}; ${plural(pending.length, 'file')} still to decide.`
          : `Put backup ${backupId} in place for ${filePath}; push to share it.`;
      return { path: filePath, use, pending, pull, shared: false, message };
    });
  }

  /** Puts a kept version back; the next push carries it. */
  async restore(backupId: string): Promise<RestoreResult> {
    const context = await loadSyncContext(this.root);
    return withRootLock(context.repo.gitdir, 'restore', () => restoreBackup(context, backupId));
  }

  async status(options: { offline?: boolean } = {}): Promise<SyncStatus> {
    let context: SyncContext;
    try {
      context = await loadSyncContext(this.root);
    } catch (error) {
      if (error instanceof SyncNotInitializedError) return this.uninitializedStatus();
      throw error;
    }
    return computeStatus(context, options);
  }

  /** Whether a push would send anything. */
  async hasLocalWork(): Promise<boolean> {
    return (await this.localWork()).pending;
  }

  /** Whether a push would send anything, and which files wait to be complete (auto-sync asks this after each change). */
  async localWork(): Promise<LocalWork> {
    return localWork(await loadSyncContext(this.root));
  }

  /**
   * What the person must be told once, then forgotten: that this root, set up by PlanAlign's own
   * sync, was taken over (and a token it had committed must be revoked).
   */
  async takeNotices(): Promise<string[]> {
    return takeNotices(new GitRepository(this.root).gitdir);
  }

  async log(options: { limit?: number } = {}): Promise<SyncLogEntry[]> {
    const context = await loadSyncContext(this.root);
    return readJournal(context.repo.gitdir, options.limit ?? 20);
  }

  /** Stops syncing this root: forgets the remote and the settings, keeps every workspace file and the local history. */
  async disconnect(): Promise<DisconnectResult> {
    const context = await loadSyncContext(this.root);
    return withRootLock(context.repo.gitdir, 'disconnect', async () => {
      const removed = context.settings.remote;
      if (await context.repo.remoteUrl()) await context.repo.removeRemote();
      await context.repo.deleteRef(context.trackingRef);
      await fsp.rm(settingsPath(this.root), { force: true });
      return {
        root: this.root,
        removed_remote: removed,
        message: `Sync disconnected${removed ? ` from ${removed}` : ''}. Every workspace file is still in ${this.root}.`,
      };
    });
  }

  /**
   * Consolidates packs once fetches and commits have piled them up (see pack-maintenance.ts).
   * The sync itself has succeeded by then, and old packs go only once the new one is in
   * place, so a failure here leaves storage as it was and is not the sync's failure.
   */
  private async maintainStorage(context: SyncContext): Promise<void> {
    await context.repo.maintain().catch(() => null);
  }

  /** Finishes or undoes what a killed run can leave behind: a half-done checkout, a tracking ref naming a commit that never arrived. */
  private async recover(context: SyncContext): Promise<void> {
    await resumeCheckout(context.repo);
    const tracking = await context.repo.resolveRef(context.trackingRef);
    if (tracking && !(await context.repo.hasCommit(tracking))) await context.repo.deleteRef(context.trackingRef);
  }

  /** Records remote changes brought here as a `pull` entry; returns their summary and the pull's message. */
  private async journalPull(context: SyncContext, applied: PathChange[], remoteEmpty: boolean, timestamp: string, commit: string | null) {
    const summary = await summarizeChanges(toFileChanges(applied), new NameBook(this.root));
    const message = pullMessage(summary, remoteEmpty, applied);
    if (applied.length > 0) {
      await appendJournal(context.repo.gitdir, {
        timestamp,
        operation: 'pull',
        workspaces_affected: summary.workspaces,
        scenarios_affected: summary.scenarios,
        message: summary.lines.length === 1 ? pulledPhrase(summary.lines[0]) : message,
        commit,
      });
    }
    return { ...summary, message };
  }

  private async journalConflicts(context: SyncContext, resolved: PushResult['resolved_conflicts']): Promise<void> {
    if (resolved.length === 0) return;
    const workspaces = [...new Set(resolved.map((r) => placeOf(r.path).workspaceId).filter((w): w is string => !!w))];
    const names = new NameBook(this.root);
    await appendJournal(context.repo.gitdir, {
      timestamp: new Date().toISOString(),
      operation: 'conflict',
      workspaces_affected: await Promise.all(workspaces.map((w) => names.workspaceName(w))),
      scenarios_affected: [],
      message: resolved
        .map((r) =>
          r.winner === 'merged'
            ? `${r.path}: merged, edits from both machines kept`
            : `${r.path}: ${r.winner} version kept (${r.strategy})${r.backup ? `, other kept in backup ${r.backup}` : ''}`,
        )
        .join('; '),
      commit: null,
    });
  }

  private async uninitializedStatus(): Promise<SyncStatus> {
    const rules = compileSyncRules(await readGitignore(this.root).catch(() => null));
    const scan = await scanSyncedFiles(this.root, rules, 10 * 1024 * 1024).catch(() => ({ files: new Map(), skipped: [], covers: () => false }));
    const paths = [...scan.files.keys()];
    const names = new NameBook(this.root);
    const workspaces: WorkspaceSyncState[] = [];
    for (const p of paths) {
      const place = placeOf(p);
      if (place.file !== 'workspace') continue;
      const id = place.workspaceId!;
      const inside = paths.filter((q) => q.startsWith(`${id}/`));
      workspaces.push({
        id,
        name: await names.workspaceName(id),
        state: 'local_only',
        changes: 0,
        pull_available: false,
        sync_enabled: true,
        excluded_on: null,
        scenario_count: inside.filter((q) => placeOf(q).file === 'scenario').length,
        run_count: inside.filter((q) => placeOf(q).file === 'run').length,
        last_run_at: null,
        problems: [],
        missing_results: 0,
        branch: null,
      });
    }
    const state = await readLocalState(`${this.root}/.git`);
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
      local: countTree(paths),
      remote: null,
      workspaces,
      missing_results: 0,
      warnings: [],
    };
  }
}

function toFileChanges(applied: PathChange[]) {
  return applied.map((c) => ({ path: c.path, kind: c.before === null ? ('added' as const) : c.after === null ? ('deleted' as const) : ('modified' as const) }));
}

/** The remote's one branch, workspace branches aside; null when it has none or several. */
async function onlyRemoteBranch(repo: GitRepository, url: string): Promise<string | null> {
  const heads = [...(await repo.listRemoteRefs(url, 'refs/heads')).keys()]
    .map((ref) => ref.slice('refs/heads/'.length))
    .filter((name) => !name.startsWith('workspaces/'));
  return heads.length === 1 ? heads[0] : null;
}

/** The remotes an operation talks to: all (origin and every team remote), or the one named. */
function selectRemotes(context: SyncContext, only?: string): { origin: boolean; teams: [string, RemoteSettings][] } {
  const teams = Object.entries(context.settings.remotes);
  // A root that only shares through team remotes (say, after an import) syncs with those.
  if (!only) return { origin: !!context.settings.remote || teams.length === 0, teams };
  if (only === 'origin') return { origin: true, teams: [] };
  const team = teams.find(([name]) => name === only);
  if (!team) {
    throw new SyncConfigError(
      `--remote "${only}" is not a remote of this root: use origin${teams.map(([name]) => `, ${name}`).join('')} (see 'planalign sync remote list').`,
    );
  }
  return { origin: false, teams: [team] };
}

import { GitRepository } from '../git/repository.js';
import { writeSettings } from '../config/settings-file.js';
import { SyncNotInitializedError } from '../errors.js';
import type { ArchiveList, ArchiveResult } from '../models/archive.js';
import type { ConflictDetail, ConflictList, ConflictResolution, ConflictSide, PutBackResult, RestoreResult } from '../models/conflicts.js';
import type { SyncProgress } from '../models/operations.js';
import type { DoctorReport } from '../models/doctor.js';
import type { DisconnectResult, InitResult, PullResult, PushResult, RemoteList, WorkspaceSelection } from '../models/results.js';
import { SyncConfig, type ConflictStrategy } from '../models/sync-config.js';
import type { SyncLogEntry } from '../models/sync-log.js';
import type { SyncStatus } from '../models/sync-status.js';
import { withRootLock } from '../state/lock.js';
import { archiveWorkspace, listArchived, unarchiveWorkspace } from './archive.js';
import { listConflicts, restoreBackup, showConflict } from './conflicts.js';
import { diagnoseRoot, type DoctorOptions } from './doctor.js';
import { initRoot, type InitOptions } from './init.js';
import { authStatus, login, logout } from './login.js';
import type { AuthState } from '../models/auth.js';
import { readJournal } from './journal.js';
import { takeNotices } from './notices.js';
import { ProgressReporter } from './progress.js';
import { pullRoot, type PullOptions } from './pull.js';
import { previewPull } from './preview.js';
import type { PullPreview } from '../models/preview.js';
import { pushRoot, type PushOptions } from './push.js';
import { putBackRemovedFiles } from './put-back.js';
import { addRemote, disconnectRoot, listRemotes, removeRemote } from './remotes.js';
import { resolveConflict } from './resolve.js';
import { checkSettingsChange, setWorkspaceSync, updateSettings } from './settings-edits.js';
import { computeStatus, localWork, uninitializedStatus, type LocalWork } from './status.js';
import { loadSyncContext, settingsHere } from './sync-context.js';
import type { LiveWorkingTree } from './live-working-tree.js';

export interface SyncServiceOptions {
  onProgress?: (progress: SyncProgress) => void;
  /**
   * The watched view of this root a long-running process keeps (see LiveWorkingTree): status
   * and localWork then look only at what changed. Other operations always scan in full.
   */
  live?: LiveWorkingTree;
}

/**
 * The sync operations of one workspaces root, as the CLI, the API and other programs use them:
 * a façade over init.ts, push.ts, pull.ts, resolve.ts, remotes.ts, settings-edits.ts and
 * status.ts. Every operation that writes holds the root's lock.
 */
export class SyncService {
  private readonly progress: ProgressReporter;
  private readonly live?: LiveWorkingTree;

  constructor(
    readonly root: string,
    options: SyncServiceOptions = {},
  ) {
    this.progress = new ProgressReporter(options.onProgress);
    this.live = options.live;
  }

  /** Creates or updates this root's sync set-up and, when the remote already holds workspaces, brings them here. */
  init(options: InitOptions = {}): Promise<InitResult> {
    return initRoot(this.root, options, this.progress);
  }

  /**
   * Keeps a token for this root's remote (or the one named or given), once the remote has shown
   * that it may push with it: in Git's credential helper when one is configured, else in a file
   * only this user can read (see git/token-store.ts). Nothing is kept when the remote refuses it.
   */
  login(options: { remote?: string; token: string }): Promise<AuthState> {
    return login(this.root, options);
  }

  /** Forgets the token kept for this root's remote (or the one named or given). */
  logout(options: { remote?: string } = {}): Promise<AuthState> {
    return logout(this.root, options);
  }

  /** Where the token for this root's remote (or the one named or given) comes from; never the token. */
  auth(options: { remote?: string } = {}): Promise<AuthState> {
    return authStatus(this.root, options);
  }

  /** Commits local changes and sends them to every remote (or the one named), merging what they have first. */
  push(options: PushOptions = {}): Promise<PushResult> {
    return pushRoot(this.root, options, this.progress);
  }

  /** Fetches and merges the remotes' changes, committing local work first so nothing is overwritten. */
  pull(options: PullOptions = {}): Promise<PullResult> {
    return pullRoot(this.root, options, this.progress);
  }

  /** What a pull would do, fetched but not applied: no working file, index or branch changes (see preview.ts). */
  previewPull(options: { strategy?: ConflictStrategy } = {}): Promise<PullPreview> {
    return previewPull(this.root, options, this.progress);
  }

  /**
   * Includes a workspace in sync or keeps it out, on this computer or (`everywhere`) on every
   * computer (see settings-edits.ts).
   */
  setWorkspaceSync(workspace: string, enabled: boolean, options: { everywhere?: boolean } = {}): Promise<WorkspaceSelection> {
    return setWorkspaceSync(this.root, workspace, enabled, options);
  }

  /**
   * Takes a workspace (name or id) out of the shared copy and this computer's folder; its
   * history stays on the remote under a ref of its own, and the other computers remove it
   * when they next sync (see archive.ts).
   */
  archive(workspace: string): Promise<ArchiveResult> {
    return archiveWorkspace(this.root, workspace, this.progress);
  }

  /** Brings an archived workspace (name or id) back into the shared copy and this computer's folder. */
  unarchive(workspace: string): Promise<ArchiveResult> {
    return unarchiveWorkspace(this.root, workspace, this.progress);
  }

  /** The archived workspaces, from the remote's archive refs (offline: as of the last sync). */
  async archived(options: { offline?: boolean } = {}): Promise<ArchiveList> {
    return listArchived(await loadSyncContext(this.root), options);
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
    const current = (await settingsHere(this.root)) ?? SyncConfig.parse({});
    if (connects) {
      await writeSettings(this.root, { ...next, remote: current.remote, branch: current.branch });
      await this.init({ remote: next.remote!, branch: next.branch, confirmBranchChange: options.confirmBranchChange });
    } else if (current.remote) {
      await updateSettings(this.root, next);
    } else {
      await writeSettings(this.root, next);
    }
    return (await settingsHere(this.root))!;
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
   * Settles one conflicting file with `local`, `remote` or `backup:<id>` (see resolve.ts);
   * `settings` picks a side per setting of a JSON or YAML file, `use` settling the rest.
   */
  resolveConflict(filePath: string, use: string, settings: Record<string, ConflictSide> = {}): Promise<ConflictResolution> {
    return resolveConflict(this.root, filePath, use, this.progress, settings);
  }

  /** Writes back the synced files removed here and not yet shared (see put-back.ts). */
  async putBack(): Promise<PutBackResult> {
    return putBackRemovedFiles(await loadSyncContext(this.root));
  }

  /** Puts a kept version back; the next push carries it. */
  async restore(backupId: string): Promise<RestoreResult> {
    const context = await loadSyncContext(this.root);
    return withRootLock(context.repo.gitdir, 'restore', () => restoreBackup(context, backupId));
  }

  async status(options: { offline?: boolean } = {}): Promise<SyncStatus> {
    let context;
    try {
      context = await loadSyncContext(this.root, { live: this.live });
    } catch (error) {
      if (error instanceof SyncNotInitializedError) return uninitializedStatus(this.root);
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
    return localWork(await loadSyncContext(this.root, { live: this.live }));
  }

  /**
   * What the person must be told once, then forgotten: that this root, set up by PlanAlign's own
   * sync, was taken over (and a token it had committed must be revoked).
   */
  takeNotices(): Promise<string[]> {
    return takeNotices(new GitRepository(this.root).gitdir);
  }

  async log(options: { limit?: number } = {}): Promise<SyncLogEntry[]> {
    const context = await loadSyncContext(this.root);
    return readJournal(context.repo.gitdir, options.limit ?? 20);
  }

  /**
   * Checks what makes a sync fail and says what to do about each thing found (see doctor.ts).
   * Changes nothing, unless asked to remove a stale lock; works before sync is set up.
   */
  doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
    return diagnoseRoot(this.root, options);
  }

  /** Stops syncing this root: forgets the remote and the settings, keeps every workspace file and the local history. */
  disconnect(): Promise<DisconnectResult> {
    return disconnectRoot(this.root);
  }
}

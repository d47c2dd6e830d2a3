import type {
  AuthState,
  ArchiveList,
  ArchiveResult,
  Author,
  AutoSyncState,
  BranchList,
  BranchResult,
  ConflictStrategy,
  ImportResult,
  RegenJob,
  RegenOverview,
  ConflictDetail,
  ConflictList,
  ConflictResolution,
  DoctorReport,
  InitResult,
  OperationEvent,
  OperationName,
  PullResult,
  PushResult,
  PutBackResult,
  RestoreResult,
  ScenarioDiff,
  ScenarioList,
  ScenarioRestore,
  ScenarioVersions,
  ShareLink,
  SyncConfig,
  SyncLogEntry,
  SyncProgress,
  SyncStatus,
  NextStep,
  PullPreview,
  DeletionRisk,
  WorkspaceHistory,
} from '@planalign/sync-core';

export type {
  AutoSyncState,
  RegenJob,
  RegenOverview,
  ConflictDetail,
  ConflictList,
  OperationEvent,
  OperationName,
  PullPreview,
  DeletionRisk,
  SyncConfig,
  SyncLogEntry,
  SyncProgress,
  SyncStatus,
};
export type { DoctorReport, AuthState };
export type DoctorFinding = DoctorReport['findings'][number];
export type {
  ArchiveList,
  ArchiveResult,
  Author,
  BranchList,
  BranchResult,
  ConflictStrategy,
  ImportResult,
  ScenarioDiff,
  ScenarioList,
  ScenarioRestore,
  ScenarioVersions,
  ShareLink,
  WorkspaceHistory,
};
export type WorkspaceSyncState = SyncStatus['workspaces'][number];
export type WorkspaceBranch = BranchList['branches'][number];
export type WorkspaceScenario = ScenarioList['scenarios'][number];
export type ScenarioVersion = ScenarioVersions['versions'][number];
export type ConfigChange = ScenarioDiff['changes'][number];
export type AuthorSetting = Author & { configured: boolean };
export type ArchivedWorkspace = ArchiveList['archived'][number];
/** An error answer of the API: `{error: {code, message}}` and its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly conflictingFiles: string[] = [],
    /** what the error is about, as data (e.g. the remote's branches for an unconfirmed branch change, the commits a branch would lose) */
    readonly details: { remote_branches?: string[]; commits?: number } & Partial<DeletionRisk> = {},
    /** what the person can do next, as data (see next-steps.ts for its words) */
    readonly next: NextStep | null = null,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'planalign-sync-token';

/** The code of a call the person stopped waiting for. */
export const STOPPED_WAITING = 'stopped_waiting';

const workspaceRoute = (id: string) => `/workspaces/${encodeURIComponent(id)}`;
const scenarioRoute = (workspaceId: string, scenarioId: string) => `${workspaceRoute(workspaceId)}/scenarios/${encodeURIComponent(scenarioId)}`;

/**
 * The dashboard's only way to the sync core: the API over HTTP, on the origin that served the page.
 * A server started with a token gets it from the person once; it is kept for this tab only.
 */
export class SyncApi {
  constructor(private readonly base = '') {}

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  private headers(json: boolean): Record<string, string> {
    return { ...(json ? { 'Content-Type': 'application/json' } : {}), ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) };
  }

  /**
   * One call to the API. `signal` stops waiting for the answer (the server may still finish
   * the work): the call then fails with the code `stopped_waiting`.
   */
  private async request<T>(method: string, route: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}/api/sync${route}`, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch {
      if (signal?.aborted) throw new ApiError(0, STOPPED_WAITING, 'Stopped waiting for the sync server.');
      throw new ApiError(0, 'api_unreachable', 'The sync server is not answering.');
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      if (signal?.aborted) throw new ApiError(0, STOPPED_WAITING, 'Stopped waiting for the sync server.');
      throw new ApiError(0, 'api_unreachable', 'The sync server stopped answering.');
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new ApiError(response.status, 'unexpected', 'The sync server sent an answer the dashboard does not understand.');
    }
    if (!response.ok) {
      const error = (
        parsed as {
          error?: {
            code?: string;
            message?: string;
            conflicting_files?: string[];
            data?: { remote_branches?: string[]; commits?: number } & Partial<DeletionRisk>;
            next?: NextStep;
          };
        } | null
      )?.error;
      throw new ApiError(
        response.status,
        error?.code ?? 'unexpected',
        error?.message ?? `The sync server answered ${response.status}.`,
        error?.conflicting_files,
        error?.data ?? {},
        error?.next ?? null,
      );
    }
    return parsed as T;
  }

  status(offline = false) {
    return this.request<SyncStatus>('GET', `/status${offline ? '?offline=true' : ''}`);
  }
  setWorkspaceSync(id: string, enabled: boolean, everywhere = false) {
    return this.request<{ id: string; name: string; sync_enabled: boolean; excluded_on: WorkspaceSyncState['excluded_on']; message: string }>(
      'PUT',
      `/workspaces/${encodeURIComponent(id)}`,
      { sync_enabled: enabled, everywhere },
    );
  }
  regen() {
    return this.request<RegenOverview>('GET', '/regen');
  }
  /** Removes the finished jobs (rebuilt, failed or cancelled) from the list, with their logs. */
  clearFinishedJobs() {
    return this.request<{ removed: number }>('POST', '/regen/clear', {});
  }
  rebuild(target: { workspace?: string; scenario?: string; all_missing?: boolean }) {
    return this.request<{ jobs: RegenJob[] }>('POST', '/regen', target);
  }
  cancelJob(id: string) {
    return this.request<RegenJob>('POST', `/regen/${encodeURIComponent(id)}/cancel`, {});
  }
  retryJob(id: string) {
    return this.request<RegenJob>('POST', `/regen/${encodeURIComponent(id)}/retry`, {});
  }
  jobLog(id: string) {
    return this.request<{ id: string; log: string }>('GET', `/regen/${encodeURIComponent(id)}/log`);
  }
  autoSync() {
    return this.request<AutoSyncState>('GET', '/auto');
  }
  /** What makes a sync fail, checked without changing anything. */
  doctor() {
    return this.request<DoctorReport>('GET', '/doctor');
  }
  log(limit = 50) {
    return this.request<SyncLogEntry[]>('GET', `/log?limit=${limit}`);
  }
  push(options: { message?: string; allowDelete?: boolean } = {}, signal?: AbortSignal) {
    return this.request<PushResult>(
      'POST',
      '/push',
      {
        ...(options.message ? { message: options.message } : {}),
        ...(options.allowDelete ? { allow_delete: true } : {}),
      },
      signal,
    );
  }
  /** What a pull would bring and find in conflict; nothing on this computer changes. */
  preview(signal?: AbortSignal) {
    return this.request<PullPreview>('GET', '/preview', undefined, signal);
  }
  pull() {
    return this.request<PullResult>('POST', '/pull', {});
  }
  init(remote: string, branch?: string) {
    return this.request<InitResult>('POST', '/init', branch ? { remote, branch } : { remote });
  }
  /** Keeps an access token for the shared copy (this root's, or the address given) once it has shown it may write there; it is never sent back. */
  saveAccessToken(token: string, remote?: string) {
    return this.request<AuthState>('POST', '/auth', remote ? { token, remote } : { token });
  }
  config() {
    return this.request<SyncConfig | null>('GET', '/config');
  }
  saveConfig(update: Partial<SyncConfig>, options: { confirmBranchChange?: boolean } = {}) {
    return this.request<SyncConfig>('PUT', '/config', options.confirmBranchChange ? { ...update, confirm_branch_change: true } : update);
  }
  conflicts() {
    return this.request<ConflictList>('GET', '/conflicts');
  }
  showConflict(path: string) {
    return this.request<ConflictDetail>('GET', `/conflicts/show?path=${encodeURIComponent(path)}`);
  }
  resolveConflict(path: string, use: string, settings?: Record<string, 'local' | 'remote'>) {
    return this.request<ConflictResolution>('POST', '/conflicts/resolve', { path, use, ...(settings ? { settings } : {}) });
  }
  restoreBackup(backupId: string) {
    return this.request<RestoreResult>('POST', '/conflicts/restore', { backup_id: backupId });
  }
  /** Writes back what was removed on this computer and not yet shared. */
  putBack() {
    return this.request<PutBackResult>('POST', '/put-back', {});
  }

  branches(workspaceId: string) {
    return this.request<BranchList>('GET', `${workspaceRoute(workspaceId)}/branches`);
  }
  createBranch(workspaceId: string, name: string) {
    return this.request<BranchResult>('POST', `${workspaceRoute(workspaceId)}/branches`, { name });
  }
  /** `branch` is the main line's name to show the main line again. */
  switchBranch(workspaceId: string, branch: string) {
    return this.request<BranchResult>('POST', `${workspaceRoute(workspaceId)}/branches/${encodeURIComponent(branch)}/switch`, {});
  }
  /** Without a strategy the root's conflict setting applies. */
  mergeBranch(workspaceId: string, branch: string, strategy?: ConflictStrategy) {
    return this.request<BranchResult>('POST', `${workspaceRoute(workspaceId)}/branches/${encodeURIComponent(branch)}/merge`, strategy ? { strategy } : {});
  }
  /**
   * Here and on the remote. Refused while the branch has work the main line lacks, unless
   * `force`: that work is then gone.
   */
  deleteBranch(workspaceId: string, branch: string, force = false) {
    return this.request<BranchResult>('DELETE', `${workspaceRoute(workspaceId)}/branches/${encodeURIComponent(branch)}${force ? '?force=true' : ''}`);
  }
  /** Through origin, or through the team remote named `remote`. */
  share(workspaceId: string, remote?: string) {
    return this.request<ShareLink>('GET', `${workspaceRoute(workspaceId)}/share${remote ? `?remote=${encodeURIComponent(remote)}` : ''}`);
  }
  importWorkspace(source: string, workspace?: string) {
    return this.request<ImportResult>('POST', '/import', workspace ? { source, workspace } : { source });
  }
  workspaceHistory(workspaceId: string, limit = 50) {
    return this.request<WorkspaceHistory>('GET', `${workspaceRoute(workspaceId)}/history?limit=${limit}`);
  }
  /** Every scenario in the workspace's folder on this computer, by name, whether or not it was ever synced. */
  scenarios(workspaceId: string) {
    return this.request<ScenarioList>('GET', `${workspaceRoute(workspaceId)}/scenarios`);
  }
  scenarioVersions(workspaceId: string, scenarioId: string) {
    return this.request<ScenarioVersions>('GET', `${scenarioRoute(workspaceId, scenarioId)}/versions`);
  }
  /** `to` is a version or 'current', what the folder holds now. */
  diffScenario(workspaceId: string, scenarioId: string, from: string, to = 'current') {
    return this.request<ScenarioDiff>('GET', `${scenarioRoute(workspaceId, scenarioId)}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  }
  restoreScenario(workspaceId: string, scenarioId: string, version: string) {
    return this.request<ScenarioRestore>('POST', `${scenarioRoute(workspaceId, scenarioId)}/restore`, { version });
  }
  /** `offline`: as this computer last saw the shared copy, without asking the remote. */
  archived(offline = false) {
    return this.request<ArchiveList>('GET', `/archive${offline ? '?offline=true' : ''}`);
  }
  /** Out of sync on every computer; a full copy stays with the shared copy. */
  archive(workspaceId: string) {
    return this.request<ArchiveResult>('POST', `${workspaceRoute(workspaceId)}/archive`, {});
  }
  unarchive(workspaceId: string) {
    return this.request<ArchiveResult>('POST', `${workspaceRoute(workspaceId)}/unarchive`, {});
  }
  author() {
    return this.request<AuthorSetting>('GET', '/author');
  }
  setAuthor(author: { name: string; email?: string }) {
    return this.request<AuthorSetting>('PUT', '/author', author);
  }

  /**
   * Follows the server-sent events of running operations. Read through fetch rather than
   * EventSource so a token can be sent; reconnects after a pause when the stream drops.
   * `onConnection` hears when the stream opens (true) and when it drops or is refused (false).
   */
  events(onEvent: (event: OperationEvent) => void, onConnection?: (connected: boolean) => void): () => void {
    const controller = new AbortController();
    const follow = async () => {
      while (!controller.signal.aborted) {
        try {
          const response = await fetch(`${this.base}/api/sync/events`, { headers: this.headers(false), signal: controller.signal });
          if (!response.ok || !response.body) throw new Error(String(response.status));
          onConnection?.(true);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const type = /^event: (.+)$/m.exec(block)?.[1];
              const data = /^data: (.+)$/m.exec(block)?.[1];
              if (type && data) onEvent({ type, ...JSON.parse(data) } as OperationEvent);
            }
          }
        } catch {
          // dropped or refused: try again shortly, unless the page stopped listening
        }
        if (!controller.signal.aborted) onConnection?.(false);
        if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    };
    void follow();
    return () => controller.abort();
  }
}

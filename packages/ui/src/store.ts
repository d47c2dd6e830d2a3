import { inject, reactive } from 'vue';
import { SyncApi, type AutoSyncState, type OperationEvent, type OperationName, type RegenJob, type SyncStatus } from './api.js';
import { explainError } from './format.js';
import { resultWords } from './result-words.js';

export interface RunningOperation {
  name: OperationName;
  message: string;
  /** 0–1 when the server reports how far a transfer is, else null */
  fraction: number | null;
}

export interface Notice {
  tone: 'ok' | 'error';
  title: string;
  detail: string;
}

const OPERATION_LABELS: Record<OperationName, string> = {
  push: 'Syncing',
  pull: 'Getting changes',
  preview: 'Checking what would change',
  init: 'Connecting',
  resolve: 'Applying your choice',
  restore: 'Restoring',
  config: 'Saving settings',
  branch: 'Changing branch',
  merge: 'Merging the branch',
  import: 'Importing the workspace',
  archive: 'Updating the archived workspaces',
};

/**
 * The dashboard's state: the root's sync status, the operation running on the server (from
 * its event stream, so a sync started elsewhere in Studio shows too), and the latest outcome.
 */
export function createSyncStore(api = new SyncApi()) {
  const state = reactive({
    status: null as SyncStatus | null,
    /** automatic sync in the server, when sync is set up */
    auto: null as AutoSyncState | null,
    loading: true,
    /** why the status could not be read; the page shows it instead of stale data */
    loadError: null as Notice | null,
    running: null as RunningOperation | null,
    notice: null as Notice | null,
    needsToken: false,
    /** regeneration jobs as the server reports them live, by id */
    jobs: {} as Record<string, RegenJob>,
    refreshedAt: 0,
  });

  function onEvent(event: OperationEvent): void {
    if (event.type === 'regen') {
      const finished = event.job.status !== 'running' && event.job.status !== 'queued' && state.jobs[event.job.id]?.status === 'running';
      state.jobs[event.job.id] = event.job;
      // a rebuilt run changes what is missing
      if (finished) void refresh();
      return;
    }
    if (event.type === 'hello') {
      state.running = event.running ? { name: event.running, message: `${OPERATION_LABELS[event.running]}…`, fraction: null } : null;
    } else if (event.type === 'started') {
      state.running = { name: event.operation, message: `${OPERATION_LABELS[event.operation]}…`, fraction: null };
    } else if (event.type === 'progress') {
      const fraction = event.total ? Math.min(1, (event.loaded ?? 0) / event.total) : null;
      state.running = { name: event.operation, message: `${OPERATION_LABELS[event.operation]}: ${event.message}`, fraction };
    } else {
      state.running = null;
      void refresh();
    }
  }

  let refreshing: Promise<void> | null = null;
  let again: Promise<void> | null = null;
  /**
   * Reads the status; `offline` answers from the last sync without asking the remote. Asked
   * while a read is under way, it reads once more after it, so a change just made is never
   * hidden behind an answer that started before it.
   */
  function refresh(options: { offline?: boolean } = {}): Promise<void> {
    if (refreshing) {
      again ??= refreshing.then(() => {
        again = null;
        return refresh(options);
      });
      return again;
    }
    refreshing = (async () => {
      try {
        state.status = await api.status(options.offline);
        state.auto = state.status.is_initialized ? await api.autoSync() : null;
        state.loadError = null;
        state.needsToken = false;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'api_token_required' || code === 'api_token_invalid') state.needsToken = true;
        state.loadError = { tone: 'error', ...explainError(error) };
      } finally {
        state.loading = false;
        state.refreshedAt = Date.now();
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /**
   * Runs one operation, shows its outcome as the page's notice, and refreshes the status either
   * way. Returns null when it failed (the notice says why, titled "Could not <failedTo>." when given).
   */
  async function perform<T extends { message: string }>(
    name: OperationName,
    work: () => Promise<T>,
    /** takes an error the page handles itself (a question to ask): true when it did */
    handled?: (error: unknown) => boolean,
    /** what was being done, for the error's title: "Could not <failedTo>." */
    failedTo?: string,
  ): Promise<T | null> {
    state.notice = null;
    state.running ??= { name, message: `${OPERATION_LABELS[name]}…`, fraction: null };
    try {
      const result = await work();
      state.notice = { tone: 'ok', title: resultWords(name, result), detail: '' };
      return result;
    } catch (error) {
      if (!handled?.(error)) state.notice = { tone: 'error', ...explainError(error, failedTo) };
      return null;
    } finally {
      state.running = null;
      await refresh();
    }
  }

  const stopEvents = api.events(onEvent);

  return {
    api,
    state,
    refresh,
    perform,
    dismissNotice: () => void (state.notice = null),
    setToken(token: string) {
      api.token = token;
      return refresh();
    },
    stop: stopEvents,
  };
}

export type SyncStore = ReturnType<typeof createSyncStore>;

/** The store App.vue provides, for components below it. */
export function useSyncStore(): SyncStore {
  const store = inject<SyncStore>('sync');
  if (!store) throw new Error('useSyncStore() needs the store that App.vue provides');
  return store;
}

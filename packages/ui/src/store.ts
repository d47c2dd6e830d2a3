import { inject, reactive } from 'vue';
import { STOPPED_WAITING, SyncApi, type AutoSyncState, type OperationEvent, type OperationName, type RegenJob, type SyncStatus } from './api.js';
import { explainError } from './format.js';
import { resultWords } from './result-words.js';

export interface RunningOperation {
  name: OperationName;
  message: string;
  /** 0–1 when the server reports how far a transfer is, else null */
  fraction: number | null;
  /** when the page first saw it running (ms), for the time it has taken so far */
  startedAt: number;
}

export interface Notice {
  tone: 'ok' | 'error';
  title: string;
  detail: string;
  /** the API's error code, when the notice is about one */
  code?: string;
}

/** What the page says after the person stopped waiting for an answer: the server may still finish. */
export const STOPPED_WAITING_NOTICE: Notice = {
  tone: 'ok',
  title: 'Stopped waiting; the sync may still finish in the background.',
  detail: 'The page shows how things stand once it does. Your work is saved on this computer.',
};

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
    /** the sync service stopped answering (its event stream closed, or a read failed): what the page shows is stale */
    serviceDown: false,
    /** a call of this page that the person can stop waiting for is under way */
    cancellable: false,
    /** Update access token is open: the shared copy refused this computer's token */
    updatingToken: false,
  });

  /** The operation the person stopped waiting for: its progress is no longer shown. */
  let leftRunning: OperationName | null = null;
  /** When the page first saw the server's current operation: kept until the server says it finished. */
  let seen: { name: OperationName; at: number } | null = null;
  const running = (name: OperationName, message: string, fraction: number | null): RunningOperation => {
    if (seen?.name !== name) seen = { name, at: Date.now() };
    return { name, message, fraction, startedAt: seen.at };
  };

  function onEvent(event: OperationEvent): void {
    if (event.type === 'regen') {
      const finished = event.job.status !== 'running' && event.job.status !== 'queued' && state.jobs[event.job.id]?.status === 'running';
      state.jobs[event.job.id] = event.job;
      // a rebuilt run changes what is missing
      if (finished) void refresh();
      return;
    }
    if (event.type === 'hello') {
      if (event.running !== leftRunning) leftRunning = null;
      state.running = event.running && !leftRunning ? running(event.running, `${OPERATION_LABELS[event.running]}…`, null) : null;
    } else if (event.type === 'started') {
      leftRunning = null;
      state.running = running(event.operation, `${OPERATION_LABELS[event.operation]}…`, null);
    } else if (event.type === 'progress') {
      if (event.operation === leftRunning) return;
      const fraction = event.total ? Math.min(1, (event.loaded ?? 0) / event.total) : null;
      state.running = running(event.operation, `${OPERATION_LABELS[event.operation]}: ${event.message}`, fraction);
    } else {
      leftRunning = null;
      seen = null;
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
        state.serviceDown = false;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'api_token_required' || code === 'api_token_invalid') state.needsToken = true;
        state.serviceDown = code === 'api_unreachable';
        if (state.serviceDown) state.running = null;
        state.loadError = { tone: 'error', code, ...explainError(error) };
      } finally {
        state.loading = false;
        state.refreshedAt = Date.now();
        refreshing = null;
      }
    })();
    return refreshing;
  }

  let waiting: AbortController | null = null;
  /**
   * Runs a call the person may stop waiting for (Cancel next to the progress): `work` gets the
   * signal to pass to the API. Stopping only stops this page waiting; the server may finish.
   */
  async function cancellable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    waiting = controller;
    state.cancellable = true;
    try {
      return await work(controller.signal);
    } finally {
      if (waiting === controller) {
        waiting = null;
        state.cancellable = false;
      }
    }
  }

  /** Cancel: stops waiting for the call under way, says so truthfully, and reads the state again. */
  function stopWaiting(): void {
    if (!waiting) return;
    waiting.abort();
    waiting = null;
    state.cancellable = false;
    leftRunning = state.running?.name ?? null;
    state.running = null;
    state.notice = STOPPED_WAITING_NOTICE;
    void refresh();
  }

  /**
   * Runs one operation, shows its outcome as the page's notice, and refreshes the status either
   * way. Returns null when it failed (the notice says why, titled "Could not <failedTo>." when given).
   * A sync service that stopped answering is said once, by the page's own banner.
   */
  async function perform<T extends { message: string }>(
    name: OperationName,
    work: (signal: AbortSignal) => Promise<T>,
    /** takes an error the page handles itself (a question to ask): true when it did */
    handled?: (error: unknown) => boolean,
    /** what was being done, for the error's title: "Could not <failedTo>." */
    failedTo?: string,
  ): Promise<T | null> {
    state.notice = null;
    state.running ??= running(name, `${OPERATION_LABELS[name]}…`, null);
    try {
      const result = await cancellable(work);
      state.notice = { tone: 'ok', title: resultWords(name, result), detail: '' };
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === STOPPED_WAITING) state.notice = STOPPED_WAITING_NOTICE;
      else if (code === 'api_unreachable') state.notice = null;
      else if (!handled?.(error)) state.notice = { tone: 'error', code, ...explainError(error, failedTo) };
      return null;
    } finally {
      state.running = null;
      await refresh();
    }
  }

  /** The event stream closing is the first sign the service stopped: read the state at once. */
  let connected: boolean | null = null;
  const stopEvents = api.events(onEvent, (now) => {
    const changed = now !== connected;
    connected = now;
    if (!now) state.running = null;
    if (changed && (!now || state.serviceDown)) void refresh();
  });

  return {
    api,
    state,
    refresh,
    perform,
    cancellable,
    stopWaiting,
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

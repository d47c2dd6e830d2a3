import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AsyncSubscription } from '@parcel/watcher';
import { readSettings, SETTINGS_FILE } from '../config/settings-file.js';
import { adoptPlanAlignRoot } from '../sync/adopt-planalign.js';
import { SyncBusyError, SyncDeleteGuardError, SyncNetworkError, SyncNotInitializedError } from '../errors.js';
import { GITIGNORE_FILE, readGitignore } from '../ignore/gitignore-template.js';
import { compileSyncRules, type SyncRules } from '../ignore/sync-rules.js';
import type { AutoSyncState } from '../models/auto-sync.js';
import type { SkippedFile } from '../models/results.js';
import { SyncService } from '../sync/sync-service.js';
import { plural } from '../util/plural.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { watchRoot } from './root-watcher.js';
import { LiveWorkingTree } from '../sync/live-working-tree.js';

/** Why an automatic sync ran. */
export type AutoSyncTrigger = 'start' | 'change' | 'run-finished' | 'interval' | 'retry';

/**
 * What `sync watch --json` prints, one per line. Every `syncing` is followed by exactly one of
 * `synced`, `offline`, `still_offline`, `busy`, `held` or `failed`; those that retry name the time of
 * the next try (`retry_at`), so a new time is always announced.
 */
export type AutoSyncEvent =
  | { type: 'watching'; root: string; interval_minutes: number }
  /** the settings changed the interval; it applies from now on, to the next sync named too */
  | { type: 'interval_changed'; interval_minutes: number; next_run_at: string | null }
  /** synced files changed (ignored ones never make this event) */
  | { type: 'noticed'; paths: string[] }
  /** synced files that do not parse yet, most likely still being written: held back until they do */
  | { type: 'waiting'; paths: string[]; message: string }
  | { type: 'syncing'; trigger: AutoSyncTrigger }
  | { type: 'synced'; trigger: AutoSyncTrigger; message: string }
  /** the remote could not be reached (said once, when that starts) */
  | { type: 'offline'; trigger: AutoSyncTrigger; message: string; retry_at: string }
  /** another try while offline failed too */
  | { type: 'still_offline'; trigger: AutoSyncTrigger; message: string; retry_at: string }
  /** another sync held the root's lock */
  | { type: 'busy'; trigger: AutoSyncTrigger; message: string; retry_at: string }
  | { type: 'failed'; trigger: AutoSyncTrigger; code: string; message: string }
  /** the sync would have deleted whole workspaces or too many files: nothing was sent, and it waits for a person (no retries) */
  | { type: 'held'; trigger: AutoSyncTrigger; message: string }
  | { type: 'stopped' };

/** What a sync run by auto-sync hands back (a push's or a pull's result). */
export interface AutoSyncOutcome {
  message: string;
  skipped: SkippedFile[];
}

export type SyncOperationRunner = (operation: 'push' | 'pull', work: (service: SyncService) => Promise<AutoSyncOutcome>) => Promise<AutoSyncOutcome>;

/** How a failed run ended, announced once the next try is set. */
type FailedRun =
  { type: 'offline' | 'still_offline' | 'busy'; message: string } | { type: 'failed'; code: string; message: string } | { type: 'held'; message: string };

export interface AutoSyncOptions {
  /** quiet time after the last change before pushing (default 2 s): a burst of writes makes one commit */
  debounceMs?: number;
  /** a stream of changes that never goes quiet is still pushed this often (default 30 s) */
  maxWaitMs?: number;
  /** a run that just finished is pushed after this short pause (default 200 ms) */
  runFinishedDelayMs?: number;
  /** pull once when starting (default true) */
  pullOnStart?: boolean;
  /**
   * Push every workspace that does not opt out (`sync watch`, default), or only those the
   * settings put under auto-sync (`auto_sync`, or a workspace's own `auto_sync: true`).
   */
  everyWorkspace?: boolean;
  /** runs one sync; the API passes its operation runner so its clients see the progress */
  perform?: SyncOperationRunner;
  /**
   * The watched view of the root that the check for local work looks at; without one, auto-sync
   * keeps its own while it runs.
   */
  live?: LiveWorkingTree;
  onEvent?: (event: AutoSyncEvent) => void;
}

const FINISHED_STATUSES = new Set(['completed', 'failed', 'cancelled']);
const FIRST_RETRY_MS = 15_000;
const BUSY_RETRY_MS = 3_000;

const defaultRunner: (root: string) => SyncOperationRunner = (root) => (_operation, work) => work(new SyncService(root));

/**
 * Keeps a root in sync by itself: pushes a short while after synced files change (at once when
 * a run finishes), syncs every `auto_sync_interval_minutes`, and backs off while the remote is
 * unreachable (offline is normal, not an error storm). One sync at a time; the root's lock
 * serialises it with the CLI and the API.
 */
export class AutoSync {
  private subscription: AsyncSubscription | null = null;
  private rules: SyncRules = compileSyncRules(null);
  private intervalMs = 15 * 60_000;
  private rootAutoSync = false;
  /** settings are read one at a time, so an older read never lands after a newer one */
  private settingsRead: Promise<void> = Promise.resolve();
  private settingsLoaded = false;
  private timer: NodeJS.Timeout | null = null;
  /** the next sync: why, when, and when it was set (an interval counts from then) */
  private pending: { trigger: AutoSyncTrigger; at: number; setAt: number; firstChangeAt: number | null } | null = null;
  /** the files last announced as still being written, so each set is announced once */
  private waitingFor = '';
  private running: Promise<void> | null = null;
  /** changes seen while a sync ran (and whether a run finished among them): looked at once it ends */
  private changedDuringSync = false;
  private runFinishedDuringSync = false;
  private retryDelayMs = FIRST_RETRY_MS;
  private stopped = false;
  private readonly perform: SyncOperationRunner;
  private readonly live: LiveWorkingTree;
  private readonly ownsLive: boolean;
  private readonly current: AutoSyncState = {
    watching: false,
    configured: false,
    syncing: false,
    interval_minutes: 15,
    last_run_at: null,
    last_outcome: null,
    last_message: null,
    next_run_at: null,
    offline: false,
    held: null,
  };

  constructor(
    readonly root: string,
    private readonly options: AutoSyncOptions = {},
  ) {
    this.perform = options.perform ?? defaultRunner(root);
    this.live = options.live ?? new LiveWorkingTree(root);
    this.ownsLive = !options.live;
  }

  get state(): AutoSyncState {
    return { ...this.current };
  }

  private emit(event: AutoSyncEvent): void {
    this.options.onEvent?.(event);
  }

  /** Reads the settings and ignore rules again (each sync does, and so does a change to either file). */
  private loadSettings(): Promise<void> {
    this.settingsRead = this.settingsRead.catch(() => undefined).then(() => this.readSettingsNow());
    return this.settingsRead;
  }

  private async readSettingsNow(): Promise<void> {
    await adoptPlanAlignRoot(this.root);
    const settings = await readSettings(this.root);
    if (!settings) throw new SyncNotInitializedError(`Sync is not set up for ${this.root}.`, { next: { action: 'set_up_sync' } });
    this.rules = compileSyncRules(await readGitignore(this.root), settings.sync);
    const previousIntervalMs = this.intervalMs;
    this.intervalMs = settings.sync.auto_sync_interval_minutes * 60_000;
    this.rootAutoSync = settings.sync.auto_sync;
    this.current.configured = settings.sync.auto_sync;
    this.current.interval_minutes = settings.sync.auto_sync_interval_minutes;
    if (this.settingsLoaded && this.intervalMs !== previousIntervalMs) this.followNewInterval();
    this.settingsLoaded = true;
  }

  /**
   * A new interval applies at once: the scheduled sync moves to the new interval after it was
   * set, and a retry while offline never waits longer than the new interval.
   */
  private followNewInterval(): void {
    if (this.stopped) return;
    this.retryDelayMs = Math.min(this.retryDelayMs, this.intervalMs);
    const pending = this.pending;
    const now = Date.now();
    if (pending?.trigger === 'interval') this.setTimer('interval', Math.max(now, pending.setAt + this.intervalMs), pending.setAt);
    else if (pending?.trigger === 'retry' && pending.at > now + this.intervalMs) this.setTimer('retry', now + this.intervalMs);
    this.emit({ type: 'interval_changed', interval_minutes: this.current.interval_minutes, next_run_at: this.current.next_run_at });
  }

  async start(): Promise<void> {
    await this.loadSettings();
    if (this.ownsLive) await this.live.start();
    this.subscription = await watchRoot(
      this.root,
      () => this.rules,
      (paths) => this.onChanges(paths),
      (error) => this.emit({ type: 'failed', trigger: 'change', code: 'watcher', message: `Watching ${this.root} failed: ${error.message}` }),
    );
    this.current.watching = true;
    this.emit({ type: 'watching', root: this.root, interval_minutes: this.current.interval_minutes });
    if (this.options.pullOnStart ?? true) this.schedule('start', 0);
    else this.schedule('interval', this.intervalMs);
  }

  /** Stops watching and waits for a sync under way, so nothing is left half-done and the lock is released. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    await this.subscription?.unsubscribe();
    this.subscription = null;
    await this.running;
    if (this.ownsLive) await this.live.stop();
    this.current.watching = false;
    this.current.next_run_at = null;
    this.emit({ type: 'stopped' });
  }

  /** Syncs as soon as possible (the dashboard's "sync now" while auto-sync is on). */
  syncSoon(trigger: AutoSyncTrigger = 'change'): void {
    this.schedule(trigger, 0);
  }

  private onChanges(paths: string[]): void {
    if (this.stopped) return;
    this.emit({ type: 'noticed', paths: paths.slice(0, 20) });
    // A new interval or new rules apply without a restart; a settings file that does not read
    // is reported by the sync that follows the change.
    if (paths.some((p) => p === SETTINGS_FILE || p === GITIGNORE_FILE)) this.loadSettings().catch(() => undefined);
    const runFinished = paths.some((p) => this.isFinishedRun(p));
    if (this.running) {
      this.changedDuringSync = true;
      this.runFinishedDuringSync ||= runFinished;
      return;
    }
    if (runFinished) {
      this.schedule('run-finished', this.options.runFinishedDelayMs ?? 200);
      return;
    }
    const now = Date.now();
    const firstChangeAt = this.pending?.firstChangeAt ?? now;
    const quiet = this.options.debounceMs ?? 2_000;
    const cap = firstChangeAt + (this.options.maxWaitMs ?? 30_000) - now;
    this.schedule('change', Math.max(0, Math.min(quiet, cap)), firstChangeAt);
  }

  /** run_metadata.json is written once, atomically, when a run ends. */
  private isFinishedRun(relativePath: string): boolean {
    if (placeOf(relativePath).file !== 'run') return false;
    try {
      const metadata = JSON.parse(readFileSync(path.join(this.root, relativePath), 'utf8')) as { status?: unknown };
      return typeof metadata.status === 'string' && FINISHED_STATUSES.has(metadata.status);
    } catch {
      return false;
    }
  }

  /**
   * Sets the one timer: an earlier need replaces a later one, never the other way round,
   * except that a new change pushes a pending change's time back (the debounce).
   */
  private schedule(trigger: AutoSyncTrigger, delayMs: number, firstChangeAt: number | null = null): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    const debouncing = trigger === 'change' && this.pending?.trigger === 'change';
    if (this.pending && this.pending.at <= at && !debouncing) return;
    this.setTimer(trigger, at, Date.now(), firstChangeAt);
  }

  /** Sets the one timer to `at`, replacing whatever was pending. */
  private setTimer(trigger: AutoSyncTrigger, at: number, setAt = Date.now(), firstChangeAt: number | null = null): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.pending = { trigger, at, setAt, firstChangeAt };
    this.current.next_run_at = new Date(at).toISOString();
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const due = this.pending!;
        this.pending = null;
        this.current.next_run_at = null;
        // One sync at a time: a need that comes due during one is looked at when it ends.
        if (this.running) {
          this.changedDuringSync = true;
          return;
        }
        this.running = this.run(due.trigger).finally(() => {
          this.running = null;
        });
      },
      Math.max(0, at - Date.now()),
    );
  }

  private async run(trigger: AutoSyncTrigger): Promise<void> {
    this.changedDuringSync = false;
    this.runFinishedDuringSync = false;
    let failed: FailedRun | null = null;
    let retryMs: number | null = null;
    try {
      await this.loadSettings();
      // A change may be the sync's own checkout, or already pushed by someone else: only push real work.
      const work = trigger === 'change' ? await new SyncService(this.root, { live: this.live }).localWork() : null;
      if (work) await this.announceWaiting(work.beingWritten);
      if (!work || work.pending) {
        const result = await this.sync(trigger);
        await this.announceWaiting(result.skipped.filter((skipped) => skipped.being_written).map((skipped) => skipped.path));
      }
    } catch (error) {
      ({ failed, retryMs } = this.settleFailure(error));
    } finally {
      this.current.syncing = false;
    }
    if (this.runFinishedDuringSync) this.schedule('run-finished', this.options.runFinishedDelayMs ?? 200);
    else if (this.changedDuringSync) this.schedule('change', this.options.debounceMs ?? 2_000);
    else if (retryMs !== null) this.schedule('retry', retryMs);
    // Held deletions wait for a person: only a new change (files put back, say) tries again.
    else if (failed?.type !== 'held') this.schedule('interval', this.intervalMs);
    if (failed) this.announceFailure(trigger, failed, retryMs);
  }

  private async sync(trigger: AutoSyncTrigger): Promise<AutoSyncOutcome> {
    this.current.syncing = true;
    this.emit({ type: 'syncing', trigger });
    const automatic = { everyWorkspace: this.options.everyWorkspace === false ? this.rootAutoSync : true };
    const result = await this.perform(trigger === 'start' ? 'pull' : 'push', (service) => (trigger === 'start' ? service.pull() : service.push({ automatic })));
    this.record('synced', result.message);
    this.retryDelayMs = FIRST_RETRY_MS;
    this.emit({ type: 'synced', trigger, message: result.message });
    return result;
  }

  /** How a failed sync ended, and how long until the next try: offline backs off, busy retries soon. */
  private settleFailure(error: unknown): { failed: FailedRun; retryMs: number | null } {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code ?? 'unexpected';
    if (error instanceof SyncNetworkError) {
      const retryMs = Math.min(this.retryDelayMs, this.intervalMs);
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.intervalMs);
      const wasOffline = this.current.offline;
      this.record('offline', message);
      return { failed: { type: wasOffline ? 'still_offline' : 'offline', message }, retryMs };
    }
    if (error instanceof SyncBusyError || code === 'busy') return { failed: { type: 'busy', message }, retryMs: BUSY_RETRY_MS };
    if (error instanceof SyncDeleteGuardError) {
      this.record('held', message);
      return { failed: { type: 'held', message }, retryMs: null };
    }
    this.record('failed', message);
    return { failed: { type: 'failed', code, message }, retryMs: null };
  }

  /** A person settled what held automatic pushes back (pushed with the deletions allowed): they run again. */
  resume(): void {
    if (this.current.held === null) return;
    this.current.held = null;
    this.schedule('interval', this.intervalMs);
  }

  /** Says how a failed run ended once the next try is set: a retry names its time, so a new time is never silent. */
  private announceFailure(trigger: AutoSyncTrigger, failed: FailedRun, retryMs: number | null): void {
    if (failed.type === 'failed') return this.emit({ type: 'failed', trigger, code: failed.code, message: failed.message });
    if (failed.type === 'held') return this.emit({ type: 'held', trigger, message: failed.message });
    const retryAt = this.current.next_run_at ?? new Date(Date.now() + (retryMs ?? 0)).toISOString();
    this.emit({ type: failed.type, trigger, message: failed.message, retry_at: retryAt });
  }

  /** Names the synced files held back because they are still being written, once per set of files. */
  private async announceWaiting(paths: string[]): Promise<void> {
    const key = [...paths].sort().join('\n');
    if (key === this.waitingFor) return;
    this.waitingFor = key;
    if (paths.length === 0) return;
    const names = new NameBook(this.root);
    const shown = await Promise.all(paths.slice(0, 5).map((p) => names.pathForPeople(p)));
    const more = paths.length > shown.length ? `, and ${paths.length - shown.length} more` : '';
    this.emit({
      type: 'waiting',
      paths,
      message:
        paths.length === 1
          ? `Waiting for ${shown[0]} to finish writing`
          : `Waiting for ${plural(paths.length, 'file')} to finish writing: ${shown.join(', ')}${more}`,
    });
  }

  private record(outcome: NonNullable<AutoSyncState['last_outcome']>, message: string): void {
    this.current.last_run_at = new Date().toISOString();
    this.current.last_outcome = outcome;
    this.current.last_message = message;
    this.current.offline = outcome === 'offline';
    this.current.held = outcome === 'held' ? message : null;
  }
}

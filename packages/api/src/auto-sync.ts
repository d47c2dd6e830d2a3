import {
  AutoSync,
  AutoSyncState,
  SyncService,
  readSettings,
  redactUrl,
  type AutoSyncOutcome,
  type LiveWorkingTree,
  type SyncConfig,
} from '@planalign/sync-core';
import type { OperationRunner } from './operations.js';

/** The root's auto_sync, or any workspace's own `auto_sync: true`. */
function wantsWatcher(settings: SyncConfig): boolean {
  return settings.auto_sync || Object.values(settings.workspaces).some((w) => w.auto_sync === true);
}

/**
 * Studio's automatic sync: the server pulls once when it starts, and runs the root's watcher
 * while `auto_sync` is on. Every sync goes through the operation runner, so the dashboard sees
 * its progress and a push from the dashboard never runs beside it.
 */
export class AutoSyncSupervisor {
  private auto: AutoSync | null = null;
  private intervalMinutes: number | null = null;
  private reconciling: Promise<void> = Promise.resolve();
  private pullOnStart = true;

  constructor(
    private readonly runner: OperationRunner,
    private readonly live?: LiveWorkingTree,
  ) {}

  /**
   * Pulls once (or starts the watcher, which pulls first) when the root is set up; failures are
   * logged, never fatal. Without `pull`, only the watcher starts, if the settings ask for it.
   */
  async start(options: { pull: boolean }): Promise<void> {
    this.pullOnStart = options.pull;
    try {
      const settings = await readSettings(this.runner.root).catch(() => null);
      if (!settings?.sync.remote) return;
      if (wantsWatcher(settings.sync)) await this.reconcile();
      else if (options.pull) await this.runner.run('pull', (sync) => sync.pull());
    } catch (error) {
      this.report('start', error);
    }
  }

  /** Starts, restarts or stops the watcher to match the settings; call after they change. */
  reconcile(): Promise<void> {
    this.reconciling = this.reconciling
      .catch(() => undefined)
      .then(async () => {
        const settings = await readSettings(this.runner.root).catch(() => null);
        const wanted = Boolean(settings?.sync.remote && wantsWatcher(settings.sync));
        const interval = settings?.sync.auto_sync_interval_minutes ?? null;
        if (this.auto && (!wanted || interval !== this.intervalMinutes)) await this.stopWatcher();
        if (wanted && !this.auto) {
          const auto = new AutoSync(this.runner.root, {
            pullOnStart: this.pullOnStart,
            everyWorkspace: false,
            live: this.live,
            perform: (operation, work) => this.runner.run(operation, work as (service: SyncService) => Promise<AutoSyncOutcome>),
            onEvent: (event) => {
              if (event.type === 'failed' || event.type === 'offline') this.report('auto-sync', new Error(event.message));
            },
          });
          // Kept only once it runs: a watcher that could not start is tried again next time.
          await auto.start();
          this.auto = auto;
          this.intervalMinutes = interval;
        }
      });
    return this.reconciling;
  }

  /** Automatic pushes held back (deletions waiting for a person) run again after a push a person made. */
  resume(): void {
    this.auto?.resume();
  }

  async state(): Promise<AutoSyncState> {
    if (this.auto) return this.auto.state;
    const settings = await readSettings(this.runner.root).catch(() => null);
    return AutoSyncState.parse({
      watching: false,
      configured: settings?.sync.auto_sync ?? false,
      syncing: false,
      interval_minutes: settings?.sync.auto_sync_interval_minutes ?? 15,
      last_run_at: null,
      last_outcome: null,
      last_message: null,
      next_run_at: null,
      offline: false,
    });
  }

  async stop(): Promise<void> {
    await this.reconciling.catch(() => undefined);
    await this.stopWatcher();
  }

  private async stopWatcher(): Promise<void> {
    const auto = this.auto;
    this.auto = null;
    this.intervalMinutes = null;
    await auto?.stop();
  }

  private report(what: string, error: unknown): void {
    process.stderr.write(`planalign-sync ${what}: ${redactUrl(error instanceof Error ? error.message : String(error))}\n`);
  }
}

import { statStamp } from '../fs/native-watcher.js';
import path from 'node:path';
import type { LoadedIndex } from '../git/work-index.js';
import { readIndexOrCommit } from '../git/work-index.js';
import { countMissingResults } from '../regen/missing-results.js';
import { ChangeTracker, type ChangeTrackerOptions, type TrackerCheckpoint } from '../workspace/change-tracker.js';
import type { ScanResult } from '../workspace/file-scan.js';
import { TrackedScan } from '../workspace/tracked-scan.js';
import type { SyncContext } from './sync-context.js';

/** One look at the working tree: what a status or a local-work check compares with the index. */
export interface LiveView {
  scan: ScanResult;
  index: LoadedIndex;
  /** moves on whenever anything under the root may have changed: values remembered under another are stale */
  generation: number;
  /** moves on whenever the index file changed */
  indexVersion: number;
}

/**
 * A long-running process's view of one workspaces root (the API server's, `sync watch`'s):
 * a ChangeTracker watches it, and each look re-reads only what changed since the last one:
 * the paths the tracker names, the index when its file changed, the missing results of the
 * workspaces something changed in. Values computed from a look (what is staged, counts,
 * names) are remembered until anything changes. Whenever the tracker cannot vouch for what
 * changed, a look scans everything, as a one-shot command does.
 */
export class LiveWorkingTree {
  readonly tracker: ChangeTracker;
  private readonly tree = new TrackedScan();
  private since: TrackerCheckpoint | null = null;
  private lastScan: ScanResult | null = null;
  private generation = 0;
  private looking: Promise<unknown> = Promise.resolve();
  private index: { stamp: string; value: LoadedIndex; version: number } | null = null;
  private indexVersion = 0;
  private readonly remembered = new Map<string, { key: string; value: Promise<unknown> }>();
  private missing: Map<string, number> | null = null;
  private counting: Promise<unknown> = Promise.resolve();
  /** workspaces whose missing results may have changed since they were last counted ('all': unknown) */
  private dirtyWorkspaces: Set<string> | 'all' = 'all';

  constructor(
    readonly root: string,
    options: ChangeTrackerOptions = {},
  ) {
    this.tracker = new ChangeTracker(root, options);
  }

  start(): Promise<void> {
    return this.tracker.start();
  }

  /** How many looks scanned everything, and how many only what changed. */
  get scans(): { full: number; incremental: number } {
    return { ...this.tree.counts };
  }

  async stop(): Promise<void> {
    await this.tracker.stop();
    await this.looking.catch(() => undefined);
    this.remembered.clear();
  }

  /** The working tree as of now (every change made before this call included), one look at a time. */
  look(context: Pick<SyncContext, 'repo' | 'root' | 'rules' | 'rulesKey' | 'maxFileBytes' | 'branchRef'>): Promise<LiveView> {
    const next = this.looking.catch(() => undefined).then(() => this.lookNow(context));
    this.looking = next;
    return next;
  }

  private async lookNow(context: Pick<SyncContext, 'repo' | 'root' | 'rules' | 'rulesKey' | 'maxFileBytes' | 'branchRef'>): Promise<LiveView> {
    const until = await this.tracker.checkpoint();
    const changed = this.tracker.changesSince(this.since, until);
    const [scan, index] = await Promise.all([
      this.tree.scan(context.root, context.rules, context.maxFileBytes, `${context.rulesKey}:${context.maxFileBytes}`, changed),
      this.loadIndex(context),
    ]);
    if (changed === null || changed.length > 0 || scan !== this.lastScan) {
      this.generation += 1;
      this.markDirty(changed);
    }
    this.since = until;
    this.lastScan = scan;
    return { scan, index: index.value, generation: this.generation, indexVersion: index.version };
  }

  /**
   * A value computed from `view`, reused by later looks while nothing under the root changed
   * and `key` (whatever else it depends on) is the same.
   */
  remember<T>(view: LiveView, name: string, key: string, compute: () => Promise<T>): Promise<T> {
    const fullKey = `${view.generation}\0${key}`;
    const known = this.remembered.get(name);
    if (known?.key === fullKey) return known.value as Promise<T>;
    const value = compute();
    this.remembered.set(name, { key: fullKey, value });
    // A failed computation is not remembered.
    value.catch(() => {
      if (this.remembered.get(name)?.value === value) this.remembered.delete(name);
    });
    return value;
  }

  /** Completed runs without results here, per workspace: only workspaces where something changed are counted again. */
  countMissingResults(): Promise<Map<string, number>> {
    const next = this.counting.catch(() => undefined).then(() => this.countMissingNow());
    this.counting = next;
    return next;
  }

  private async countMissingNow(): Promise<Map<string, number>> {
    const dirty = this.dirtyWorkspaces;
    this.dirtyWorkspaces = new Set();
    try {
      if (dirty === 'all' || !this.missing) {
        this.missing = await countMissingResults(this.root);
      } else if (dirty.size > 0) {
        const ids = [...dirty].filter((id) => !id.startsWith('.'));
        const counts = await countMissingResults(this.root, { workspaceIds: ids });
        for (const id of ids) {
          const count = counts.get(id);
          if (count) this.missing.set(id, count);
          else this.missing.delete(id);
        }
      }
      return new Map(this.missing);
    } catch (error) {
      this.dirtyWorkspaces = 'all';
      throw error;
    }
  }

  private markDirty(changed: string[] | null): void {
    if (changed === null || this.dirtyWorkspaces === 'all') {
      this.dirtyWorkspaces = 'all';
      return;
    }
    for (const changedPath of changed) this.dirtyWorkspaces.add(changedPath.split('/')[0]);
  }

  /** The index, parsed again only when its file changed (Git replaces it whole, so its stat data name it). */
  private async loadIndex(context: Pick<SyncContext, 'repo' | 'branchRef'>): Promise<{ value: LoadedIndex; version: number }> {
    const file = path.join(context.repo.gitdir, 'index');
    const stamp = await statStamp(file);
    if (stamp && this.index?.stamp === stamp) return this.index;
    const value = await readIndexOrCommit(context.repo, context.branchRef);
    this.indexVersion += 1;
    const loaded = { stamp: stamp ?? '', value, version: this.indexVersion };
    // One rebuilt from a commit depends on more than the file: read it again next time.
    this.index = stamp && !value.rebuiltBecause && (await statStamp(file)) === stamp ? loaded : null;
    return loaded;
  }
}

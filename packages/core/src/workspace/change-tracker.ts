import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AsyncSubscription, Event as WatcherEvent, Options as WatcherOptions, SubscribeCallback } from '@parcel/watcher';
import { holdsUnwatchedFolder, loadNativeWatcher, statStamp } from '../fs/native-watcher.js';

/** @parcel/watcher's subscribe, or a stand-in with its signature (tests wrap the real one). */
export type Subscribe = (dir: string, callback: SubscribeCallback, options?: WatcherOptions) => Promise<AsyncSubscription>;

/**
 * A point in the tracker's record of changes. Changes are counted since a checkpoint only
 * while the record is unbroken (same epoch) and Git's index and branch did not move under it.
 */
export interface TrackerCheckpoint {
  readonly epoch: number;
  readonly seq: number;
  readonly gitStamp: string;
}

export interface ChangeTrackerOptions {
  /** default: @parcel/watcher's */
  subscribe?: Subscribe;
  /**
   * A batch naming more paths than this is taken as a sign that events may have been lost:
   * @parcel/watcher drops inotify's queue overflow without a word, and an overflow only
   * happens in a burst of thousands of events (a checkout, an unzip).
   */
  maxBatchPaths?: number;
  /** how long a checkpoint waits for its cookie before it gives up and asks for a full scan */
  flushTimeoutMs?: number;
}

/** Under `.git`, the watcher sees only this folder: the cookies that mark "every event before now has arrived". */
export const COOKIE_DIR = 'planalign-sync-watch';
/** Everything under `.git` except the cookie folder; the native matcher needs a RegExp without flags. */
const IGNORED_UNDER_GIT = new RegExp(`^\\.git[\\\\/](?!${COOKIE_DIR}(?:[\\\\/]|$))`);
const DEFAULT_MAX_BATCH_PATHS = 1_000;
/** Past this many remembered paths a full scan is cheaper than looking at each. */
const MAX_REMEMBERED_PATHS = 20_000;
const DEFAULT_FLUSH_TIMEOUT_MS = 2_000;
/** A watcher that failed to start (or died) is tried again no sooner than this. */
const RESTART_DELAY_MS = 5_000;
/** Trackers made by this process so far: each one's cookies carry its own number. */
let trackersMade = 0;

/**
 * Which paths of a workspaces root may have changed, as git's fsmonitor keeps it: a
 * long-running process watches the root (every file under it, the ignored ones too, since
 * missing-results counts depend on databases) and remembers each path an event named, so a
 * scan can look at those alone. Whenever events may have been missed (before the watcher
 * started, after it stopped or failed, after a burst that may have overflowed the kernel's
 * queue, when a folder appeared with folders already inside it) the epoch moves on and every
 * consumer is told "unknown": do a full scan. So is one whose checkpoint saw Git's index or
 * branch move in between (native git, another planalign process).
 *
 * Events arrive batched and late (the watcher waits for 50 ms of quiet, unless its last batch
 * was over half a second ago). A checkpoint therefore
 * writes a cookie file under `.git` and waits for its own event: events are delivered in the
 * order they happened, so once the cookie's arrives, every change made before the checkpoint
 * began has been recorded.
 */
export class ChangeTracker {
  private subscription: AsyncSubscription | null = null;
  private starting: Promise<void> | null = null;
  private epoch = 0;
  private seq = 0;
  /** path → the seq of the last batch that named it */
  private changed = new Map<string, number>();
  /** paths created since the last checkpoint: each new folder's subfolders must have been seen created too */
  private created = new Set<string>();
  /** names this tracker's cookies: the process and the tracker within it */
  private readonly cookiePrefix = `${process.pid}-${(trackersMade += 1)}-`;
  /** the subscription whose events count: a late batch of one that was replaced says nothing */
  private subscriptionId = 0;
  private lastStartAttempt = 0;
  private wanted = false;
  private cookieCount = 0;
  private lastCookie: string | null = null;
  private awaited: { name: string; arrived: () => void } | null = null;
  private flushing: Promise<boolean> | null = null;
  private queuedFlush: Promise<boolean> | null = null;
  private readonly maxBatchPaths: number;
  private readonly flushTimeoutMs: number;

  constructor(
    readonly root: string,
    private readonly options: ChangeTrackerOptions = {},
  ) {
    this.maxBatchPaths = options.maxBatchPaths ?? DEFAULT_MAX_BATCH_PATHS;
    this.flushTimeoutMs = options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS;
  }

  private get gitdir(): string {
    return path.join(this.root, '.git');
  }

  get watching(): boolean {
    return this.subscription !== null;
  }

  /**
   * Starts watching; a root without `.git` yet (not set up) is watched from the first
   * checkpoint after it has one. Whatever happened before now is unknown.
   */
  async start(): Promise<void> {
    this.wanted = true;
    await this.tryStart();
  }

  /** Stops watching: from now on, until a start, every checkpoint says "unknown". */
  async stop(): Promise<void> {
    this.wanted = false;
    await this.starting?.catch(() => undefined);
    await this.dropSubscription();
    await this.flushing?.catch(() => undefined);
    if (this.lastCookie) await fsp.rm(path.join(this.gitdir, COOKIE_DIR, this.lastCookie), { force: true }).catch(() => undefined);
    this.lastCookie = null;
  }

  /** Forgets what was recorded: the next scan of every consumer is a full one. */
  invalidate(): void {
    this.epoch += 1;
    this.changed.clear();
    this.created.clear();
  }

  /**
   * A point after every change made before this call, once its events have arrived; null when
   * the tracker cannot vouch for that (not watching, or the cookie did not come back in time).
   */
  async checkpoint(): Promise<TrackerCheckpoint | null> {
    // A start under way (the server's, at launch) is waited for: its checkpoint is the first one worth having.
    if (this.starting) await this.starting;
    else if (!this.subscription && this.wanted && Date.now() - this.lastStartAttempt >= RESTART_DELAY_MS) await this.tryStart();
    const settled = await this.settle();
    if (settled !== 'unwatched folder') return settled;
    // A fresh subscription crawls and watches every folder; the checkpoint then starts its epoch.
    await this.dropSubscription();
    await this.tryStart();
    const again = await this.settle();
    return again === 'unwatched folder' ? null : again;
  }

  private async settle(): Promise<TrackerCheckpoint | null | 'unwatched folder'> {
    if (!this.subscription) return null;
    const epoch = this.epoch;
    const flushed = await this.flush();
    const gitStamp = await this.gitStamp();
    if (!flushed || !this.subscription || epoch !== this.epoch) return null;
    if (this.hasUnwatchedFolder()) return 'unwatched folder';
    return { epoch: this.epoch, seq: this.seq, gitStamp };
  }

  /** Whether a folder created since the last checkpoint may be unwatched (see holdsUnwatchedFolder). */
  private hasUnwatchedFolder(): boolean {
    const created = this.created;
    this.created = new Set();
    return [...created].some((relative) => holdsUnwatchedFolder(this.root, relative, created));
  }

  /**
   * The paths (root-relative, forward slashes) that may have changed between `since` and
   * `until`, or null for "unknown, scan everything". A path named again after `until` is listed
   * too: looking at a path twice costs little, missing one would cost a change.
   */
  changesSince(since: TrackerCheckpoint | null, until: TrackerCheckpoint | null): string[] | null {
    if (!since || !until || since.epoch !== until.epoch || until.epoch !== this.epoch || since.gitStamp !== until.gitStamp) return null;
    const paths: string[] = [];
    for (const [changedPath, seq] of this.changed) if (seq > since.seq) paths.push(changedPath);
    return paths;
  }

  private async tryStart(): Promise<void> {
    if (this.subscription) return;
    this.starting ??= (async () => {
      this.lastStartAttempt = Date.now();
      const gitdir = await fsp.stat(this.gitdir).catch(() => null);
      // Never create `.git` in a root that is not set up: that would make it look like a repository.
      if (!gitdir?.isDirectory()) return;
      await fsp.mkdir(path.join(this.gitdir, COOKIE_DIR), { recursive: true });
      await this.clearCookies();
      const subscribe = this.options.subscribe ?? loadNativeWatcher().subscribe;
      // A new epoch before the first event: whatever happened while nothing watched is unknown.
      this.invalidate();
      const id = (this.subscriptionId += 1);
      const subscription = await subscribe(
        this.root,
        (error, events) => {
          if (id === this.subscriptionId) this.onEvents(error, events);
        },
        { ignore: [IGNORED_UNDER_GIT] },
      );
      if (!this.wanted) {
        await subscription.unsubscribe().catch(() => undefined);
        return;
      }
      this.subscription = subscription;
    })()
      .catch(() => {
        // A watcher that cannot start (too many folders for inotify, say) leaves status to full scans.
      })
      .finally(() => {
        this.starting = null;
      });
    await this.starting;
  }

  private async dropSubscription(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    this.subscriptionId += 1;
    this.invalidate();
    this.awaited?.arrived();
    this.awaited = null;
    await subscription?.unsubscribe().catch(() => undefined);
  }

  private onEvents(error: Error | null, events: WatcherEvent[]): void {
    if (!this.subscription) return;
    if (error) {
      // The watcher is dead after an error: what it would have reported is unknown until a new one runs.
      this.lastStartAttempt = 0;
      void this.dropSubscription();
      return;
    }
    this.seq += 1;
    const cookieFolder = `.git/${COOKIE_DIR}/`;
    let cookieArrived = false;
    let count = 0;
    for (const event of events) {
      const relative = path.relative(this.root, event.path).split(path.sep).join('/');
      if (relative.startsWith(cookieFolder)) {
        if (this.awaited && event.type === 'create' && relative === cookieFolder + this.awaited.name) cookieArrived = true;
        continue;
      }
      if (!relative || relative.startsWith('..') || relative === '.git' || relative.startsWith('.git/')) continue;
      this.changed.set(relative, this.seq);
      if (event.type === 'create') this.created.add(relative);
      count += 1;
    }
    if (count > this.maxBatchPaths || this.changed.size > MAX_REMEMBERED_PATHS) this.invalidate();
    if (cookieArrived) {
      this.awaited!.arrived();
      this.awaited = null;
    }
  }

  /**
   * Waits until every event before this call has been recorded. Calls made while a cookie is
   * out share the next one: a cookie written before a call began proves nothing for it.
   */
  private flush(): Promise<boolean> {
    if (this.queuedFlush) return this.queuedFlush;
    if (!this.flushing) return this.startFlush();
    this.queuedFlush = this.flushing.then(() => {
      this.queuedFlush = null;
      return this.startFlush();
    });
    return this.queuedFlush;
  }

  private startFlush(): Promise<boolean> {
    this.flushing = this.writeCookie().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async writeCookie(): Promise<boolean> {
    if (!this.subscription) return false;
    this.cookieCount += 1;
    const name = `${this.cookiePrefix}${this.cookieCount}`;
    const folder = path.join(this.gitdir, COOKIE_DIR);
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.awaited = { name, arrived: () => resolve(this.subscription !== null) };
      timer = setTimeout(() => resolve(false), this.flushTimeoutMs);
    });
    try {
      // Renaming the last cookie makes one batch of events: a lone file change that comes more
      // than half a second after the previous batch is delivered at once, not after 50 ms.
      const renamed = this.lastCookie
        ? await fsp.rename(path.join(folder, this.lastCookie), path.join(folder, name)).then(
            () => true,
            () => false,
          )
        : false;
      if (!renamed) await fsp.writeFile(path.join(folder, name), '');
      this.lastCookie = name;
      return await arrived;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      if (this.awaited?.name === name) this.awaited = null;
    }
  }

  /** Cookies left by processes that ended, and this tracker's own from before (another live tracker's are left alone). */
  private async clearCookies(): Promise<void> {
    const folder = path.join(this.gitdir, COOKIE_DIR);
    for (const name of await fsp.readdir(folder).catch(() => [] as string[])) {
      if (name.startsWith(this.cookiePrefix) || !isRunning(Number(name.split('-')[0])))
        await fsp.rm(path.join(folder, name), { force: true }).catch(() => undefined);
    }
    this.lastCookie = null;
  }

  /**
   * The index, HEAD and the branch it names, by their stat data: a Git program (native git,
   * another planalign process) that moves them makes every consumer scan in full, since what
   * it did to the working tree is not ours to guess.
   */
  private async gitStamp(): Promise<string> {
    const stamp = async (relative: string) => (await statStamp(path.join(this.gitdir, relative))) ?? '-';
    const head = await fsp.readFile(path.join(this.gitdir, 'HEAD'), 'utf8').catch(() => '');
    const ref = /^ref: (refs\/\S+)/.exec(head)?.[1];
    const parts = await Promise.all([stamp('index'), stamp('packed-refs'), ref ? stamp(ref) : Promise.resolve('-')]);
    return [head.trim(), ...parts].join('|');
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

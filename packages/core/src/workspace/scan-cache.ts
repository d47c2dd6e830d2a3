import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * What each folder of the root held at the last scan, keyed by the folder's modification
 * time: adding, removing or renaming an entry changes it, so an unchanged folder is not listed
 * again (git's "untracked cache" idea). Files are still checked one by one against the index.
 * Kept in `.git/`, tied to the ignore rules it was computed with.
 */
export interface FolderListing {
  folders: string[];
  files: string[];
  links: string[];
  /** files sync never carries whose presence matters (NOTED_FILES): a run's results */
  noted: string[];
}

interface StoredListing extends FolderListing {
  mtimeMs: number;
  ino: number;
}

/** What a listing holds: a cache of another form is dropped (2: with the noted files; 3: times in ms). */
const LISTING_FORMAT = 'listing-3';

/** Same reasoning as for files: a folder changed within this window of the save may have changed again unseen. */
const RACY_WINDOW_MS = 50;

export class ScanCache {
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly rulesKey: string,
    private readonly savedAtMs: number,
    private readonly listings: Map<string, StoredListing>,
  ) {}

  static rulesKeyOf(...parts: string[]): string {
    return createHash('sha1')
      .update([LISTING_FORMAT, ...parts].join('\0'))
      .digest('hex');
  }

  static async load(gitdir: string, rulesKey: string): Promise<ScanCache> {
    const file = path.join(gitdir, 'planalign-sync', 'scan-cache.json');
    try {
      const [text, stat] = [readFileSync(file, 'utf8'), statSync(file)];
      const parsed = JSON.parse(text) as { rules: string; listings: [string, StoredListing][] };
      if (parsed.rules === rulesKey) return new ScanCache(file, rulesKey, stat.mtimeMs, new Map(parsed.listings));
    } catch {
      // missing or unreadable: start empty
    }
    return new ScanCache(file, rulesKey, 0, new Map());
  }

  get(folder: string, mtimeMs: number, ino: number): FolderListing | null {
    const stored = this.listings.get(folder);
    if (!stored || stored.ino !== ino || stored.mtimeMs !== mtimeMs) return null;
    return mtimeMs + RACY_WINDOW_MS < this.savedAtMs ? stored : null;
  }

  set(folder: string, mtimeMs: number, ino: number, listing: FolderListing): void {
    this.listings.set(folder, { ...listing, mtimeMs, ino });
    this.dirty = true;
  }

  /** Drops folders that no longer exist (not seen by the last scan). */
  retainOnly(seen: Set<string>): void {
    for (const folder of this.listings.keys()) {
      if (!seen.has(folder)) {
        this.listings.delete(folder);
        this.dirty = true;
      }
    }
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ rules: this.rulesKey, listings: [...this.listings] }), { durable: false });
    this.dirty = false;
  }
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { FileStat } from '../workspace/file-scan.js';
import { stateDir } from './state-dir.js';

/**
 * Each scenario's last run (its scenario.json's `last_run_at`), remembered by the file's stat
 * data, so that a status reads only the scenario files that changed since the last one: a
 * large root's 1,000 of them took a third of its status. As with git's index, a file is taken
 * from memory only when its stat is the one recorded and older than the record (racy-git).
 */
const FILE = 'scenario-last-runs.json';
const VERSION = 2;
/** a file changed this close to when the record was written may have changed again unseen */
const RACY_WINDOW_MS = 2_000;

interface Recorded {
  stamp: string;
  lastRunAt: string | null;
}

interface CacheFile {
  version: number;
  writtenAtMs: number;
  scenarios: Record<string, Recorded>;
}

const stampOf = (stat: FileStat) => `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;

export class ScenarioLastRuns {
  private readonly recorded: Record<string, Recorded>;
  private readonly trustedBeforeMs: number;
  private readonly next: Record<string, Recorded> = {};
  private changed = false;

  private constructor(
    private readonly file: string,
    cache: CacheFile | null,
  ) {
    this.recorded = cache?.scenarios ?? {};
    this.trustedBeforeMs = cache ? cache.writtenAtMs - RACY_WINDOW_MS : 0;
  }

  static load(gitdir: string): ScenarioLastRuns {
    const file = path.join(stateDir(gitdir), FILE);
    let cache: CacheFile | null = null;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed.version === VERSION && typeof parsed.writtenAtMs === 'number' && parsed.scenarios && typeof parsed.scenarios === 'object') cache = parsed;
    } catch {
      // none yet, or unreadable: every scenario file is read
    }
    return new ScenarioLastRuns(file, cache);
  }

  /** The scenario's last run: remembered when its file is unchanged, else read (and remembered for next time). */
  async lastRunAt(relativePath: string, stat: FileStat, read: () => Promise<string | null>): Promise<string | null> {
    const stamp = stampOf(stat);
    const known = this.recorded[relativePath];
    if (known && known.stamp === stamp && stat.mtimeMs < this.trustedBeforeMs) {
      this.next[relativePath] = known;
      return known.lastRunAt;
    }
    const lastRunAt = await read();
    this.next[relativePath] = { stamp, lastRunAt };
    this.changed = true;
    return lastRunAt;
  }

  /** Writes what this status saw (scenarios gone are dropped); a record that cannot be written only makes the next status slower. */
  async save(): Promise<void> {
    if (!this.changed && Object.keys(this.next).length === Object.keys(this.recorded).length) return;
    const cache: CacheFile = { version: VERSION, writtenAtMs: Date.now(), scenarios: this.next };
    await writeFileAtomic(this.file, JSON.stringify(cache), { durable: false }).catch(() => undefined);
  }
}

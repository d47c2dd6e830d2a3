import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { SkippedFile } from '../models/results.js';
import type { SyncRules } from '../ignore/sync-rules.js';
import { coveredBy, isUndecodable, sizeProblem, SYMLINK_REASON, scannedFile, walkSyncedFiles, type ScannedFile, type ScanResult } from './file-scan.js';

interface Kept {
  /** the rules and size limit the scan was made with */
  key: string;
  files: Map<string, ScannedFile>;
  skipped: Map<string, SkippedFile>;
  /** folders the scan entered */
  folders: Set<string>;
  result: ScanResult;
}

/**
 * The working tree's synced files, kept in memory between scans and brought up to date from
 * the paths that changed (see ChangeTracker): each is looked at again, a folder walked again,
 * and the rest taken from the last scan. Given no list of changes, it scans everything.
 */
export class TrackedScan {
  private kept: Kept | null = null;
  /** how many scans walked everything, and how many looked only at changed paths (for tests and benchmarks) */
  readonly counts = { full: 0, incremental: 0 };

  /** Forgets the last scan: the next one is a full one. */
  reset(): void {
    this.kept = null;
  }

  /**
   * The scan as of now. `changed` is what may have changed since the last call (null: unknown);
   * with nothing changed, the last result itself is handed back, so callers may key on it.
   */
  async scan(root: string, rules: SyncRules, maxFileBytes: number, key: string, changed: string[] | null): Promise<ScanResult> {
    const kept = this.kept;
    if (kept && kept.key === key && changed !== null) {
      if (changed.length === 0) return kept.result;
      const updated = await update(root, rules, maxFileBytes, kept, changed);
      if (updated) {
        this.counts.incremental += 1;
        this.kept = updated;
        return updated.result;
      }
    }
    this.kept = null;
    this.counts.full += 1;
    const full = await walkSyncedFiles(root, '', rules, maxFileBytes);
    this.kept = keep(key, rules, full.files, new Map(full.skipped.map((s) => [s.path, s])), full.folders);
    return this.kept.result;
  }
}

function keep(key: string, rules: SyncRules, files: Map<string, ScannedFile>, skipped: Map<string, SkippedFile>, folders: Set<string>): Kept {
  return { key, files, skipped, folders, result: { files, skipped: [...skipped.values()], covers: coveredBy(rules) } };
}

/** The last scan with each changed path looked at again; null when only a full scan can tell (a name that is not UTF-8). */
async function update(root: string, rules: SyncRules, maxFileBytes: number, kept: Kept, changed: string[]): Promise<Kept | null> {
  // Copies: a status still reading the last result must not see it change under it.
  const files = new Map(kept.files);
  const skipped = new Map(kept.skipped);
  const folders = new Set(kept.folders);
  const covered = coveredBy(rules);
  // A folder before what is inside it: a folder that went takes everything under it in one
  // pass over the last scan, and the paths under it no longer need one each.
  for (const relative of [...changed].sort()) {
    if (isUndecodable(relative)) return null;
    const parent = relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
    // Only what the last scan would have listed: its folder was entered, and the rules are the same.
    if (!folders.has(parent)) continue;
    files.delete(relative);
    skipped.delete(relative);
    if (folders.has(relative)) forgetFolder(relative, files, skipped, folders);
    const stat = lstatSync(path.join(root, relative), { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) {
      if (!rules.entersFolder(relative)) continue;
      const walked = await walkSyncedFiles(root, relative, rules, maxFileBytes);
      for (const [file, scanned] of walked.files) files.set(file, scanned);
      for (const problem of walked.skipped) skipped.set(problem.path, problem);
      for (const folder of walked.folders) folders.add(folder);
    } else if (stat.isSymbolicLink()) {
      if (rules.syncsFile(relative)) skipped.set(relative, { path: relative, reason: SYMLINK_REASON });
    } else if (stat.isFile() && covered(relative)) {
      const tooLarge = sizeProblem(relative, stat, maxFileBytes);
      if (tooLarge) skipped.set(relative, tooLarge);
      else files.set(relative, scannedFile(relative, stat));
    }
  }
  return keep(kept.key, rules, files, skipped, folders);
}

/** Drops a folder that went (or is about to be walked again) and everything the last scan found under it. */
function forgetFolder(folder: string, files: Map<string, ScannedFile>, skipped: Map<string, SkippedFile>, folders: Set<string>): void {
  const prefix = `${folder}/`;
  folders.delete(folder);
  for (const known of folders) if (known.startsWith(prefix)) folders.delete(known);
  for (const file of files.keys()) if (file.startsWith(prefix)) files.delete(file);
  for (const problem of skipped.keys()) if (problem.startsWith(prefix)) skipped.delete(problem);
}

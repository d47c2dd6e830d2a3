import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SkippedFile } from '../models/results.js';
import type { FileStat, ScanResult } from '../workspace/file-scan.js';
import { findContentProblem } from '../workspace/content-check.js';
import {
  EXECUTABLE_FILE_MODE,
  isRegularFileMode,
  REGULAR_FILE_MODE,
  statDataOf,
  storedTimeMs,
  SYMLINK_MODE,
  type GitIndex,
  type IndexEntry,
  type StatData,
} from '../git/index-file.js';
import { hashObject, type ObjectSink } from '../git/objects.js';
import type { TreeEdit } from '../git/tree-edit.js';

/**
 * Timestamps are only trusted when the file is clearly older than the index that recorded
 * them; anything touched within this window of the index write is re-read ("racy git").
 * File systems with sub-second timestamps (ext4, xfs, btrfs, APFS, tmpfs) get a window of a
 * few clock ticks; one that records whole seconds (FAT, some network mounts) gets two seconds.
 */
const FINE_RACY_WINDOW_MS = 50;
const COARSE_RACY_WINDOW_MS = 2_000;

/** Files modified before this instant (ms) can be trusted by their stat data. */
function trustedBeforeMs(indexWrittenAtMs: number): number {
  return indexWrittenAtMs - (indexWrittenAtMs % 1_000 === 0 ? COARSE_RACY_WINDOW_MS : FINE_RACY_WINDOW_MS);
}

export type ChangeKind = 'added' | 'modified' | 'deleted';

/** Changes in path order (by UTF-16 code unit, as the rest of a snapshot is listed). */
export const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
export interface FileChange {
  path: string;
  kind: ChangeKind;
}

/**
 * When a batch of local changes was made, for the commit that records them: the newest edit
 * among them (the files' modification times, as the index records them), not the moment of the sync, so that
 * last-write-wins compares an edit made offline days ago with the other computers' edits by when
 * each was made. A removal has no time of its own; a batch with one is dated now. Never later
 * than now.
 */
export function editTimeOf(snapshot: Pick<Snapshot, 'changes' | 'entries'>, now: number): number {
  let newest = 0;
  for (const change of snapshot.changes) {
    const entry = snapshot.entries.get(change.path);
    if (change.kind === 'deleted' || !entry) return now;
    newest = Math.max(newest, entry.mtimeSeconds);
  }
  return newest === 0 ? now : Math.min(now, newest);
}

export interface Snapshot {
  /** the files of the next commit (the index's own map when nothing changed) */
  entries: ReadonlyMap<string, IndexEntry>;
  changes: FileChange[];
  skipped: SkippedFile[];
  /**
   * The current index with fresh stat data for files that were re-read but did not change:
   * writing it back keeps the next scan from reading them again.
   */
  refreshedIndex: Map<string, IndexEntry>;
  /** how many entries of refreshedIndex carry fresher stat data */
  refreshed: number;
}

/**
 * Whether a snapshot's fresher stat data is worth writing back: each refreshed entry spares
 * later commands reading that file again, while a rewrite costs the whole index (a tenth of a
 * second for 34,000 files). A handful of files in a large index are read again instead, until
 * the index is written for another reason. Leaving stat data as it was is always safe: a file
 * whose stat differs from its entry is read and compared.
 */
export function refreshWorthWriting(snapshot: Pick<Snapshot, 'refreshed' | 'refreshedIndex'>): boolean {
  return snapshot.refreshed > 0 && snapshot.refreshed * READS_SPARED_PER_REWRITE >= snapshot.refreshedIndex.size;
}

/** Entries one refreshed entry outweighs in a rewrite: reading and hashing a file against writing an entry. */
const READS_SPARED_PER_REWRITE = 100;

/**
 * Whether a file's stat is the one the index recorded, and old enough to trust (`trustedBefore`
 * from trustedBeforeMs, computed once per scan). The change time counts too, as in git: a
 * same-size edit that keeps the modification time (`cp -p`, `touch -r`) still changes it.
 * Times are compared as Node computes milliseconds, so to a quarter of a microsecond (git
 * compares whole seconds unless built with USE_NSEC); a time the index had to wrap (after 2106)
 * never matches, and the file is read instead.
 */
function statMatches(entry: IndexEntry, stat: FileStat, trustedBefore: number): boolean {
  if (entry.size !== stat.size || entry.ino !== stat.ino % 0x1_0000_0000) return false;
  if (storedTimeMs(entry.mtimeSeconds, entry.mtimeNanos) !== stat.mtimeMs || storedTimeMs(entry.ctimeSeconds, entry.ctimeNanos) !== stat.ctimeMs) return false;
  return stat.mtimeMs < trustedBefore;
}

export function entryFromStat(relativePath: string, oid: string, stat: StatData, mode = REGULAR_FILE_MODE): IndexEntry {
  return { path: relativePath, oid, mode, ...stat };
}

/** A file's content and its exact stat, taken on the open file before reading: a write during the read leaves a stat older than the content, which the next scan sees as a change. */
function readWithStat(file: string): { content: Buffer; stat: StatData } {
  const fd = openSync(file, 'r');
  try {
    const stat = statDataOf(fstatSync(fd, { bigint: true }));
    return { content: readFileSync(fd), stat };
  } finally {
    closeSync(fd);
  }
}

/** A file's mode keeps what it was (an executable stays one); anything new is a plain file. */
function modeAfterEdit(previous: IndexEntry | undefined): number {
  return previous?.mode === EXECUTABLE_FILE_MODE ? EXECUTABLE_FILE_MODE : REGULAR_FILE_MODE;
}

/**
 * Turns the scanned working tree into the entries of the next commit. Only files whose
 * stat differs from the index (or is racy) are read and hashed; a file that fails its
 * content check keeps its last committed version, so a half-written file is never committed.
 * Entries the scan does not cover are carried unchanged: paths the rules leave out (a README
 * someone added with git), symbolic links, submodules, and skip-worktree entries.
 */
export async function stageWorkingTree(
  root: string,
  scan: ScanResult,
  index: GitIndex,
  /** where new file contents are stored; without one they are only hashed (a dry run) */
  sink?: ObjectSink,
): Promise<Snapshot> {
  // Copied only when a stat is refreshed: a copy of a 300,000-entry index is not free.
  let refreshedIndex: Map<string, IndexEntry> | null = null;
  let refreshed = 0;
  const changes: FileChange[] = [];
  const skipped: SkippedFile[] = [...scan.skipped];
  // A symbolic link that came with the synced files is carried, not news on every sync.
  const reported = () => skipped.filter((s) => index.entries.get(s.path)?.mode !== SYMLINK_MODE);
  const toRead: string[] = [];
  const trustedBefore = trustedBeforeMs(index.writtenAtMs);
  // Index entries a scanned file accounts for: when that is all of them, none can have gone.
  let accounted = 0;
  for (const [relative, file] of scan.files) {
    const previous = index.entries.get(relative);
    if (previous) accounted += 1;
    // Not in this working tree on purpose (sparse checkout, or a name this file system folds).
    if (previous && (previous.skipWorktree || (!previous.intentToAdd && statMatches(previous, file, trustedBefore)))) continue;
    toRead.push(relative);
  }
  // Entries whose file is gone. Too large now, or unreadable: the last good version is kept rather
  // than deleted everywhere; anything sync does not stage from the working tree is carried as it is.
  const gone: [string, IndexEntry][] = [];
  if (accounted < index.entries.size) {
    const skippedPaths = new Set(skipped.map((s) => s.path));
    for (const [relative, previous] of index.entries) {
      if (scan.files.has(relative) || skippedPaths.has(relative) || previous.skipWorktree || !isRegularFileMode(previous.mode) || !scan.covers(relative))
        continue;
      gone.push([relative, previous]);
    }
  }
  // Most syncs find nothing changed: the next commit's files are then the index's, not a copy.
  if (toRead.length === 0 && gone.length === 0) return { entries: index.entries, changes, skipped: reported(), refreshedIndex: index.entries, refreshed };
  const entries = new Map(index.entries);
  for (const [position, relative] of toRead.entries()) {
    // Small files the kernel has cached read fastest synchronously; yield now and then so a
    // server running this stays responsive.
    if (position % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    const recorded = index.entries.get(relative);
    // `git add -N` recorded the path without content: for sync it is new.
    const previous = recorded?.intentToAdd ? undefined : recorded;
    let content: Buffer;
    let stat: StatData;
    try {
      ({ content, stat } = readWithStat(path.join(root, relative)));
    } catch {
      // unreadable: the last good version stays (a `git add -N` path has none)
      if (!previous) entries.delete(relative);
      continue;
    }
    const problem = findContentProblem(relative, content);
    if (problem) {
      // Kept as last committed; a `git add -N` path stays recorded without content.
      skipped.push({ path: relative, ...problem });
      continue;
    }
    const oid = sink ? await sink.write('blob', content) : hashObject('blob', content);
    // Record the size actually read: a file still growing is caught again next time.
    const entry = entryFromStat(relative, oid, { ...stat, size: content.length }, modeAfterEdit(previous));
    entries.set(relative, entry);
    if (previous?.oid === oid && previous.mode === entry.mode) {
      refreshedIndex ??= new Map(index.entries);
      refreshedIndex.set(relative, entry);
      refreshed += 1;
    }
    if (!previous) changes.push({ path: relative, kind: 'added' });
    else if (previous.oid !== oid || previous.mode !== entry.mode) changes.push({ path: relative, kind: 'modified' });
  }
  for (const [relative, previous] of gone) {
    entries.delete(relative);
    // A `git add -N` path whose file is gone was never committed: nothing to delete.
    if (!previous.intentToAdd) changes.push({ path: relative, kind: 'deleted' });
  }
  changes.sort(byPath);
  return { entries, changes, skipped: reported(), refreshedIndex: refreshedIndex ?? index.entries, refreshed };
}

/**
 * Takes changes back out of a snapshot: a held path keeps its committed version (or stays out,
 * when it has none), as if it had not changed. `held` names the folder held and why (reported
 * once per folder), or 'silent'. Used for work that must not be committed half-way, such as a
 * scenario whose simulation is still running, and for what the settings leave out.
 */
export function holdBack(snapshot: Snapshot, index: GitIndex, held: (relativePath: string) => SkippedFile | 'silent' | null): Snapshot {
  const changes: FileChange[] = [];
  const skipped = [...snapshot.skipped];
  const reported = new Set<string>();
  let entries: Map<string, IndexEntry> | null = null;
  for (const change of snapshot.changes) {
    const hold = held(change.path);
    if (hold === null) {
      changes.push(change);
      continue;
    }
    const previous = index.entries.get(change.path);
    // Copied on the first path that must go back: the snapshot's map may be the index's own.
    if ((entries ?? snapshot.entries).get(change.path) !== previous) {
      entries ??= new Map(snapshot.entries);
      if (previous) entries.set(change.path, previous);
      else entries.delete(change.path);
    }
    if (hold !== 'silent' && !reported.has(hold.path)) {
      reported.add(hold.path);
      skipped.push(hold);
    }
  }
  return { ...snapshot, entries: entries ?? snapshot.entries, changes, skipped };
}

/** The snapshot's changes as edits of the last commit's tree (see editTree). */
export function treeEditsOf(snapshot: Snapshot): TreeEdit[] {
  return snapshot.changes.map((change) => {
    const entry = change.kind === 'deleted' ? undefined : snapshot.entries.get(change.path);
    return { path: change.path, entry: entry ? { oid: entry.oid, mode: entry.mode.toString(8) } : null };
  });
}

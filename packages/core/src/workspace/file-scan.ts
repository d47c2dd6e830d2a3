import { lstatSync, readdirSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import type { SyncRules } from '../ignore/sync-rules.js';
import { DATABASE_FILE } from './paths.js';
import type { FolderListing, ScanCache } from './scan-cache.js';
import type { SkippedFile } from '../models/results.js';

/**
 * What a scan learns of a file from one lstat, enough to tell whether it changed since the index
 * recorded it. Times are in milliseconds as fs.Stats gives them (exact to a quarter of a
 * microsecond): an exact stat in BigInts cost more than the system call. What an index entry
 * records comes from an exact stat taken when the file is read (statDataOf).
 */
export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** One object per file (its stat data beside its path): a large root's scan keeps 34,000 of them. */
export interface ScannedFile extends FileStat {
  /** root-relative, forward slashes */
  path: string;
}

export interface ScanResult {
  files: Map<string, ScannedFile>;
  /**
   * root-relative paths of the NOTED_FILES found: present, neither synced nor read. Absent
   * where a view of the root does not keep them (ask the file system then).
   */
  noted?: Set<string>;
  /** Files that match the sync rules but are left out (symbolic links, too large). */
  skipped: SkippedFile[];
  /**
   * Whether this scan would have listed a file at that path had it been there: the rules sync
   * it and every folder on the way is entered. A path it does not cover is not sync's to delete.
   */
  covers(relativePath: string): boolean;
}

/** See ScanResult.covers. */
export function coveredBy(rules: SyncRules): (relativePath: string) => boolean {
  return (relativePath) => {
    const parts = relativePath.split('/');
    // A NUL marks a name from a tree that is not UTF-8 (see git/objects.ts): never a file here.
    if (parts[0] === '.git' || parts.some((part) => part.includes(UNDECODABLE) || part.includes('\0'))) return false;
    let folder = '';
    for (const part of parts.slice(0, -1)) {
      folder = folder ? `${folder}/${part}` : part;
      if (!rules.entersFolder(folder)) return false;
    }
    return rules.syncsFile(relativePath);
  };
}

export function scannedFile(relativePath: string, stat: Stats): ScannedFile {
  return { path: relativePath, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino };
}

/** Yield to the event loop this often, so a server scanning a large root stays responsive. */
const OPERATIONS_PER_SLICE = 2_000;

/**
 * Names that are not valid UTF-8 come back from the file system with U+FFFD in them: they
 * cannot be opened by that name nor stored the same way on every machine, so they are reported.
 */
const UNDECODABLE = '\uFFFD';
const NOT_UTF8_NAME = 'its name is not valid UTF-8 text: rename it to sync it';

/**
 * Lists the files sync carries, without reading any of them: folders the rules exclude
 * (databases, seeds, uploads, `.git`) are never entered, symbolic links never followed.
 * Directory listings and lstat are synchronous calls in slices: for metadata that the
 * kernel has cached they cost a few microseconds, against tens for a promise round trip.
 */
export async function scanSyncedFiles(root: string, rules: SyncRules, maxFileBytes: number, cache?: ScanCache): Promise<ScanResult> {
  const found = await walkSyncedFiles(root, '', rules, maxFileBytes, cache);
  cache?.retainOnly(found.folders);
  return { files: found.files, noted: found.noted, skipped: found.skipped, covers: coveredBy(rules) };
}

/** What a walk of one folder and everything under it found, and the folders it entered. */
export interface WalkResult {
  files: Map<string, ScannedFile>;
  noted: Set<string>;
  skipped: SkippedFile[];
  folders: Set<string>;
}

/** The walk of scanSyncedFiles, from `start` (root-relative; '' for the root itself). */
export async function walkSyncedFiles(root: string, start: string, rules: SyncRules, maxFileBytes: number, cache?: ScanCache): Promise<WalkResult> {
  const files = new Map<string, ScannedFile>();
  const noted = new Set<string>();
  const skipped: SkippedFile[] = [];
  const folders: string[] = [start];
  const seen = new Set<string>();
  // Paths are joined by hand: names come from listings (no `..`, no separators), and
  // path.join's normalising was a tenth of a large root's scan.
  const rootPrefix = root.endsWith(path.sep) ? root : root + path.sep;
  let operations = 0;
  // Counted inline, not awaited each time: a promise per file was most of the rest.
  const sliceEnded = () => ++operations % OPERATIONS_PER_SLICE === 0;
  const breathe = () => new Promise((resolve) => setImmediate(resolve));
  while (folders.length > 0) {
    const folder = folders.pop()!;
    const listing = listFolder(rootPrefix, folder, rules, cache);
    if (sliceEnded()) await breathe();
    if (!listing) continue;
    seen.add(folder);
    for (const name of listing.folders) {
      const relative = folder ? `${folder}/${name}` : name;
      if (name.includes(UNDECODABLE)) skipped.push({ path: relative, reason: NOT_UTF8_NAME });
      else folders.push(relative);
    }
    for (const name of listing.links) {
      skipped.push({ path: folder ? `${folder}/${name}` : name, reason: SYMLINK_REASON });
    }
    for (const name of listing.noted) noted.add(folder ? `${folder}/${name}` : name);
    for (const name of listing.files) {
      const relative = folder ? `${folder}/${name}` : name;
      if (name.includes(UNDECODABLE)) {
        skipped.push({ path: relative, reason: NOT_UTF8_NAME });
        continue;
      }
      const stat = lstatSync(rootPrefix + relative, { throwIfNoEntry: false });
      if (sliceEnded()) await breathe();
      if (!stat || !stat.isFile()) continue;
      const tooLarge = sizeProblem(relative, stat, maxFileBytes);
      if (tooLarge) skipped.push(tooLarge);
      else files.set(relative, scannedFile(relative, stat));
    }
  }
  return { files, noted, skipped, folders: seen };
}

/**
 * Files the scan notes when a listing shows them, though sync never carries them: whether a
 * run's results are here, which a status counts, without a stat per run.
 */
const NOTED_FILES: ReadonlySet<string> = new Set([DATABASE_FILE]);

export const SYMLINK_REASON = 'symbolic link: never followed or synced';

/** Whether a name cannot be synced as it is (see UNDECODABLE). */
export const isUndecodable = (relativePath: string): boolean => relativePath.includes(UNDECODABLE);

/** A file over sync.max_file_size_mb, as the scan reports it; null when it is within the limit. */
export function sizeProblem(relative: string, stat: Pick<Stats, 'size'>, maxFileBytes: number): SkippedFile | null {
  if (stat.size <= maxFileBytes) return null;
  return {
    path: relative,
    reason: `${(stat.size / 1048576).toFixed(1)} MB is over the ${(maxFileBytes / 1048576).toFixed(0)} MB limit (sync.max_file_size_mb)`,
  };
}

/** The entries of one folder that matter to sync: from the cache when the folder is unchanged, else listed. */
function listFolder(rootPrefix: string, folder: string, rules: SyncRules, cache?: ScanCache): FolderListing | null {
  const absolute = rootPrefix + folder;
  const stat = cache ? lstatSync(absolute, { throwIfNoEntry: false }) : undefined;
  if (cache && (!stat || !stat.isDirectory())) return null;
  const cached = stat ? cache!.get(folder, stat.mtimeMs, stat.ino) : null;
  if (cached) return cached;
  let dirents: Dirent[];
  try {
    dirents = readdirSync(absolute, { withFileTypes: true });
  } catch (error) {
    // A folder deleted while scanning simply has nothing to sync.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
  const listing: FolderListing = { folders: [], files: [], links: [], noted: [] };
  for (const dirent of dirents) {
    const relative = folder ? `${folder}/${dirent.name}` : dirent.name;
    if (folder === '' && dirent.name === '.git') continue;
    if (dirent.isDirectory()) {
      if (rules.entersFolder(relative)) listing.folders.push(dirent.name);
    } else if (dirent.isSymbolicLink()) {
      if (rules.syncsFile(relative)) listing.links.push(dirent.name);
    } else if (dirent.isFile() && rules.syncsFile(relative)) {
      listing.files.push(dirent.name);
    } else if (NOTED_FILES.has(dirent.name)) {
      listing.noted.push(dirent.name);
    }
  }
  if (stat) cache!.set(folder, stat.mtimeMs, stat.ino, listing);
  return listing;
}

import { lstatSync, readdirSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import type { SyncRules } from '../ignore/sync-rules.js';
import type { SkippedFile } from '../models/results.js';

export interface FileStat {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
}

export interface ScannedFile {
  /** root-relative, forward slashes */
  path: string;
  stat: FileStat;
}

export interface ScanResult {
  files: Map<string, ScannedFile>;
  /** Files that match the sync rules but are left out (symbolic links, too large). */
  skipped: SkippedFile[];
}

export function toFileStat(stat: BigIntStats): FileStat {
  return {
    size: Number(stat.size),
    mtimeNs: stat.mtimeNs,
    ctimeNs: stat.ctimeNs,
    dev: Number(stat.dev),
    ino: Number(stat.ino),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
  };
}

/** Yield to the event loop this often, so a server scanning a large root stays responsive. */
const OPERATIONS_PER_SLICE = 2_000;

/**
 * Lists the files sync carries, without reading any of them: folders the rules exclude
 * (databases, seeds, uploads, `.git`) are never entered, symbolic links never followed.
 * Directory listings and lstat are synchronous calls in slices: for metadata that the
 * kernel has cached they cost a few microseconds, against tens for a promise round trip.
 */
export async function scanSyncedFiles(root: string, rules: SyncRules, maxFileBytes: number): Promise<ScanResult> {
  const files = new Map<string, ScannedFile>();
  const skipped: SkippedFile[] = [];
  const folders: string[] = [''];
  let operations = 0;
  const breathe = async () => {
    operations += 1;
    if (operations % OPERATIONS_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
  };
  while (folders.length > 0) {
    const folder = folders.pop()!;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(path.join(root, folder), { withFileTypes: true });
    } catch (error) {
      // A folder deleted while scanning simply has nothing to sync.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw error;
    }
    await breathe();
    for (const dirent of dirents) {
      const relative = folder ? `${folder}/${dirent.name}` : dirent.name;
      if (folder === '' && dirent.name === '.git') continue;
      if (dirent.isDirectory()) {
        if (rules.entersFolder(relative)) folders.push(relative);
        continue;
      }
      if (dirent.isSymbolicLink()) {
        if (rules.syncsFile(relative)) skipped.push({ path: relative, reason: 'symbolic link: never followed or synced' });
        continue;
      }
      if (!dirent.isFile() || !rules.syncsFile(relative)) continue;
      const stat = lstatSync(path.join(root, relative), { bigint: true, throwIfNoEntry: false });
      await breathe();
      if (!stat || !stat.isFile()) continue;
      if (Number(stat.size) > maxFileBytes) {
        skipped.push({
          path: relative,
          reason: `${(Number(stat.size) / 1048576).toFixed(1)} MB is over the ${(maxFileBytes / 1048576).toFixed(0)} MB limit (sync.max_file_size_mb)`,
        });
        continue;
      }
      files.set(relative, { path: relative, stat: toFileStat(stat) });
    }
  }
  return { files, skipped };
}

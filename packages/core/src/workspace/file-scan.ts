import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { SyncRules } from '../ignore/sync-rules.js';
import type { SkippedFile } from '../models/results.js';
import { mapLimit } from '../util/concurrency.js';

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

const IO_CONCURRENCY = 64;

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

/**
 * Lists the files sync carries, without reading any of them: folders the rules exclude
 * (databases, seeds, uploads, `.git`) are never entered, symbolic links never followed.
 */
export async function scanSyncedFiles(root: string, rules: SyncRules, maxFileBytes: number): Promise<ScanResult> {
  const candidates: string[] = [];
  const skipped: SkippedFile[] = [];
  let folders: string[] = [''];
  while (folders.length > 0) {
    const listings = await mapLimit(folders, IO_CONCURRENCY, async (folder) => {
      try {
        return { folder, dirents: await fsp.readdir(path.join(root, folder), { withFileTypes: true }) };
      } catch (error) {
        // A folder deleted while scanning simply has nothing to sync.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { folder, dirents: [] };
        throw error;
      }
    });
    folders = [];
    for (const { folder, dirents } of listings) {
      for (const dirent of dirents) {
        const relative = folder ? `${folder}/${dirent.name}` : dirent.name;
        if (folder === '' && dirent.name === '.git') continue;
        if (dirent.isDirectory()) {
          if (rules.entersFolder(relative)) folders.push(relative);
        } else if (dirent.isFile()) {
          if (rules.syncsFile(relative)) candidates.push(relative);
        } else if (dirent.isSymbolicLink()) {
          if (rules.entersFolder(relative) && rules.syncsFile(relative)) {
            skipped.push({ path: relative, reason: 'symbolic link: never followed or synced' });
          }
        }
      }
    }
  }
  const files = new Map<string, ScannedFile>();
  const stats = await mapLimit(candidates, IO_CONCURRENCY, async (relative) => {
    try {
      return await fsp.lstat(path.join(root, relative), { bigint: true });
    } catch {
      return null;
    }
  });
  candidates.forEach((relative, i) => {
    const stat = stats[i];
    if (!stat || !stat.isFile()) return;
    if (Number(stat.size) > maxFileBytes) {
      skipped.push({
        path: relative,
        reason: `${(Number(stat.size) / 1048576).toFixed(1)} MB is over the ${(maxFileBytes / 1048576).toFixed(0)} MB limit (sync.max_file_size_mb)`,
      });
      return;
    }
    files.set(relative, { path: relative, stat: toFileStat(stat) });
  });
  return { files, skipped };
}

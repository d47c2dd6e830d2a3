import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { saveBackup } from '../conflict/backups.js';
import { tempSuffix } from '../fs/atomic-write.js';
import { RootWriter } from '../fs/safe-path.js';
import { entryWithoutStat, GITLINK_MODE, statDataOf, SYMLINK_MODE, type IndexEntry } from '../git/index-file.js';
import { displayPath, hashObject } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { entryFromStat } from './stage.js';
import type { PathChange } from '../git/tree-diff.js';
import type { SkippedFile } from '../models/results.js';
import { nameFolding, unplaceableReason, type NameFolding } from './file-names.js';

/**
 * Brings the working tree from one commit's files to another's, touching only the files that
 * changed, and keeps the index in step. A working file that is not the version being replaced
 * (something never committed, e.g. a file that failed its content check) is backed up first.
 * A file being replaced is written to a temp name and renamed, so readers never see half of
 * it; the calls are synchronous in slices, which for thousands of small files is several times
 * faster.
 *
 * Files keep their mode: executables are written executable, symbolic links as links (never
 * as a file holding the target's name, and never followed), submodules as an empty folder.
 * A path this machine cannot hold (a name that is not UTF-8 or not valid here, or one that
 * differs from another only in case on a file system that ignores case) is not written: it
 * stays in the index marked skip-worktree, so every commit carries it, and it is reported.
 */
export async function applyTreeChanges(
  repo: GitRepository,
  changes: PathChange[],
  entries: Map<string, IndexEntry>,
  /** paths whose working file belongs to another line (a workspace showing a branch): only the index follows */
  indexOnly: (relativePath: string) => boolean = () => false,
  /**
   * paths whose edits on this computer stay, whatever comes from the remote (a workspace kept
   * out of sync): an edited file is left as it is and only the index follows
   */
  keepsLocalEdits: (relativePath: string) => boolean = () => false,
): Promise<{ backedUp: string[]; notWritten: SkippedFile[] }> {
  const backedUp: string[] = [];
  const notWritten: SkippedFile[] = [];
  const writer = new RootWriter(repo.root);
  const folding = await nameFolding(repo);
  const folded = folding.active ? foldedPaths(entries, folding) : null;
  // Removals first: a file may give way to a folder of the same name, or to a name that differs only in case.
  const ordered = [...changes.filter((c) => c.after === null), ...changes.filter((c) => c.after !== null)];
  for (const [position, change] of ordered.entries()) {
    if (position % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    const mode = Number.parseInt(change.afterMode ?? '100644', 8);
    if (indexOnly(change.path)) {
      if (change.after === null) entries.delete(change.path);
      else entries.set(change.path, entryWithoutStat(change.path, change.after, mode));
      continue;
    }
    const previous = entries.get(change.path);
    if (folded && previous) folded.delete(folding.fold(change.path));
    if (change.after !== null) {
      const reason = unplaceableReason(change.path) ?? linkReason(mode) ?? collision(folded, folding, change.path);
      if (reason) {
        // Kept in the index (so every commit carries it) but not in this working tree.
        entries.set(change.path, { ...entryWithoutStat(change.path, change.after, mode), skipWorktree: true });
        notWritten.push({ path: displayPath(change.path), reason });
        continue;
      }
    }
    if (change.after === null && (previous?.skipWorktree || unplaceableReason(change.path))) {
      // Never written here, so nothing to remove from the working tree.
      entries.delete(change.path);
      continue;
    }
    const target = writer.prepare(change.path);
    const current = writer.inFolderItMade(change.path) ? null : currentBlob(target);
    if (current !== null) {
      const currentOid = hashObject('blob', current);
      if (currentOid !== change.after && currentOid !== change.before && keepsLocalEdits(change.path)) {
        // Kept as this computer has it: to sync, it reads as a local change, which stays held.
        if (change.after === null) entries.delete(change.path);
        else entries.set(change.path, entryWithoutStat(change.path, change.after, mode));
        continue;
      }
      if (currentOid !== change.after && currentOid !== change.before) {
        await saveBackup(repo.root, change.path, current, {
          side: 'working-copy',
          reason: 'uncommitted version replaced by a synced one',
          strategy: null,
          commit: null,
        });
        backedUp.push(change.path);
      }
    }
    if (change.after === null) {
      if (change.beforeMode === '160000') rmdirQuietly(target);
      else rmSync(target, { force: true });
      entries.delete(change.path);
      writer.removeEmptyFolders(change.path);
      continue;
    }
    if (mode === GITLINK_MODE) {
      // A submodule's files are another repository's: git leaves an empty folder in its place.
      mkdirSync(target, { recursive: true });
      entries.set(change.path, entryWithoutStat(change.path, change.after, mode));
      folded?.set(folding.fold(change.path), change.path);
      continue;
    }
    await writeEntry(repo, target, change.after, mode, current !== null);
    entries.set(change.path, entryFromStat(change.path, change.after, statDataOf(lstatSync(target, { bigint: true })), mode));
    folded?.set(folding.fold(change.path), change.path);
  }
  return { backedUp, notWritten };
}

/** What stands at a path now, as the blob git would store for it: a file's bytes or a link's target; null when nothing does. */
function currentBlob(target: string): Buffer | null {
  const stat = lstatSync(target, { throwIfNoEntry: false });
  if (!stat) return null;
  if (stat.isSymbolicLink()) return readlinkSync(target, { encoding: 'buffer' });
  if (stat.isFile()) return readFileSync(target);
  return null;
}

export async function writeEntry(repo: GitRepository, target: string, oid: string, mode: number, replacing: boolean): Promise<void> {
  const content = Buffer.from(await repo.readBlob(oid));
  const temp = `${target}.${tempSuffix()}`;
  if (mode === SYMLINK_MODE) {
    symlinkSync(content, temp);
    renameSync(temp, target);
    return;
  }
  const fileMode = mode === 0o100755 ? 0o755 : 0o644;
  if (!replacing) {
    // A new file: nobody can be reading it yet, and if a kill leaves it torn, the next sync
    // finds it matching neither version, backs it up and writes it again.
    writeFileSync(target, content, { flag: 'wx', mode: fileMode });
  } else {
    writeFileSync(temp, content, { mode: fileMode });
    renameSync(temp, target);
  }
}

/** Folded form → path of every entry written in this working tree, for a file system that folds names. */
function foldedPaths(entries: Map<string, IndexEntry>, folding: NameFolding): Map<string, string> {
  const folded = new Map<string, string>();
  for (const [entryPath, entry] of entries) if (!entry.skipWorktree) folded.set(folding.fold(entryPath), entryPath);
  return folded;
}

function collision(folded: Map<string, string> | null, folding: NameFolding, relativePath: string): string | null {
  const other = folded?.get(folding.fold(relativePath));
  if (!other || other === relativePath) return null;
  return `its name differs from ${other} only in ${folding.describe(other, relativePath)}, which this computer's file system does not tell apart: both are kept in the shared copy, only ${other} is written here`;
}

/** Windows creates symbolic links only for administrators or in developer mode: git writes none there either by default. */
function linkReason(mode: number): string | null {
  return mode === SYMLINK_MODE && process.platform === 'win32' ? 'symbolic link: kept in the shared copy, not created on Windows' : null;
}

function rmdirQuietly(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // not empty, or already gone: a submodule's own files are not sync's to remove
  }
}

import { lstatSync, mkdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { SyncError } from '../errors.js';

/**
 * Turns root-relative paths from a remote tree into places to write, refusing anything that
 * would land outside the root: `..` segments, absolute paths, `.git`, or a folder on the way
 * that is a symbolic link. Folders already checked (or created) are remembered, so writing
 * thousands of files costs one check per folder, not per file.
 */
export class RootWriter {
  private readonly checkedFolders = new Set<string>(['']);
  /** folders this writer made: nothing was in them before */
  private readonly madeFolders = new Set<string>();

  constructor(readonly root: string) {}

  /** The absolute path for a file, with its folders checked and created. */
  prepare(relativePath: string): string {
    const parts = relativePath.split('/');
    if (
      path.isAbsolute(relativePath) ||
      parts.some((p) => p === '' || p === '.' || p === '..' || (process.platform === 'win32' && p.includes('\\'))) ||
      parts[0] === '.git'
    ) {
      throw new SyncError(`Refusing to write "${relativePath}": the path leaves the workspaces root.`);
    }
    let folder = '';
    for (const part of parts.slice(0, -1)) {
      folder = folder ? `${folder}/${part}` : part;
      if (this.checkedFolders.has(folder)) continue;
      const absolute = path.join(this.root, folder);
      const stat = lstatSync(absolute, { throwIfNoEntry: false });
      if (stat?.isSymbolicLink()) throw new SyncError(`Refusing to write "${relativePath}": ${folder} is a symbolic link.`);
      if (!stat) {
        mkdirSync(absolute);
        this.madeFolders.add(folder);
      } else if (!stat.isDirectory()) throw new SyncError(`Cannot write "${relativePath}": ${folder} is a file, not a folder.`);
      this.checkedFolders.add(folder);
    }
    return path.join(this.root, ...parts);
  }

  /**
   * After a file is removed: removes its folders that are now empty, up to the root, as git
   * does, and forgets them, so a file written later in the same folder makes it again.
   */
  removeEmptyFolders(relativePath: string): void {
    let folder = path.posix.dirname(relativePath);
    while (folder !== '.' && folder !== '') {
      try {
        rmdirSync(path.join(this.root, folder));
      } catch {
        return;
      }
      this.checkedFolders.delete(folder);
      this.madeFolders.delete(folder);
      folder = path.posix.dirname(folder);
    }
  }

  /** True when the file's folder was made by this writer, so no older file can be there (a clone need not look). */
  inFolderItMade(relativePath: string): boolean {
    const slash = relativePath.lastIndexOf('/');
    return slash > 0 && this.madeFolders.has(relativePath.slice(0, slash));
  }
}

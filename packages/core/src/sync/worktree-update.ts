import { lstatSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { saveBackup } from '../conflict/backups.js';
import { tempSuffix } from '../fs/atomic-write.js';
import { RootWriter } from '../fs/safe-path.js';
import type { IndexEntry } from '../git/index-file.js';
import { hashObject } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { entryFromStat, entryWithoutStat } from '../git/stage.js';
import type { PathChange } from '../git/tree-diff.js';
import { toFileStat } from '../workspace/file-scan.js';

/**
 * Brings the working tree from one commit's files to another's, touching only the files that
 * changed, and keeps the index in step. A working file that is not the version being replaced
 * (something never committed, e.g. a file that failed its content check) is backed up first.
 * A file being replaced is written to a temp name and renamed, so readers never see half of
 * it; the calls are synchronous in slices, which for thousands of small files is several times
 * faster.
 */
export async function applyTreeChanges(
  repo: GitRepository,
  changes: PathChange[],
  entries: Map<string, IndexEntry>,
  /** paths whose working file belongs to another line (a workspace showing a branch): only the index follows */
  indexOnly: (relativePath: string) => boolean = () => false,
): Promise<{ backedUp: string[] }> {
  const backedUp: string[] = [];
  const writer = new RootWriter(repo.root);
  for (const [position, change] of changes.entries()) {
    if (position % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    if (indexOnly(change.path)) {
      if (change.after === null) entries.delete(change.path);
      else entries.set(change.path, entryWithoutStat(change.path, change.after));
      continue;
    }
    const target = writer.prepare(change.path);
    let current: Buffer | null = null;
    if (!writer.inFolderItMade(change.path)) {
      try {
        current = readFileSync(target);
      } catch {
        // nothing there yet
      }
    }
    if (current !== null) {
      const currentOid = hashObject('blob', current);
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
      rmSync(target, { force: true });
      entries.delete(change.path);
      removeEmptyParents(repo.root, path.dirname(target));
      continue;
    }
    const content = await repo.readBlob(change.after);
    if (current === null) {
      // A new file: nobody can be reading it yet, and if a kill leaves it torn, the next sync
      // finds it matching neither version, backs it up and writes it again.
      writeFileSync(target, content, { flag: 'wx' });
    } else {
      const temp = `${target}.${tempSuffix()}`;
      writeFileSync(temp, content);
      renameSync(temp, target);
    }
    entries.set(change.path, entryFromStat(change.path, change.after, toFileStat(lstatSync(target, { bigint: true }))));
  }
  return { backedUp };
}

function removeEmptyParents(root: string, folder: string): void {
  let current = folder;
  while (current.startsWith(root) && current !== root) {
    try {
      rmdirSync(current);
    } catch {
      return;
    }
    current = path.dirname(current);
  }
}

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { saveBackup } from '../conflict/backups.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { resolveInsideRoot } from '../fs/safe-path.js';
import type { IndexEntry } from '../git/index-file.js';
import { hashObject } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { entryFromStat } from '../git/stage.js';
import type { PathChange } from '../git/tree-diff.js';
import { toFileStat } from '../workspace/file-scan.js';
import { mapLimit } from '../util/concurrency.js';

/**
 * Brings the working tree from one commit's files to another's, touching only the files that
 * changed, and keeps the index in step. A working file that is not the version being replaced
 * (something never committed, e.g. a file that failed its content check) is backed up first.
 */
export async function applyTreeChanges(
  repo: GitRepository,
  changes: PathChange[],
  entries: Map<string, IndexEntry>,
): Promise<{ backedUp: string[] }> {
  const backedUp: string[] = [];
  await mapLimit(changes, 16, async (change) => {
    const target = await resolveInsideRoot(repo.root, change.path);
    const current = await fsp.readFile(target).catch(() => null);
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
      await fsp.rm(target, { force: true });
      entries.delete(change.path);
      await removeEmptyParents(repo.root, path.dirname(target));
      return;
    }
    const content = await repo.readBlob(change.after);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, content, { durable: false });
    const stat = await fsp.lstat(target, { bigint: true });
    entries.set(change.path, entryFromStat(change.path, change.after, toFileStat(stat)));
  });
  return { backedUp };
}

async function removeEmptyParents(root: string, folder: string): Promise<void> {
  let current = folder;
  while (current.startsWith(root) && current !== root) {
    try {
      await fsp.rmdir(current);
    } catch {
      return;
    }
    current = path.dirname(current);
  }
}

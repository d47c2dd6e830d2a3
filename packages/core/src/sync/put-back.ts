import { RootWriter } from '../fs/safe-path.js';
import { GITLINK_MODE } from '../git/index-file.js';
import type { PutBackResult } from '../models/conflicts.js';
import { withRootLock } from '../state/lock.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { scanWorkingTree, stageLocalWork } from './local-commit.js';
import { putBackMessage } from './messages.js';
import type { SyncContext } from './sync-context.js';
import { writeEntry } from './worktree-update.js';

/**
 * Writes back every synced file removed on this computer and not yet shared, from the last
 * synced version, as `git checkout HEAD -- <files>` would: the answer to a removal the delete
 * guard held ("this was not meant to leave every computer"). Edits are not touched.
 */
export async function putBackRemovedFiles(context: SyncContext): Promise<PutBackResult> {
  const { repo, root } = context;
  return withRootLock(repo.gitdir, 'restore', async () => {
    const { index, scan } = await scanWorkingTree(context);
    const snapshot = await stageLocalWork(context, scan, index);
    const removed = snapshot.changes.filter((change) => change.kind === 'deleted');
    const writer = new RootWriter(root);
    const workspaces = new Set<string>();
    let files = 0;
    for (const change of removed) {
      const entry = index.entries.get(change.path);
      // a submodule's folder is another repository's to fill
      if (!entry || entry.mode === GITLINK_MODE) continue;
      await writeEntry(repo, writer.prepare(change.path), entry.oid, entry.mode, false);
      files += 1;
      const workspace = placeOf(change.path).workspaceId;
      if (workspace) workspaces.add(workspace);
    }
    const names = new NameBook(root);
    const named = await Promise.all([...workspaces].map((id) => names.workspaceName(id)));
    return {
      files,
      workspaces: named,
      message: putBackMessage(files),
    };
  });
}

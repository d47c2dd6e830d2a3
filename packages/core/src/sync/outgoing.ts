import { writeIndex } from '../git/index-file.js';
import { withIndexLock } from '../git/index-lock.js';
import { PackBuilder } from '../git/pack-writer.js';
import { parentsFirst } from '../git/commit-order.js';
import { entryWithoutStat } from '../git/index-file.js';
import { diffTrees } from '../git/tree-diff.js';
import { editTree } from '../git/tree-edit.js';
import { readIndexOrCommit } from '../git/work-index.js';
import type { Hold } from '../workspace/selection.js';
import type { SyncContext } from './sync-context.js';

/**
 * What leaves this machine follows the settings as they are when it leaves, whatever was
 * committed before they changed: a workspace excluded after `init` committed it, runs beyond
 * `max_runs_per_scenario`, a workspace whose `auto_sync` is off during an automatic sync. Every
 * commit not yet on the remote is rewritten so that those paths are as the remote has them (or
 * absent), and a commit that carried nothing else disappears: neither the files nor any older
 * version of them reach the remote. The working files stay as they are; the index follows the
 * branch, so those files read as local changes the same settings keep holding back.
 *
 * Returns whether the branch moved.
 */
export async function withholdFromPush(context: SyncContext, remoteHead: string | null, withheld: Hold): Promise<boolean> {
  const { repo } = context;
  if (withheld.holdsNothing) return false;
  const head = await repo.resolveRef(context.branchRef);
  if (!head || head === remoteHead) return false;
  const remoteTree = remoteHead ? (await repo.readCommit(remoteHead)).tree : null;
  const outgoing = remoteHead ? (await repo.compareHistories(head, remoteHead)).onlyLocal : await repo.history(head);
  const order = await parentsFirst(repo, head, new Set(outgoing));
  const objects = new PackBuilder();
  const replaced = new Map<string, string>();
  /** trees of the commits written here, not stored until the end */
  const newTrees = new Map<string, string>();
  const treeOf = async (oid: string) => newTrees.get(oid) ?? (await repo.readCommit(oid)).tree;
  for (const oid of order) {
    const commit = await repo.readCommit(oid);
    const parents = commit.parents.map((parent) => replaced.get(parent) ?? parent);
    const held = (await diffTrees(repo, remoteTree, commit.tree)).filter((change) => withheld(change.path) !== null);
    if (held.length === 0 && parents.every((parent, i) => parent === commit.parents[i])) continue;
    const tree = await editTree(
      repo,
      commit.tree,
      held.map((change) => ({ path: change.path, entry: change.before ? { oid: change.before, mode: change.beforeMode! } : null })),
      objects,
    );
    if (parents.length === 1 && tree === (await treeOf(parents[0]))) {
      replaced.set(oid, parents[0]);
      continue;
    }
    const rewritten = await objects.write('commit', withTreeAndParents((await repo.readRawObject(oid)).content, tree, parents));
    replaced.set(oid, rewritten);
    newTrees.set(rewritten, tree);
  }
  const newHead = replaced.get(head);
  if (!newHead) return false;
  await objects.flush(repo.gitdir);
  await withIndexLock(repo.gitdir, async (lock) => {
    const [before, after] = await Promise.all([repo.readCommit(head), repo.readCommit(newHead)]);
    const index = await readIndexOrCommit(repo, context.branchRef);
    await repo.writeRef(context.branchRef, newHead, 'planalign-sync: push');
    for (const change of await diffTrees(repo, before.tree, after.tree)) {
      if (change.after === null) index.entries.delete(change.path);
      else index.entries.set(change.path, entryWithoutStat(change.path, change.after, Number.parseInt(change.afterMode!, 8)));
    }
    await writeIndex(repo.gitdir, index.entries.values(), index.version, lock);
  });
  return true;
}

/** A commit object with another tree and parents, everything else (authors, times, message) byte for byte. */
function withTreeAndParents(content: Buffer, tree: string, parents: string[]): Buffer {
  // latin1 maps each byte to one character and back: a message in any encoding is kept as it was.
  const text = content.toString('latin1');
  const split = text.indexOf('\n\n');
  const headers = text
    .slice(0, split)
    .split('\n')
    .filter((line) => !line.startsWith('tree ') && !line.startsWith('parent '));
  return Buffer.from(`${[`tree ${tree}`, ...parents.map((p) => `parent ${p}`), ...headers].join('\n')}${text.slice(split)}`, 'latin1');
}

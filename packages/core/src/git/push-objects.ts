import type { ObjectType } from './objects.js';

/** What the walk reads (a GitRepository): it needs nothing else, and so does not import it. */
export interface CommitAndTreeReader {
  readCommit(oid: string): Promise<{ tree: string }>;
  readTree(oid: string): Promise<{ name: string; oid: string; type: 'blob' | 'tree' | 'commit' }[]>;
}

export interface ObjectRef {
  oid: string;
  type: ObjectType;
}

/**
 * The objects a push must send: the new commits, and the trees and files of each that the
 * remote's tree does not already have. Folders equal to the remote's are skipped unread, so
 * the work follows the size of the change, not of the root.
 */
export async function collectObjectsToSend(repo: CommitAndTreeReader, newCommits: string[], remoteTree: string | null): Promise<ObjectRef[]> {
  const chosen = new Set<string>();
  const objects: ObjectRef[] = [];
  const take = (oid: string, type: ObjectType) => {
    chosen.add(oid);
    objects.push({ oid, type });
  };
  const walk = async (tree: string, remote: string | null): Promise<void> => {
    if (tree === remote || chosen.has(tree)) return;
    take(tree, 'tree');
    const [items, remoteItems] = await Promise.all([
      repo.readTree(tree),
      remote ? repo.readTree(remote).then((list) => new Map(list.map((i) => [i.name, i]))) : Promise.resolve(new Map()),
    ]);
    for (const item of items) {
      const counterpart = remoteItems.get(item.name);
      if (item.type === 'tree') await walk(item.oid, counterpart?.type === 'tree' ? counterpart.oid : null);
      else if (item.type === 'blob' && counterpart?.oid !== item.oid && !chosen.has(item.oid)) take(item.oid, 'blob');
    }
  };
  for (const commit of newCommits) {
    take(commit, 'commit');
    await walk((await repo.readCommit(commit)).tree, remoteTree);
  }
  return objects;
}

import { serializeTree, TREE_MODE, writeLooseObject } from './objects.js';
import type { GitRepository, TreeItem } from './repository.js';

/**
 * A new root tree: `into`'s top-level entries, with those named in `take` replaced by `from`'s
 * (or dropped where `from` has none), and `set` entries put in place. Subtrees are shared, so
 * only the root tree object is written: fast whatever the size of the workspaces moved.
 */
export async function composeRootTree(
  repo: GitRepository,
  into: string | null,
  from: string | null,
  take: (name: string) => boolean,
  set: TreeItem[] = [],
): Promise<string> {
  const entries = new Map<string, TreeItem>();
  for (const item of into ? await repo.readTree(into) : []) if (!take(item.name)) entries.set(item.name, item);
  for (const item of from ? await repo.readTree(from) : []) if (take(item.name)) entries.set(item.name, item);
  for (const item of set) entries.set(item.name, item);
  const content = serializeTree([...entries.values()].map((item) => ({ mode: item.type === 'tree' ? TREE_MODE : item.mode, name: item.name, oid: item.oid })));
  return writeLooseObject(repo.gitdir, 'tree', content);
}

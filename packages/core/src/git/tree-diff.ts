import type { GitRepository, TreeItem } from './repository.js';

export interface PathChange {
  path: string;
  before: string | null;
  after: string | null;
  /** git's mode of each side ('100644', '100755', '120000', '160000'), when that side has the path */
  beforeMode?: string;
  afterMode?: string;
}

async function itemsOf(repo: GitRepository, tree: string | null): Promise<Map<string, TreeItem>> {
  if (!tree) return new Map();
  return new Map((await repo.readTree(tree)).map((item) => [item.name, item]));
}

/**
 * Paths that differ between two trees: files and symbolic links, and with `gitlinks` also
 * submodule entries (whose "id" is a commit). Folders whose ids are equal are skipped without
 * being read, so a small change in a large root costs a handful of tree reads.
 */
export async function diffTrees(
  repo: GitRepository,
  before: string | null,
  after: string | null,
  prefix = '',
  options: { gitlinks?: boolean } = {},
): Promise<PathChange[]> {
  const changes: PathChange[] = [];
  await diffInto(changes, repo, before, after, prefix, options);
  return changes;
}

/** diffTrees into one list: a folder's changes are not copied up level by level (nor spread, which fails past about 120,000). */
async function diffInto(
  changes: PathChange[],
  repo: GitRepository,
  before: string | null,
  after: string | null,
  prefix: string,
  options: { gitlinks?: boolean },
): Promise<void> {
  if (before === after) return;
  const [a, b] = await Promise.all([itemsOf(repo, before), itemsOf(repo, after)]);
  const leaf = (item: TreeItem | undefined) => (item && (item.type === 'blob' || (options.gitlinks && item.type === 'commit')) ? item : undefined);
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    if (x?.oid === y?.oid && x?.mode === y?.mode) continue;
    const path = prefix ? `${prefix}/${name}` : name;
    const xTree = x?.type === 'tree' ? x.oid : null;
    const yTree = y?.type === 'tree' ? y.oid : null;
    if (xTree || yTree) await diffInto(changes, repo, xTree, yTree, path, options);
    const xLeaf = leaf(x);
    const yLeaf = leaf(y);
    if (xLeaf?.oid !== yLeaf?.oid || xLeaf?.mode !== yLeaf?.mode) {
      changes.push({
        path,
        before: xLeaf?.oid ?? null,
        after: yLeaf?.oid ?? null,
        ...(xLeaf ? { beforeMode: xLeaf.mode } : {}),
        ...(yLeaf ? { afterMode: yLeaf.mode } : {}),
      });
    }
  }
}

/** Every file of a tree, path → blob id. */
export async function listTreeFiles(repo: GitRepository, tree: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const change of await diffTrees(repo, null, tree)) files.set(change.path, change.after!);
  return files;
}

/** The entry at a path of a tree (a file or a folder), or null. */
async function itemAtPath(repo: GitRepository, tree: string | null, filePath: string): Promise<TreeItem | null> {
  let current = tree;
  const parts = filePath.split('/');
  for (let i = 0; i < parts.length && current; i += 1) {
    const item = (await repo.readTree(current)).find((entry) => entry.name === parts[i]);
    if (!item) return null;
    if (i === parts.length - 1) return item;
    current = item.type === 'tree' ? item.oid : null;
  }
  return null;
}

/** The blob at a path of a tree, or null. */
export async function blobAtPath(repo: GitRepository, tree: string | null, filePath: string): Promise<string | null> {
  const item = await itemAtPath(repo, tree, filePath);
  return item?.type === 'blob' ? item.oid : null;
}

/** The content of the file at a path of a tree, or null when there is none. */
export async function fileAtPath(repo: GitRepository, tree: string | null, filePath: string): Promise<Uint8Array | null> {
  const oid = await blobAtPath(repo, tree, filePath);
  return oid ? repo.readBlob(oid) : null;
}

/** The folder (tree) at a path of a tree, or null. */
export async function treeAtPath(repo: GitRepository, tree: string | null, folderPath: string): Promise<string | null> {
  const item = await itemAtPath(repo, tree, folderPath);
  return item?.type === 'tree' ? item.oid : null;
}

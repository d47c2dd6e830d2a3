import type { GitRepository, TreeItem } from '../git/repository.js';
import { serializeTree, writeLooseObject, TREE_MODE } from '../git/objects.js';

/** One file changed on both sides since their common ancestor (null = absent on that side). */
export interface FileConflict {
  path: string;
  base: string | null;
  ours: string | null;
  theirs: string | null;
  /** the side without the file has a folder of the same name there, which the merge keeps */
  replacedByFolder?: boolean;
}

/** How a conflict ended: the blob to keep (null deletes the file). */
export interface FileResolution {
  oid: string | null;
}

export type ConflictResolver = (conflict: FileConflict) => Promise<FileResolution>;

interface Side {
  item: TreeItem | undefined;
}

async function childrenOf(repo: GitRepository, item: TreeItem | undefined): Promise<Map<string, TreeItem>> {
  if (!item || item.type !== 'tree') return new Map();
  return new Map((await repo.readTree(item.oid)).map((child) => [child.name, child]));
}

const blobOid = (item: TreeItem | undefined) => (item && item.type === 'blob' ? item.oid : null);

/**
 * Three-way merge of two trees by path. Folders changed on one side only are taken whole;
 * only files changed on both sides reach the resolver. Returns the merged root tree id.
 */
export async function mergeTrees(repo: GitRepository, base: string | null, ours: string, theirs: string, resolve: ConflictResolver): Promise<string> {
  const asTree = (oid: string | null): TreeItem | undefined => (oid ? { name: '', oid, mode: TREE_MODE, type: 'tree' } : undefined);
  const merged = await mergeItem(repo, '', { item: asTree(base) }, { item: asTree(ours) }, { item: asTree(theirs) }, resolve);
  if (!merged) return writeLooseObject(repo.gitdir, 'tree', Buffer.alloc(0));
  return merged.oid;
}

async function mergeItem(repo: GitRepository, path: string, base: Side, ours: Side, theirs: Side, resolve: ConflictResolver): Promise<TreeItem | undefined> {
  const b = base.item;
  const o = ours.item;
  const t = theirs.item;
  // Equal means the same content and the same mode: a file made executable on one side is a change.
  const same = (x: TreeItem | undefined, y: TreeItem | undefined) => x?.oid === y?.oid && x?.type === y?.type && x?.mode === y?.mode;
  if (same(o, t)) return o;
  if (same(b, o)) return t;
  if (same(b, t)) return o;
  // A submodule moved on both sides: keep this side's commit (the other is in the history); never drop it.
  if (o?.type === 'commit' || t?.type === 'commit') return o ?? t;
  const anyTree = [o, t].some((item) => item?.type === 'tree');
  const anyBlob = [o, t].some((item) => item?.type === 'blob');
  if (anyTree && !anyBlob) {
    // Both sides changed this folder (or one deleted it): merge it entry by entry.
    const [bc, oc, tc] = await Promise.all([childrenOf(repo, b), childrenOf(repo, o), childrenOf(repo, t)]);
    const entries: { mode: string; name: string; oid: string }[] = [];
    for (const name of new Set([...oc.keys(), ...tc.keys(), ...bc.keys()])) {
      const child = await mergeItem(repo, path ? `${path}/${name}` : name, { item: bc.get(name) }, { item: oc.get(name) }, { item: tc.get(name) }, resolve);
      if (child) entries.push({ mode: child.mode, name, oid: child.oid });
    }
    if (entries.length === 0) return undefined;
    const oid = await writeLooseObject(repo.gitdir, 'tree', serializeTree(entries));
    return { name: path.split('/').pop() ?? '', oid, mode: TREE_MODE, type: 'tree' };
  }
  if (anyTree && anyBlob) {
    // A file on one side where the other has a folder: both cannot have the path, so the
    // folder stays and the resolver keeps the file (changed since the base) in a backup.
    const treeSide = o?.type === 'tree' ? o : t;
    const fileSide = o?.type === 'blob' ? 'ours' : 'theirs';
    await resolve({
      path,
      base: blobOid(b),
      ours: fileSide === 'ours' ? blobOid(o) : null,
      theirs: fileSide === 'theirs' ? blobOid(t) : null,
      replacedByFolder: true,
    });
    return treeSide;
  }
  const resolution = await resolve({ path, base: blobOid(b), ours: blobOid(o), theirs: blobOid(t) });
  if (!resolution.oid) return undefined;
  // A mode changed on one side only survives whichever content wins.
  const mode =
    o && t && o.mode !== t.mode && (o.mode === b?.mode || t.mode === b?.mode)
      ? o.mode === b?.mode
        ? t.mode
        : o.mode
      : ((resolution.oid === t?.oid ? t?.mode : o?.mode) ?? t?.mode ?? '100644');
  return { name: path.split('/').pop() ?? '', oid: resolution.oid, mode, type: 'blob' };
}

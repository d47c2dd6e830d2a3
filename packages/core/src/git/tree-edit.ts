import { hashObject, serializeTree, TREE_MODE, type ObjectSink, type TreeEntry } from './objects.js';
import type { GitRepository } from './repository.js';

/** A file to put at a path (mode as git writes it: '100644', '100755', '120000'), or null to remove it. */
export interface TreeEdit {
  path: string;
  entry: { oid: string; mode: string } | null;
}

interface EditNode {
  /** set when this path itself is edited */
  edit?: TreeEdit['entry'];
  children: Map<string, EditNode>;
}

function editNodes(edits: TreeEdit[]): EditNode {
  const root: EditNode = { children: new Map() };
  for (const edit of edits) {
    let node = root;
    for (const part of edit.path.split('/')) {
      let child = node.children.get(part);
      if (!child) {
        child = { children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    node.edit = edit.entry;
  }
  return root;
}

/**
 * A new tree: `base` with the edits applied and nothing else changed. Every entry the edits
 * do not name is carried as it is, byte for byte: files the sync rules do not cover (a README
 * added on the host's web page), modes, symbolic links, submodules, names that are not UTF-8.
 * Only the folders on the way to an edit are read and written, so the cost follows the edits,
 * not the size of the root. A folder left empty disappears, as in git.
 */
export async function editTree(repo: GitRepository, base: string | null, edits: TreeEdit[], sink: ObjectSink): Promise<string> {
  const written = new Set<string>();
  const apply = async (tree: string | null, node: EditNode): Promise<string | null> => {
    const entries = new Map<string, TreeEntry>();
    for (const item of tree ? await repo.readTree(tree) : []) entries.set(item.name, { mode: item.mode, name: item.name, oid: item.oid });
    for (const [name, child] of node.children) {
      if (child.edit) {
        // A file now (a folder of that name, if any, had its files removed by the same edits).
        entries.set(name, { mode: child.edit.mode, name, oid: child.edit.oid });
      } else if (child.children.size > 0) {
        // Files inside it change: it is (or becomes) a folder, whatever stood at its name before.
        const current = entries.get(name);
        const folder = await apply(current?.mode === TREE_MODE ? current.oid : null, child);
        if (folder) entries.set(name, { mode: TREE_MODE, name, oid: folder });
        else entries.delete(name);
      } else if (child.edit === null) {
        entries.delete(name);
      }
    }
    if (entries.size === 0) return null;
    const content = serializeTree([...entries.values()]);
    const oid = hashObject('tree', content);
    if (oid !== tree && !written.has(oid)) {
      written.add(oid);
      await sink.write('tree', content);
    }
    return oid;
  };
  const root = await apply(base, editNodes(edits));
  if (root) return root;
  // Every file removed: git's empty tree.
  return sink.write('tree', Buffer.alloc(0));
}

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { hashObject, serializeTree, TREE_MODE, FILE_MODE, type ObjectSink, type TreeEntry } from './objects.js';

interface Folder {
  files: Map<string, string>;
  folders: Map<string, Folder>;
}

function emptyFolder(): Folder {
  return { files: new Map(), folders: new Map() };
}

/**
 * Tree ids this repository is known to hold, kept in `.git/` so that a commit only writes
 * the folders that changed: hashing a tree in memory is cheap, writing thousands is not.
 */
export class KnownTrees {
  private constructor(
    private readonly file: string,
    private readonly ids: Set<string>,
  ) {}

  static async load(gitdir: string): Promise<KnownTrees> {
    const file = path.join(gitdir, 'planalign-sync', 'known-trees');
    try {
      const text = await fsp.readFile(file, 'utf8');
      return new KnownTrees(file, new Set(text.split('\n').filter((line) => line.length === 40)));
    } catch {
      return new KnownTrees(file, new Set());
    }
  }

  has(oid: string): boolean {
    return this.ids.has(oid);
  }

  /** Replaces the list with the trees of the latest commit (older ones are still stored, just not listed). */
  async save(current: Iterable<string>): Promise<void> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, [...current].join('\n'));
  }
}

/** Builds and stores the tree of a set of files (root-relative path → blob id); returns the root tree id. */
export async function writeTreeFromFiles(
  sink: ObjectSink,
  files: Iterable<[string, string]>,
  known: KnownTrees,
): Promise<{ oid: string; trees: string[] }> {
  const root = emptyFolder();
  for (const [filePath, oid] of files) {
    const parts = filePath.split('/');
    let folder = root;
    for (let i = 0; i < parts.length - 1; i += 1) {
      let child = folder.folders.get(parts[i]);
      if (!child) {
        child = emptyFolder();
        folder.folders.set(parts[i], child);
      }
      folder = child;
    }
    folder.files.set(parts[parts.length - 1], oid);
  }
  const trees: string[] = [];
  const pendingWrites: Buffer[] = [];
  const hashFolder = (folder: Folder): string => {
    const entries: TreeEntry[] = [];
    for (const [name, oid] of folder.files) entries.push({ mode: FILE_MODE, name, oid });
    for (const [name, child] of folder.folders) entries.push({ mode: TREE_MODE, name, oid: hashFolder(child) });
    const content = serializeTree(entries);
    const oid = hashObject('tree', content);
    trees.push(oid);
    if (!known.has(oid)) pendingWrites.push(content);
    return oid;
  };
  const oid = hashFolder(root);
  for (const content of pendingWrites) await sink.write('tree', content);
  return { oid, trees };
}

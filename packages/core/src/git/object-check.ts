import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ObjectNotFoundError, parseCommit, parseTree } from './object-reader.js';
import { hashObject, TREE_MODE, type ObjectType } from './objects.js';
import type { GitRepository } from './repository.js';

/**
 * Reads back every object reachable from the refs given, as `git fsck --full` walks them: each
 * commit's tree and parents, each tree's entries, each tag's target, every blob in full. An
 * object counts as sound only when it reads, is of the type that points at it, and its bytes
 * hash to its name. Nothing is written.
 */
export interface ObjectCheck {
  /** objects read */
  objects: number;
  /** what is missing or damaged, one line each (the first few) */
  damage: string[];
  /** how many objects are missing or damaged in all */
  damaged: number;
  /** the largest file in the history, by the path it was first met under */
  largestBlob: { oid: string; path: string; bytes: number } | null;
}

const DAMAGE_SHOWN = 10;
/** Let a server answering other requests breathe this often. */
const OBJECTS_PER_SLICE = 500;

interface Pending {
  oid: string;
  expected: ObjectType | null;
  /** where it was met, for messages: a ref, a commit's tree or parent, a file's path */
  where: string;
  /** its path in the tree it belongs to ('' for a root tree, a commit or a tag) */
  path: string;
}

/** Commits named in `.git/shallow`: their parents are absent on purpose. */
async function shallowCommits(gitdir: string): Promise<Set<string>> {
  const text = await fsp.readFile(path.join(gitdir, 'shallow'), 'utf8').catch(() => '');
  return new Set(text.split('\n').filter((line) => /^[0-9a-f]{40}$/.test(line)));
}

export async function checkReachableObjects(repo: GitRepository, tips: Map<string, string>): Promise<ObjectCheck> {
  const shallow = await shallowCommits(repo.gitdir);
  const seen = new Set<string>();
  const stack: Pending[] = [...tips].map(([ref, oid]) => ({ oid, expected: null, where: ref, path: '' }));
  const damage: string[] = [];
  let damaged = 0;
  let objects = 0;
  let largestBlob: ObjectCheck['largestBlob'] = null;
  const report = (item: Pending, what: string) => {
    damaged += 1;
    if (damage.length < DAMAGE_SHOWN) damage.push(`${item.oid} (${item.expected ?? 'object'} at ${item.where}): ${what}`);
  };
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (seen.has(item.oid)) continue;
    seen.add(item.oid);
    objects += 1;
    if (objects % OBJECTS_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    let object;
    try {
      object = await repo.readRawObject(item.oid);
    } catch (error) {
      report(item, error instanceof ObjectNotFoundError ? 'missing' : (error as Error).message);
      continue;
    }
    if (item.expected && object.type !== item.expected) {
      report(item, `is a ${object.type}`);
      continue;
    }
    if (hashObject(object.type, object.content) !== item.oid) {
      report(item, 'its bytes do not hash to its name');
      continue;
    }
    const short = item.oid.slice(0, 10);
    switch (object.type) {
      case 'commit': {
        const commit = parseCommit(object.content);
        stack.push({ oid: commit.tree, expected: 'tree', where: `the tree of commit ${short}`, path: '' });
        if (shallow.has(item.oid)) break;
        for (const parent of commit.parents) stack.push({ oid: parent, expected: 'commit', where: `a parent of commit ${short}`, path: '' });
        break;
      }
      case 'tree':
        for (const entry of parseTree(object.content)) {
          // A submodule's commit lives in another repository.
          if (entry.mode === '160000') continue;
          const entryPath = item.path ? `${item.path}/${entry.name}` : entry.name;
          stack.push({ oid: entry.oid, expected: entry.mode === TREE_MODE ? 'tree' : 'blob', where: entryPath, path: entryPath });
        }
        break;
      case 'tag': {
        const target = /^object ([0-9a-f]{40})$/m.exec(object.content.toString('latin1'))?.[1];
        if (target) stack.push({ oid: target, expected: null, where: `the target of tag ${short}`, path: '' });
        break;
      }
      case 'blob':
        if (!largestBlob || object.content.length > largestBlob.bytes) largestBlob = { oid: item.oid, path: item.path, bytes: object.content.length };
        break;
    }
  }
  return { objects, damage, damaged, largestBlob };
}

/** Bytes the object store takes on disk: packs, their indexes and loose objects (alternates not counted). */
export async function objectStoreBytes(gitdir: string): Promise<number> {
  const objectsDir = path.join(gitdir, 'objects');
  let total = 0;
  const sizeOf = async (file: string) => (await fsp.stat(file).catch(() => null))?.size ?? 0;
  for (const name of await fsp.readdir(objectsDir).catch(() => [] as string[])) {
    if (name !== 'pack' && !/^[0-9a-f]{2}$/.test(name)) continue;
    const folder = path.join(objectsDir, name);
    for (const file of await fsp.readdir(folder).catch(() => [] as string[])) total += await sizeOf(path.join(folder, file));
  }
  return total;
}

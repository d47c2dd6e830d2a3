import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { tempSuffix } from '../fs/atomic-write.js';

/**
 * Writing Git objects directly: hashing and storing thousands of small files through
 * isomorphic-git's high-level calls is several times slower than this, and staging only
 * needs to write what is new.
 */
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export const FILE_MODE = '100644';
export const TREE_MODE = '40000';

export function objectHeader(type: ObjectType, length: number): Buffer {
  return Buffer.from(`${type} ${length}\0`);
}

export function hashObject(type: ObjectType, content: Uint8Array): string {
  return createHash('sha1').update(objectHeader(type, content.length)).update(content).digest('hex');
}

export function looseObjectPath(gitdir: string, oid: string): string {
  return path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
}

/** Where new objects go: loose files one by one, or a pack for many at once (see pack-writer.ts). */
export interface ObjectSink {
  write(type: ObjectType, content: Uint8Array): Promise<string>;
}

const knownFanoutFolders = new Set<string>();

/** Stores an object as a loose file. Written through a rename, so a kill never leaves half an object. */
export async function writeLooseObject(gitdir: string, type: ObjectType, content: Uint8Array): Promise<string> {
  const oid = hashObject(type, content);
  const target = looseObjectPath(gitdir, oid);
  const folder = path.dirname(target);
  if (!knownFanoutFolders.has(folder)) {
    await fsp.mkdir(folder, { recursive: true });
    knownFanoutFolders.add(folder);
  }
  const compressed = deflateSync(Buffer.concat([objectHeader(type, content.length), content]), { level: 1 });
  const temp = `${target}.${tempSuffix()}`;
  try {
    await fsp.writeFile(temp, compressed, { mode: 0o444 });
  } catch (error) {
    // A native `git gc` removes the fan-out folders it emptied, even ones this process made.
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(temp, compressed, { mode: 0o444 });
  }
  // Renaming over an existing copy is harmless: same id, same bytes.
  await fsp.rename(temp, target);
  return oid;
}

export function looseObjectSink(gitdir: string): ObjectSink {
  return { write: (type, content) => writeLooseObject(gitdir, type, content) };
}

export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

/** Git orders tree entries by name, comparing folder names as if they ended in '/'. */
function treeSortKey(entry: TreeEntry): string {
  return entry.mode === TREE_MODE ? `${entry.name}/` : entry.name;
}

export function serializeTree(entries: TreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => {
    const ka = treeSortKey(a);
    const kb = treeSortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    parts.push(Buffer.from(`${entry.mode} ${entry.name}\0`), Buffer.from(entry.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

export interface Signature {
  name: string;
  email: string;
  /** seconds since the epoch */
  timestamp: number;
  /** minutes, as Date.getTimezoneOffset() gives it */
  timezoneOffset: number;
}

function formatSignature(sig: Signature): string {
  const offset = -sig.timezoneOffset;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const tz = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${sig.name} <${sig.email}> ${sig.timestamp} ${tz}`;
}

export function serializeCommit(commit: {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}): Buffer {
  const lines = [`tree ${commit.tree}`, ...commit.parents.map((p) => `parent ${p}`)];
  lines.push(`author ${formatSignature(commit.author)}`, `committer ${formatSignature(commit.committer)}`);
  const message = commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`);
}

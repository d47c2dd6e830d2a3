import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateObject } from './zlib-sized.js';
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

/**
 * Stores an object as a loose file. Written through a rename, so a kill never leaves half an
 * object; with synchronous calls, as sync writes only a handful of objects loose (many go
 * into a pack) and a promise per call cost more than the writing.
 */
export async function writeLooseObject(gitdir: string, type: ObjectType, content: Uint8Array): Promise<string> {
  const oid = hashObject(type, content);
  const target = looseObjectPath(gitdir, oid);
  const folder = path.dirname(target);
  if (!knownFanoutFolders.has(folder)) {
    mkdirSync(folder, { recursive: true });
    knownFanoutFolders.add(folder);
  }
  const compressed = deflateObject(Buffer.concat([objectHeader(type, content.length), content]));
  const temp = `${target}.${tempSuffix()}`;
  try {
    writeFileSync(temp, compressed, { mode: 0o444 });
  } catch (error) {
    // A native `git gc` removes the fan-out folders it emptied, even ones this process made.
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    mkdirSync(folder, { recursive: true });
    writeFileSync(temp, compressed, { mode: 0o444 });
  }
  // Renaming over an existing copy is harmless: same id, same bytes.
  renameSync(temp, target);
  return oid;
}

export function looseObjectSink(gitdir: string): ObjectSink {
  return { write: (type, content) => writeLooseObject(gitdir, type, content) };
}

export interface TreeEntry {
  mode: string;
  /** the name; one that is not UTF-8 is carried as rawTreeName's marker form */
  name: string;
  oid: string;
}

/**
 * Tree entry names that are not valid UTF-8 (written by some other tool) are carried as a NUL
 * followed by their bytes in hex: no real name holds a NUL, so the form cannot collide with
 * one, and serializeTree writes the original bytes back. Such a name is never written to disk.
 */
const RAW_NAME_MARK = '\0';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeTreeName(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return RAW_NAME_MARK + Buffer.from(bytes).toString('hex');
  }
}

export function isRawTreeName(name: string): boolean {
  return name.includes(RAW_NAME_MARK);
}

export function treeNameBytes(name: string): Buffer {
  return name.startsWith(RAW_NAME_MARK) ? Buffer.from(name.slice(1), 'hex') : Buffer.from(name);
}

/** A root-relative path's bytes as git stores them, each marker-form name turned back into its bytes. */
export function pathBytes(relativePath: string): Buffer {
  if (!relativePath.includes(RAW_NAME_MARK)) return Buffer.from(relativePath);
  return Buffer.concat(relativePath.split('/').flatMap((part, i) => (i === 0 ? [treeNameBytes(part)] : [SLASH, treeNameBytes(part)])));
}

/** A path git stored, as a string: UTF-8 as is, any other name of it in marker form (see decodeTreeName). */
export function decodePath(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return decodePathAt(buffer, 0, buffer.length);
}

/** decodePath of `buffer[start, end)`, without a copy: the common case is one native decode. */
export function decodePathAt(buffer: Buffer, start: number, end: number): string {
  const text = buffer.toString('utf8', start, end);
  // Invalid bytes decode to U+FFFD; only then (or for a real U+FFFD) is the slow check needed.
  if (!text.includes('\uFFFD')) return text;
  const bytes = buffer.subarray(start, end);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const parts: string[] = [];
    let from = 0;
    for (let i = 0; i <= bytes.length; i += 1) {
      if (i === bytes.length || bytes[i] === 0x2f) {
        parts.push(decodeTreeName(bytes.subarray(from, i)));
        from = i + 1;
      }
    }
    return parts.join('/');
  }
}

/** A path for people to read: a name that is not UTF-8 shows its other bytes as \xNN. */
export function displayPath(relativePath: string): string {
  if (!relativePath.includes(RAW_NAME_MARK)) return relativePath;
  return relativePath
    .split('/')
    .map((part) =>
      part.startsWith(RAW_NAME_MARK)
        ? [...treeNameBytes(part)]
            .map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`))
            .join('')
        : part,
    )
    .join('/');
}

/**
 * Git orders tree entries by the bytes of their names, comparing folder names as if they
 * ended in '/' (UTF-16 order differs for characters beyond U+FFFF, and git fsck rejects it).
 */
export function serializeTree(entries: TreeEntry[]): Buffer {
  const keyed = entries.map((entry) => {
    const name = treeNameBytes(entry.name);
    return { entry, name, key: entry.mode === TREE_MODE ? Buffer.concat([name, SLASH]) : name };
  });
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [];
  for (const { entry, name } of keyed) {
    parts.push(Buffer.from(`${entry.mode} `), name, NUL, Buffer.from(entry.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

const SLASH = Buffer.from('/');
const NUL = Buffer.alloc(1);

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

export function serializeCommit(commit: { tree: string; parents: string[]; author: Signature; committer: Signature; message: string }): Buffer {
  const lines = [`tree ${commit.tree}`, ...commit.parents.map((p) => `parent ${p}`)];
  lines.push(`author ${formatSignature(commit.author)}`, `committer ${formatSignature(commit.committer)}`);
  const message = commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`);
}

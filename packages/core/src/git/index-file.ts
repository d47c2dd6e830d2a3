import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * Reads and writes `.git/index` (version 2), the stat cache that lets a no-change status
 * skip hashing every file. Native git reads what this writes, so `git status` in the root
 * agrees with planalign-sync.
 */
export interface IndexEntry {
  path: string;
  oid: string;
  mode: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
}

export interface GitIndex {
  entries: Map<string, IndexEntry>;
  /** When the index file was last written; entries modified at or after it are "racy". */
  writtenAtNs: bigint;
}

const SIGNATURE = 'DIRC';
const NS = 1_000_000_000n;
const U32 = 0x1_0000_0000;

export function indexPath(gitdir: string): string {
  return path.join(gitdir, 'index');
}

export async function readIndex(gitdir: string): Promise<GitIndex> {
  const file = indexPath(gitdir);
  let buffer: Buffer;
  let writtenAtNs: bigint;
  try {
    const [content, stat] = await Promise.all([fsp.readFile(file), fsp.stat(file, { bigint: true })]);
    buffer = content;
    writtenAtNs = stat.mtimeNs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map(), writtenAtNs: 0n };
    throw error;
  }
  return { entries: parseIndex(buffer), writtenAtNs };
}

export function parseIndex(buffer: Buffer): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  if (buffer.length < 32 || buffer.toString('latin1', 0, 4) !== SIGNATURE) return entries;
  const checksum = createHash('sha1').update(buffer.subarray(0, buffer.length - 20)).digest();
  // A torn or foreign index is only a cache: start from empty and everything is re-hashed.
  if (!checksum.equals(buffer.subarray(buffer.length - 20))) return entries;
  const version = buffer.readUInt32BE(4);
  if (version !== 2 && version !== 3) return entries;
  const count = buffer.readUInt32BE(8);
  let offset = 12;
  for (let i = 0; i < count; i += 1) {
    const start = offset;
    const ctimeNs = BigInt(buffer.readUInt32BE(offset)) * NS + BigInt(buffer.readUInt32BE(offset + 4));
    const mtimeNs = BigInt(buffer.readUInt32BE(offset + 8)) * NS + BigInt(buffer.readUInt32BE(offset + 12));
    const dev = buffer.readUInt32BE(offset + 16);
    const ino = buffer.readUInt32BE(offset + 20);
    const mode = buffer.readUInt32BE(offset + 24);
    const uid = buffer.readUInt32BE(offset + 28);
    const gid = buffer.readUInt32BE(offset + 32);
    const size = buffer.readUInt32BE(offset + 36);
    const oid = buffer.toString('hex', offset + 40, offset + 60);
    const flags = buffer.readUInt16BE(offset + 60);
    offset += 62;
    if (version === 3 && flags & 0x4000) offset += 2;
    const nameEnd = buffer.indexOf(0, offset);
    const name = buffer.toString('utf8', offset, nameEnd);
    const stage = (flags >> 12) & 0x3;
    const entryLength = nameEnd - start;
    offset = start + Math.ceil((entryLength + 1) / 8) * 8;
    if (stage === 0) entries.set(name, { path: name, oid, mode, size, mtimeNs, ctimeNs, dev, ino, uid, gid });
  }
  return entries;
}

/**
 * Entries in the order git keeps them: by the bytes of their UTF-8 paths. Plain string order
 * is the same for ASCII paths, and much cheaper than comparing encoded bytes 6 million times
 * for a root of 300,000 files; any other path is compared by its bytes.
 */
function sortedByPathBytes(entries: Iterable<IndexEntry>): { entry: IndexEntry; name: Buffer }[] {
  const named = [...entries].map((entry) => ({ entry, name: Buffer.from(entry.path) }));
  const ascii = named.every(({ entry, name }) => name.length === entry.path.length);
  if (ascii) return named.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
  return named.sort((a, b) => Buffer.compare(a.name, b.name));
}

export function serializeIndex(entries: Iterable<IndexEntry>): Buffer {
  const sorted = sortedByPathBytes(entries);
  const recordLength = (name: Buffer) => Math.ceil((62 + name.length + 1) / 8) * 8;
  const bodyLength = sorted.reduce((total, { name }) => total + recordLength(name), 12);
  // One zeroed buffer for everything: records are padded with NULs.
  const output = Buffer.alloc(bodyLength + 20);
  output.write(SIGNATURE, 0, 'latin1');
  output.writeUInt32BE(2, 4);
  output.writeUInt32BE(sorted.length, 8);
  let offset = 12;
  for (const { entry, name } of sorted) {
    output.writeUInt32BE(Number(entry.ctimeNs / NS) % U32, offset);
    output.writeUInt32BE(Number(entry.ctimeNs % NS), offset + 4);
    output.writeUInt32BE(Number(entry.mtimeNs / NS) % U32, offset + 8);
    output.writeUInt32BE(Number(entry.mtimeNs % NS), offset + 12);
    output.writeUInt32BE(entry.dev % U32, offset + 16);
    output.writeUInt32BE(entry.ino % U32, offset + 20);
    output.writeUInt32BE(entry.mode, offset + 24);
    output.writeUInt32BE(entry.uid % U32, offset + 28);
    output.writeUInt32BE(entry.gid % U32, offset + 32);
    output.writeUInt32BE(entry.size % U32, offset + 36);
    output.write(entry.oid, offset + 40, 'hex');
    output.writeUInt16BE(Math.min(name.length, 0xfff), offset + 60);
    name.copy(output, offset + 62);
    offset += recordLength(name);
  }
  createHash('sha1').update(output.subarray(0, bodyLength)).digest().copy(output, bodyLength);
  return output;
}

export async function writeIndex(gitdir: string, entries: Iterable<IndexEntry>): Promise<void> {
  await writeFileAtomic(indexPath(gitdir), serializeIndex(entries));
}

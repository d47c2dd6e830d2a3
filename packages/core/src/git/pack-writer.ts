import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { deflateObject } from './zlib-sized.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { mapLimit } from '../util/concurrency.js';
import { hashObject, writeLooseObject, type ObjectSink, type ObjectType } from './objects.js';
import { TYPE_CODES } from './pack-format.js';

interface PendingObject {
  oid: string;
  type: ObjectType;
  content: Uint8Array;
}

/** Fewer new objects than this are stored loose; more go into one pack. */
const PACK_THRESHOLD = 64;

/** The variable-length type-and-size header that starts each object in a pack. */
/** A pack entry's type-and-size header, for any type code (deltas included). */
export function entryTypeAndSize(typeCode: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (typeCode << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/** One pack entry: the type-and-size header, then the content compressed. */
export function encodePackEntry(type: ObjectType, content: Uint8Array): Buffer {
  return Buffer.concat([entryTypeAndSize(TYPE_CODES[type], content.length), deflateObject(content)]);
}

/** The 12 bytes that start a pack (version 2) of `count` entries. */
export function packHeader(count: number): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(count, 8);
  return header;
}

/** How much of a streamed pack is gathered before it is handed on: large enough for few writes, small enough to keep memory flat. */
const STREAM_CHUNK_BYTES = 1 << 20;

/**
 * A pack of `count` entries produced one by one, in chunks of about 1 MB, with its checksum
 * at the end: a push of 300,000 files holds one chunk in memory, not the whole pack, and the
 * upload starts while the rest is still being read.
 */
export async function* streamPack(count: number, entries: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const checksum = createHash('sha1');
  let chunk: Buffer[] = [packHeader(count)];
  let chunkBytes = 12;
  let written = 0;
  const handOn = () => {
    const bytes = Buffer.concat(chunk, chunkBytes);
    checksum.update(bytes);
    chunk = [];
    chunkBytes = 0;
    return bytes;
  };
  for await (const entry of entries) {
    chunk.push(entry);
    chunkBytes += entry.length;
    written += 1;
    if (chunkBytes >= STREAM_CHUNK_BYTES) yield handOn();
  }
  if (written !== count) throw new Error(`the pack announced ${count} objects but ${written} were given`);
  if (chunkBytes > 0) yield handOn();
  yield checksum.digest();
}

/**
 * Collects new objects and stores them as one pack (version 2, no deltas) with its index.
 * Storing thousands of new files as one pack costs a few writes instead of several system
 * calls per object, and a push later copies these entries as they are.
 */
export class PackBuilder implements ObjectSink {
  /** objects held whole while they are few: a handful is stored loose */
  private whole: PendingObject[] = [];
  /** once there are enough for a pack, each object's entry, compressed as it arrives, so memory follows the pack's size */
  private readonly entries: { oid: string; entry: Buffer }[] = [];
  private readonly seen = new Set<string>();

  get size(): number {
    return this.whole.length + this.entries.length;
  }

  has(oid: string): boolean {
    return this.seen.has(oid);
  }

  async write(type: ObjectType, content: Uint8Array): Promise<string> {
    const oid = hashObject(type, content);
    this.add(oid, type, content);
    return oid;
  }

  add(oid: string, type: ObjectType, content: Uint8Array): void {
    if (this.seen.has(oid)) return;
    this.seen.add(oid);
    this.whole.push({ oid, type, content });
    if (this.size >= PACK_THRESHOLD) this.compressHeld();
  }

  private compressHeld(): void {
    for (const o of this.whole) this.entries.push({ oid: o.oid, entry: encodePackEntry(o.type, o.content) });
    this.whole = [];
  }

  /** The pack file's bytes: header, entries, SHA-1 trailer. */
  pack(): { bytes: Buffer; entries: PackIndexEntry[] } {
    this.compressHeld();
    const index: PackIndexEntry[] = [];
    let offset = 12;
    for (const { oid, entry } of this.entries) {
      index.push({ oid, offset, crc: crc32(entry) });
      offset += entry.length;
    }
    const body = Buffer.concat([packHeader(this.entries.length), ...this.entries.map((e) => e.entry)], offset);
    const checksum = createHash('sha1').update(body).digest();
    return { bytes: Buffer.concat([body, checksum]), entries: index };
  }

  /** Stores the pack in `.git/objects/pack/`: pack first, index last, so a reader never finds an index without its pack. */
  async store(gitdir: string): Promise<string | null> {
    if (this.size === 0) return null;
    const { bytes, entries } = this.pack();
    return storePack(gitdir, bytes, entries);
  }

  /** Stores what was collected: loose when it is a handful, as one pack when it is many. */
  async flush(gitdir: string): Promise<void> {
    if (this.entries.length > 0) await this.store(gitdir);
    else await mapLimit(this.whole, 16, (o) => writeLooseObject(gitdir, o.type, o.content));
    this.whole = [];
    this.entries.length = 0;
    this.seen.clear();
  }
}

export interface PackIndexEntry {
  oid: string;
  offset: number;
  crc: number;
}

/** The `.idx` (version 2) that lets readers find objects in a pack. */
export function buildPackIndex(entries: PackIndexEntry[], packChecksum: Buffer): Buffer {
  const order = entries.map((e) => ({ oid: Buffer.from(e.oid, 'hex'), crc: e.crc, offset: e.offset }));
  order.sort((a, b) => Buffer.compare(a.oid, b.oid));
  const fanout = Buffer.alloc(256 * 4);
  const counts = new Array<number>(256).fill(0);
  for (const item of order) counts[item.oid[0]] += 1;
  let running = 0;
  for (let i = 0; i < 256; i += 1) {
    running += counts[i];
    fanout.writeUInt32BE(running, i * 4);
  }
  const crcTable = Buffer.alloc(order.length * 4);
  const small = Buffer.alloc(order.length * 4);
  const large: Buffer[] = [];
  order.forEach((item, i) => {
    crcTable.writeUInt32BE(item.crc >>> 0, i * 4);
    if (item.offset < 0x80000000) small.writeUInt32BE(item.offset, i * 4);
    else {
      small.writeUInt32BE((0x80000000 | large.length) >>> 0, i * 4);
      const big = Buffer.alloc(8);
      big.writeBigUInt64BE(BigInt(item.offset));
      large.push(big);
    }
  });
  const body = Buffer.concat([Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]), fanout, ...order.map((o) => o.oid), crcTable, small, ...large, packChecksum]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/**
 * Stores a pack and its index in `.git/objects/pack/`: pack first, index last, so a reader
 * never finds an index without its pack.
 */
export async function storePack(gitdir: string, pack: Buffer, entries: PackIndexEntry[]): Promise<string> {
  const checksum = pack.subarray(pack.length - 20);
  const name = `pack-${checksum.toString('hex')}`;
  const folder = path.join(gitdir, 'objects', 'pack');
  await fsp.mkdir(folder, { recursive: true });
  await writeFileAtomic(path.join(folder, `${name}.pack`), pack, { mode: 0o444 });
  await writeFileAtomic(path.join(folder, `${name}.idx`), buildPackIndex(entries, checksum), { mode: 0o444 });
  return name;
}

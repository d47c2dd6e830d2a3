import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { mapLimit } from '../util/concurrency.js';
import { hashObject, writeLooseObject, type ObjectSink, type ObjectType } from './objects.js';

const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

interface PendingObject {
  oid: string;
  type: ObjectType;
  content: Uint8Array;
}

/** Fewer new objects than this are stored loose; more go into one pack. */
const PACK_THRESHOLD = 64;

/** The variable-length type-and-size header that starts each object in a pack. */
function entryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (TYPE_CODES[type] << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/**
 * Collects objects and builds one pack (version 2, no deltas) with its index. Storing
 * thousands of new files as one pack costs a few writes instead of several system calls per
 * object, and the same pack bytes are what a push sends.
 */
export class PackBuilder implements ObjectSink {
  private readonly objects: PendingObject[] = [];
  private readonly seen = new Set<string>();

  get size(): number {
    return this.objects.length;
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
    this.objects.push({ oid, type, content });
  }

  /** The pack file's bytes: header, entries, SHA-1 trailer. */
  pack(): { bytes: Buffer; offsets: number[]; crcs: number[] } {
    const header = Buffer.alloc(12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(this.objects.length, 8);
    const entries = this.objects.map((o) => Buffer.concat([entryHeader(o.type, o.content.length), deflateSync(o.content, { level: 1 })]));
    const offsets: number[] = [];
    let offset = 12;
    for (const entry of entries) {
      offsets.push(offset);
      offset += entry.length;
    }
    const body = Buffer.concat([header, ...entries]);
    const checksum = createHash('sha1').update(body).digest();
    return { bytes: Buffer.concat([body, checksum]), offsets, crcs: entries.map((e) => crc32(e)) };
  }

  /** Stores the pack in `.git/objects/pack/`: pack first, index last, so a reader never finds an index without its pack. */
  async store(gitdir: string): Promise<string | null> {
    if (this.objects.length === 0) return null;
    const { bytes, offsets, crcs } = this.pack();
    return storePack(gitdir, bytes, this.objects.map((o, i) => ({ oid: o.oid, offset: offsets[i], crc: crcs[i] })));
  }

  /** Stores what was collected: loose when it is a handful, as one pack when it is many. */
  async flush(gitdir: string): Promise<void> {
    if (this.objects.length >= PACK_THRESHOLD) await this.store(gitdir);
    else await mapLimit(this.objects, 16, (o) => writeLooseObject(gitdir, o.type, o.content));
    this.objects.length = 0;
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

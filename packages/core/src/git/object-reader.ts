import { closeSync, openSync, promises as fsp, readSync } from 'node:fs';
import path from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { decodeTreeName, looseObjectPath, type ObjectType } from './objects.js';

/**
 * Reads Git objects from loose files and packs. isomorphic-git looks for each object by
 * listing the pack folder and probing the loose file first, which turns reading a tree of
 * 30,000 files into seconds of system calls; here pack indexes are parsed once and objects are
 * found by binary search.
 */
export interface RawObject {
  type: ObjectType;
  content: Buffer;
}

export const PACK_TYPES: Record<number, ObjectType | undefined> = { 1: 'commit', 2: 'tree', 3: 'blob' };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

interface Pack {
  file: string;
  /** fan-out table: objects whose first byte is <= i */
  fanout: Uint32Array;
  oids: Buffer;
  /** each entry's CRC-32, in the order of `oids` */
  crcs: Buffer;
  offsets: number[];
  /** every entry's offset, sorted, to know where each compressed entry ends */
  sortedOffsets: number[];
  packEnd: number;
}

export interface PackEntryHeader {
  typeCode: number;
  /** where the compressed data starts */
  dataStart: number;
  /** for an offset delta: where its base starts in the same pack */
  baseOffset?: number;
  /** for a reference delta: its base's id */
  baseOid?: string;
}

/** Reads the type, size and delta base that start a pack entry. */
export function parsePackEntryHeader(data: Buffer, offset: number): PackEntryHeader {
  let position = offset;
  let byte = data[position];
  position += 1;
  const typeCode = (byte >> 4) & 0x7;
  while (byte & 0x80) {
    byte = data[position];
    position += 1;
  }
  if (typeCode === OFS_DELTA) {
    byte = data[position];
    position += 1;
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = data[position];
      position += 1;
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    return { typeCode, dataStart: position, baseOffset: offset - distance };
  }
  if (typeCode === REF_DELTA) return { typeCode, dataStart: position + 20, baseOid: data.toString('hex', position, position + 20) };
  return { typeCode, dataStart: position };
}

export class ObjectNotFoundError extends Error {
  constructor(readonly oid: string) {
    super(`object ${oid} is not in this repository`);
  }
}

function parseIndex(file: string, buffer: Buffer): Omit<Pack, 'packEnd'> {
  if (buffer.readUInt32BE(0) !== 0xff744f63 || buffer.readUInt32BE(4) !== 2) throw new Error(`${file}: unsupported pack index`);
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) fanout[i] = buffer.readUInt32BE(8 + i * 4);
  const count = fanout[255];
  const namesStart = 8 + 256 * 4;
  const oids = buffer.subarray(namesStart, namesStart + count * 20);
  const crcs = buffer.subarray(namesStart + count * 20, namesStart + count * 24);
  const offsetsStart = namesStart + count * 20 + count * 4;
  const largeStart = offsetsStart + count * 4;
  const offsets: number[] = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const small = buffer.readUInt32BE(offsetsStart + i * 4);
    offsets[i] = small & 0x80000000 ? Number(buffer.readBigUInt64BE(largeStart + (small & 0x7fffffff) * 8)) : small;
  }
  return { file, fanout, oids, crcs, offsets, sortedOffsets: [...offsets].sort((a, b) => a - b) };
}

/** Applies a Git delta (copy/insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let position = 0;
  const readSize = () => {
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = delta[position];
      position += 1;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return size;
  };
  const baseSize = readSize();
  if (baseSize !== base.length) throw new Error('delta does not match its base');
  const result = Buffer.alloc(readSize());
  let written = 0;
  while (position < delta.length) {
    const op = delta[position];
    position += 1;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit += 1) {
        if (op & (1 << bit)) {
          offset += delta[position] * 2 ** (8 * bit);
          position += 1;
        }
      }
      for (let bit = 0; bit < 3; bit += 1) {
        if (op & (0x10 << bit)) {
          size += delta[position] * 2 ** (8 * bit);
          position += 1;
        }
      }
      if (size === 0) size = 0x10000;
      written += base.copy(result, written, offset, offset + size);
    } else if (op > 0) {
      written += delta.copy(result, written, position, position + op);
      position += op;
    } else {
      throw new Error('invalid delta instruction');
    }
  }
  return result;
}

/**
 * Open pack files, most recently used last. Packs never change once written (their name is
 * their checksum), so a descriptor stays good; a few are kept open for the whole process.
 */
const openPacks = new Map<string, number>();
const MAX_OPEN_PACKS = 8;

function packDescriptor(file: string): number {
  const known = openPacks.get(file);
  if (known !== undefined) {
    openPacks.delete(file);
    openPacks.set(file, known);
    return known;
  }
  const fd = openSync(file, 'r');
  openPacks.set(file, fd);
  if (openPacks.size > MAX_OPEN_PACKS) {
    const [oldest, oldFd] = openPacks.entries().next().value!;
    openPacks.delete(oldest);
    closeSync(oldFd);
  }
  return fd;
}

/** Bytes [start, end) of a pack file. */
function readPackRange(file: string, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(end - start);
  const fd = packDescriptor(file);
  for (let done = 0; done < buffer.length; ) {
    const read = readSync(fd, buffer, done, buffer.length - done, start + done);
    if (read === 0) throw new Error(`${file} ends before offset ${end}`);
    done += read;
  }
  return buffer;
}

export class ObjectReader {
  private packs: Pack[] | null = null;
  /** delta bases read recently (a tree's entries often share one) */
  private readonly baseCache = new Map<string, RawObject>();

  constructor(private readonly gitdir: string) {}

  /** Forget the pack list, e.g. after a fetch added a pack. */
  invalidate(): void {
    this.packs = null;
  }

  private async loadPacks(): Promise<Pack[]> {
    if (this.packs) return this.packs;
    const folder = path.join(this.gitdir, 'objects', 'pack');
    const names = await fsp.readdir(folder).catch(() => [] as string[]);
    const packs: Pack[] = [];
    for (const name of names.filter((n) => n.endsWith('.idx'))) {
      const packFile = path.join(folder, name.replace(/\.idx$/, '.pack'));
      try {
        const [index, stat] = await Promise.all([fsp.readFile(path.join(folder, name)), fsp.stat(packFile)]);
        packs.push({ ...parseIndex(name, index), packEnd: stat.size - 20, file: packFile });
      } catch {
        // An index without its pack (an interrupted fetch) holds nothing readable.
      }
    }
    this.packs = packs;
    return packs;
  }

  private static find(pack: Pack, oid: Buffer): number {
    let low = oid[0] === 0 ? 0 : pack.fanout[oid[0] - 1];
    let high = pack.fanout[oid[0]] - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const cmp = pack.oids.compare(oid, 0, 20, middle * 20, middle * 20 + 20);
      if (cmp === 0) return middle;
      if (cmp < 0) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  private async readPacked(pack: Pack, offset: number): Promise<RawObject> {
    // Only this entry is read: a large root's pack is tens of MB, and one object needs a few hundred bytes.
    const entry = readPackRange(pack.file, offset, this.entryEnd(pack, offset));
    const header = parsePackEntryHeader(entry, 0);
    const compressed = entry.subarray(header.dataStart);
    if (header.baseOffset !== undefined) {
      const baseOffset = offset + header.baseOffset;
      const baseKey = `${pack.file}:${baseOffset}`;
      const base = this.baseCache.get(baseKey) ?? (await this.readPacked(pack, baseOffset));
      this.remember(baseKey, base);
      return { type: base.type, content: applyDelta(base.content, inflateSync(compressed)) };
    }
    if (header.baseOid !== undefined) {
      const base = this.baseCache.get(header.baseOid) ?? (await this.read(header.baseOid));
      this.remember(header.baseOid, base);
      return { type: base.type, content: applyDelta(base.content, inflateSync(compressed)) };
    }
    const type = PACK_TYPES[header.typeCode];
    if (!type) throw new Error(`unsupported object type ${header.typeCode} in ${pack.file}`);
    return { type, content: inflateSync(compressed) };
  }

  private entryEnd(pack: Pack, offset: number): number {
    const list = pack.sortedOffsets;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (list[middle] <= offset) low = middle + 1;
      else high = middle - 1;
    }
    return low < list.length ? list[low] : pack.packEnd;
  }

  private remember(key: string, object: RawObject): void {
    if (this.baseCache.size > 256) this.baseCache.delete(this.baseCache.keys().next().value!);
    this.baseCache.set(key, object);
  }

  private async readLoose(oid: string): Promise<RawObject | null> {
    let compressed: Buffer;
    try {
      compressed = await fsp.readFile(looseObjectPath(this.gitdir, oid));
    } catch {
      return null;
    }
    const raw = inflateSync(compressed);
    const space = raw.indexOf(0x20);
    const nul = raw.indexOf(0, space);
    const type = raw.toString('latin1', 0, space) as ObjectType;
    return { type, content: raw.subarray(nul + 1) };
  }

  async read(oid: string): Promise<RawObject> {
    const key = Buffer.from(oid, 'hex');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      for (const pack of await this.loadPacks()) {
        const index = ObjectReader.find(pack, key);
        if (index >= 0) return this.readPacked(pack, pack.offsets[index]);
      }
      const loose = await this.readLoose(oid);
      if (loose) return loose;
      // A pack may have arrived since the list was read.
      this.invalidate();
    }
    throw new ObjectNotFoundError(oid);
  }

  /**
   * The object's pack entry exactly as stored (type-and-size header, then compressed data),
   * so a push can send it without inflating and compressing it again, as git does. Null when
   * the object is loose or stored as a delta, or when the entry fails its CRC check (the
   * caller then reads the object the usual way, which reports the damage).
   */
  async readPackEntry(oid: string): Promise<Buffer | null> {
    const key = Buffer.from(oid, 'hex');
    for (const pack of await this.loadPacks()) {
      const index = ObjectReader.find(pack, key);
      if (index < 0) continue;
      const offset = pack.offsets[index];
      const entry = readPackRange(pack.file, offset, this.entryEnd(pack, offset));
      if (!PACK_TYPES[parsePackEntryHeader(entry, 0).typeCode]) return null;
      return crc32(entry) === pack.crcs.readUInt32BE(index * 4) ? entry : null;
    }
    return null;
  }

  async has(oid: string): Promise<boolean> {
    try {
      await this.read(oid);
      return true;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    }
  }
}

/** Parses a tree object's entries. */
export function parseTree(content: Buffer): { mode: string; name: string; oid: string }[] {
  const entries: { mode: string; name: string; oid: string }[] = [];
  let position = 0;
  while (position < content.length) {
    const space = content.indexOf(0x20, position);
    const nul = content.indexOf(0, space);
    entries.push({
      mode: content.toString('latin1', position, space),
      name: decodeTreeName(content.subarray(space + 1, nul)),
      oid: content.toString('hex', nul + 1, nul + 21),
    });
    position = nul + 21;
  }
  return entries;
}

/** Parses the headers and message of a commit object. */
export function parseCommit(content: Buffer): { tree: string; parents: string[]; author: string; authorEmail: string; committedAt: number; message: string } {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const headers = (split === -1 ? text : text.slice(0, split)).split('\n');
  let tree = '';
  const parents: string[] = [];
  let author = '';
  let authorEmail = '';
  let committedAt = 0;
  for (const line of headers) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('author ')) {
      author = line.slice(7, line.indexOf(' <'));
      authorEmail = line.slice(line.indexOf(' <') + 2, line.indexOf('>'));
    }
    else if (line.startsWith('committer ')) committedAt = Number(line.split(' ').at(-2));
  }
  return { tree, parents, author, authorEmail, committedAt, message: split === -1 ? '' : text.slice(split + 2) };
}

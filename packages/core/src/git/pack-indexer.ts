import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { inflateCounted } from './zlib-sized.js';
import { ObjectNotFoundError, type RawObject } from './object-reader.js';
import { hashObject } from './objects.js';
import { applyDelta, PACK_TYPES, parsePackEntryHeader } from './pack-format.js';
import { encodePackEntry, type PackIndexEntry } from './pack-writer.js';

interface Entry {
  offset: number;
  typeCode: number;
  /** where the compressed data starts */
  dataStart: number;
  /** the inflated size its header announces */
  size: number;
  crc: number;
  baseOffset?: number;
  baseOid?: string;
  oid?: string;
}

/** Inflates the entry at `start`; also says where its compressed data ends. */
function inflateAt(pack: Buffer, start: number, end: number, offset: number, size: number): { content: Buffer; next: number } {
  try {
    // The bytes this entry's stream used tell where the next entry begins.
    const { content, used } = inflateCounted(pack.subarray(start, end), size);
    return { content, next: start + used };
  } catch (error) {
    throw new Error(`the received pack is damaged: the entry at offset ${offset} does not inflate (${(error as Error).message})`, { cause: error });
  }
}

export interface IndexedPack {
  /** the pack to store: the received one, with the bases of a thin pack appended */
  pack: Buffer;
  entries: PackIndexEntry[];
}

/**
 * Indexes a pack received from a remote (what `git index-pack` does): returns each object's
 * id, offset and CRC for the `.idx`. Refuses, saying what is wrong, a pack whose checksum,
 * object count or entry sizes do not match, that carries bytes after its last entry, or whose
 * deltas do not apply: nothing of such a pack is stored.
 *
 * Like git, it keeps no object in memory longer than needed: a first pass finds each entry's
 * bounds and hashes the whole objects; then every delta is resolved from its base, walking
 * each base's descendants depth first, so memory follows the longest delta chain rather than
 * the size of the pack (a clone of 400,000 objects). Bases outside the pack (a thin pack)
 * come from `readExisting` and are appended to the pack, as `git index-pack --fix-thin` does,
 * so every stored pack is whole and passes `git verify-pack`.
 */
export async function indexPack(pack: Buffer, readExisting: (oid: string) => Promise<RawObject>): Promise<IndexedPack> {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('the remote sent something that is not a pack');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new Error(`the received pack has version ${version}, which Git does not write`);
  const count = pack.readUInt32BE(8);
  const trailer = pack.length - 20;
  if (!createHash('sha1').update(pack.subarray(0, trailer)).digest().equals(pack.subarray(trailer))) {
    throw new Error('the received pack is damaged (checksum mismatch)');
  }
  const entries: Entry[] = [];
  const deltasOnOffset = new Map<number, Entry[]>();
  const deltasOnOid = new Map<string, Entry[]>();
  let position = 12;
  for (let i = 0; i < count; i += 1) {
    const offset = position;
    if (offset >= trailer) throw new Error(`the received pack announces ${count} objects but holds ${i}`);
    let header: ReturnType<typeof parsePackEntryHeader>;
    try {
      header = parsePackEntryHeader(pack, offset, trailer);
    } catch (error) {
      throw new Error(`the received pack is damaged: ${(error as Error).message}`, { cause: error });
    }
    const { content, next } = inflateAt(pack, header.dataStart, trailer, offset, header.size);
    if (content.length !== header.size)
      throw new Error(`the received pack is damaged: the entry at offset ${offset} announces ${header.size} bytes but inflates to ${content.length}`);
    position = next;
    const entry: Entry = {
      offset,
      typeCode: header.typeCode,
      dataStart: header.dataStart,
      size: header.size,
      crc: crc32(pack.subarray(offset, position)),
      baseOffset: header.baseOffset,
      baseOid: header.baseOid,
    };
    entries.push(entry);
    if (header.baseOffset !== undefined) appendTo(deltasOnOffset, header.baseOffset, entry);
    else if (header.baseOid !== undefined) appendTo(deltasOnOid, header.baseOid, entry);
    else entry.oid = hashObject(PACK_TYPES[header.typeCode]!, content);
  }
  if (position !== trailer) throw new Error(`the received pack holds ${trailer - position} bytes of junk after its ${count} objects`);

  /** Applies a delta entry to its base, names the object it makes, then resolves the deltas built on that object in turn. */
  const resolveDelta = (entry: Entry, base: RawObject): void => {
    let content: Buffer;
    try {
      content = applyDelta(base.content, inflateAt(pack, entry.dataStart, trailer, entry.offset, entry.size).content);
    } catch (error) {
      throw new Error(`the received pack is damaged: the delta at offset ${entry.offset} does not apply (${(error as Error).message})`, { cause: error });
    }
    entry.oid = hashObject(base.type, content);
    resolveDeltasOf(entry, { type: base.type, content });
  };
  /** Resolves every delta built on `entry` (found by its offset or its id), whose object is `base`. */
  const resolveDeltasOf = (entry: Entry, base: RawObject): void => {
    const children = [...(deltasOnOffset.get(entry.offset) ?? []), ...(deltasOnOid.get(entry.oid!) ?? [])];
    for (const child of children) if (!child.oid) resolveDelta(child, base);
  };
  for (const [index, entry] of entries.entries()) {
    if (index % 5000 === 4999) await new Promise((resolve) => setImmediate(resolve));
    if (entry.oid === undefined || entry.baseOffset !== undefined || entry.baseOid !== undefined) continue;
    if (!deltasOnOffset.has(entry.offset) && !deltasOnOid.has(entry.oid)) continue;
    resolveDeltasOf(entry, { type: PACK_TYPES[entry.typeCode]!, content: inflateAt(pack, entry.dataStart, trailer, entry.offset, entry.size).content });
  }
  // What is left is based on objects this repository already has (a thin pack).
  const outsideBases = new Map<string, RawObject>();
  for (const entry of entries) {
    if (entry.oid !== undefined || entry.baseOid === undefined) continue;
    let base = outsideBases.get(entry.baseOid);
    if (!base) {
      base = await readExisting(entry.baseOid).catch((error: unknown) => {
        if (error instanceof ObjectNotFoundError)
          throw new Error(`the received pack holds a delta at offset ${entry.offset} on ${entry.baseOid}, which is neither in the pack nor here`);
        throw error;
      });
      outsideBases.set(entry.baseOid, base);
    }
    resolveDelta(entry, base);
  }
  const unresolved = entries.find((e) => e.oid === undefined);
  if (unresolved) throw new Error(`the received pack holds a delta at offset ${unresolved.offset} whose base is missing`);
  const indexed = entries.map((e) => ({ oid: e.oid!, offset: e.offset, crc: e.crc }));
  return outsideBases.size === 0 ? { pack, entries: indexed } : completeThinPack(pack, indexed, outsideBases);
}

/** Appends a thin pack's outside bases as whole objects, with a new count and checksum (git's `--fix-thin`). */
function completeThinPack(pack: Buffer, entries: PackIndexEntry[], bases: Map<string, RawObject>): IndexedPack {
  const body = [pack.subarray(0, pack.length - 20)];
  let offset = pack.length - 20;
  const all = [...entries];
  for (const [oid, base] of bases) {
    const entry = encodePackEntry(base.type, base.content);
    all.push({ oid, offset, crc: crc32(entry) });
    body.push(entry);
    offset += entry.length;
  }
  const completed = Buffer.concat(body, offset + 20);
  completed.writeUInt32BE(all.length, 8);
  createHash('sha1').update(completed.subarray(0, offset)).digest().copy(completed, offset);
  return { pack: completed, entries: all };
}

function appendTo<K>(map: Map<K, Entry[]>, key: K, entry: Entry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { applyDelta, OFS_DELTA, PACK_TYPES, parsePackEntryHeader, REF_DELTA, type RawObject } from './object-reader.js';
import { hashObject } from './objects.js';
import type { PackIndexEntry } from './pack-writer.js';

interface Entry {
  offset: number;
  typeCode: number;
  /** where the compressed data starts */
  dataStart: number;
  crc: number;
  baseOffset?: number;
  baseOid?: string;
  oid?: string;
}

/** Inflates the entry at `start`; also says where its compressed data ends. */
function inflateAt(pack: Buffer, start: number, end: number): { content: Buffer; next: number } {
  // bytesWritten tells how much compressed input this entry used, hence where the next begins.
  const { buffer, engine } = inflateSync(pack.subarray(start, end), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  return { content: buffer, next: start + engine.bytesWritten };
}

/**
 * Indexes a pack received from a remote (what `git index-pack` does): returns each object's
 * id, offset and CRC for the `.idx`. Refuses a pack whose checksum does not match.
 *
 * Like git, it keeps no object in memory longer than needed: a first pass finds each entry's
 * bounds and hashes the whole objects; then every delta is resolved from its base, walking
 * each base's descendants depth first, so memory follows the longest delta chain rather than
 * the size of the pack (a clone of 400,000 objects). Bases outside the pack (a thin pack)
 * come from `readExisting`.
 */
export async function indexPack(pack: Buffer, readExisting: (oid: string) => Promise<RawObject>): Promise<PackIndexEntry[]> {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('the remote sent something that is not a pack');
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
    const header = parsePackEntryHeader(pack, offset);
    const { content, next } = inflateAt(pack, header.dataStart, trailer);
    position = next;
    const entry: Entry = { offset, typeCode: header.typeCode, dataStart: header.dataStart, crc: crc32(pack.subarray(offset, position)), baseOffset: header.baseOffset, baseOid: header.baseOid };
    entries.push(entry);
    if (header.baseOffset !== undefined) appendTo(deltasOnOffset, header.baseOffset, entry);
    else if (header.baseOid !== undefined) appendTo(deltasOnOid, header.baseOid, entry);
    else {
      const type = PACK_TYPES[header.typeCode];
      if (!type) throw new Error(`unsupported object type ${header.typeCode} in the received pack`);
      entry.oid = hashObject(type, content);
    }
  }

  /** Applies a delta entry to its base, names the object it makes, then resolves the deltas built on that object in turn. */
  const resolveDelta = (entry: Entry, base: RawObject): void => {
    const content = applyDelta(base.content, inflateAt(pack, entry.dataStart, trailer).content);
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
    resolveDeltasOf(entry, { type: PACK_TYPES[entry.typeCode]!, content: inflateAt(pack, entry.dataStart, trailer).content });
  }
  // What is left is based on objects this repository already has (a thin pack).
  for (const entry of entries) {
    if (entry.oid !== undefined || entry.baseOid === undefined) continue;
    resolveDelta(entry, await readExisting(entry.baseOid));
  }
  const unresolved = entries.find((e) => e.oid === undefined);
  if (unresolved) throw new Error(`the received pack holds a delta at offset ${unresolved.offset} whose base is missing`);
  return entries.map((e) => ({ oid: e.oid!, offset: e.offset, crc: e.crc }));
}

function appendTo<K>(map: Map<K, Entry[]>, key: K, entry: Entry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

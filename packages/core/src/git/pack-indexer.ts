import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { applyDelta, OFS_DELTA, PACK_TYPES, parsePackEntryHeader, REF_DELTA, type RawObject } from './object-reader.js';
import { hashObject } from './objects.js';
import type { PackIndexEntry } from './pack-writer.js';

interface Entry {
  offset: number;
  typeCode: number;
  data: Buffer;
  crc: number;
  baseOffset?: number;
  baseOid?: string;
  resolved?: RawObject;
  oid?: string;
}

/**
 * Indexes a pack received from a remote (what `git index-pack` does): walks its entries,
 * resolves deltas against bases in the pack (or already in the repository), and returns each
 * object's id, offset and CRC for the `.idx`. Refuses a pack whose checksum does not match.
 */
export async function indexPack(pack: Buffer, readExisting: (oid: string) => Promise<RawObject>): Promise<PackIndexEntry[]> {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('the remote sent something that is not a pack');
  const count = pack.readUInt32BE(8);
  const trailer = pack.length - 20;
  if (!createHash('sha1').update(pack.subarray(0, trailer)).digest().equals(pack.subarray(trailer))) {
    throw new Error('the received pack is damaged (checksum mismatch)');
  }
  const entries: Entry[] = [];
  const byOffset = new Map<number, Entry>();
  let position = 12;
  for (let i = 0; i < count; i += 1) {
    const offset = position;
    const header = parsePackEntryHeader(pack, offset);
    const entry: Entry = { offset, typeCode: header.typeCode, data: Buffer.alloc(0), crc: 0, baseOffset: header.baseOffset, baseOid: header.baseOid };
    position = header.dataStart;
    // bytesWritten tells how much compressed input this entry used, hence where the next begins.
    const { buffer, engine } = inflateSync(pack.subarray(position, trailer), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    position += engine.bytesWritten;
    entry.data = buffer;
    entry.crc = crc32(pack.subarray(offset, position));
    entries.push(entry);
    byOffset.set(offset, entry);
  }
  const byOid = new Map<string, Entry>();
  const missingBase = Symbol('missing base');
  const resolve = async (entry: Entry, allowExisting: boolean): Promise<RawObject> => {
    if (entry.resolved) return entry.resolved;
    let resolved: RawObject;
    if (entry.typeCode === OFS_DELTA || entry.typeCode === REF_DELTA) {
      const baseEntry = entry.baseOffset !== undefined ? byOffset.get(entry.baseOffset) : byOid.get(entry.baseOid!);
      if (!baseEntry && !allowExisting) throw missingBase;
      const base = baseEntry ? await resolve(baseEntry, allowExisting) : await readExisting(entry.baseOid!);
      resolved = { type: base.type, content: applyDelta(base.content, entry.data) };
    } else {
      const type = PACK_TYPES[entry.typeCode];
      if (!type) throw new Error(`unsupported object type ${entry.typeCode} in the received pack`);
      resolved = { type, content: entry.data };
    }
    entry.resolved = resolved;
    entry.oid = hashObject(resolved.type, resolved.content);
    byOid.set(entry.oid, entry);
    return resolved;
  };
  // Passes until every delta found its base in the pack; what is left must be based on
  // objects this repository already has (a thin pack).
  let pending = entries;
  for (;;) {
    const waiting: Entry[] = [];
    for (const entry of pending) {
      try {
        await resolve(entry, false);
      } catch (error) {
        if (error !== missingBase) throw error;
        waiting.push(entry);
      }
    }
    if (waiting.length === 0) break;
    if (waiting.length === pending.length) {
      for (const entry of waiting) await resolve(entry, true);
      break;
    }
    pending = waiting;
  }
  return entries.map((e) => ({ oid: e.oid!, offset: e.offset, crc: e.crc }));
}

import type { ObjectType } from './objects.js';

/**
 * The byte formats inside a pack: each entry's header and Git's delta encoding. Every reader
 * of pack bytes (object reads, indexing a received pack, repacking) goes through these, so
 * damaged or crafted bytes are refused in one place instead of being read as something else.
 */
export const PACK_TYPES: Record<number, ObjectType | undefined> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
export const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

export interface PackEntryHeader {
  typeCode: number;
  /** the size the header announces: the object's, or for a delta the delta's */
  size: number;
  /** where the compressed data starts, in the pack */
  dataStart: number;
  /** for an offset delta: where its base starts in the same pack */
  baseOffset?: number;
  /** for a reference delta: its base's id */
  baseOid?: string;
}

/**
 * Reads the type, size and delta base that start a pack entry at `data[start]`; `end` is where
 * the entry's bytes must stop, and `offset` the entry's place in its pack (when `data` holds
 * only the entry). Offsets returned are the pack's.
 */
export function parsePackEntryHeader(data: Buffer, start: number, end = data.length, offset = start): PackEntryHeader {
  let position = start;
  const toPack = offset - start;
  const next = () => {
    if (position >= end) throw new Error(`the pack entry at offset ${offset} ends inside its header`);
    const byte = data[position];
    position += 1;
    return byte;
  };
  let byte = next();
  const typeCode = (byte >> 4) & 0x7;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    byte = next();
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OFS_DELTA) {
    byte = next();
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = next();
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    if (distance === 0 || distance > offset) throw new Error(`the delta at offset ${offset} names a base outside the pack (${distance} bytes back)`);
    return { typeCode, size, dataStart: position + toPack, baseOffset: offset - distance };
  }
  if (typeCode === REF_DELTA) {
    if (position + 20 > end) throw new Error(`the pack entry at offset ${offset} ends inside its base's id`);
    return { typeCode, size, dataStart: position + 20 + toPack, baseOid: data.toString('hex', position, position + 20) };
  }
  if (!PACK_TYPES[typeCode]) throw new Error(`the pack entry at offset ${offset} has unknown type ${typeCode}`);
  return { typeCode, size, dataStart: position + toPack };
}

/**
 * Git's offset varint (each continuation byte adds one before shifting): the distance to an
 * offset delta's base, and in a version-4 index how much of the previous path to drop.
 */
export function encodeOffsetVarint(value: number): Buffer {
  const bytes = [value & 0x7f];
  let rest = Math.floor(value / 128);
  while (rest > 0) {
    rest -= 1;
    bytes.unshift(0x80 | (rest & 0x7f));
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}

/**
 * Applies a Git delta (copy/insert instructions) to its base. Refuses, naming the fault, a
 * delta for another base, a copy past the base's end, instructions that overflow or fall short
 * of the size it announces, and a delta cut in the middle of an instruction: git does the same,
 * and anything else would store an object whose bytes nobody wrote.
 */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let position = 0;
  const next = () => {
    if (position >= delta.length) throw new Error('the delta ends in the middle of an instruction');
    const byte = delta[position];
    position += 1;
    return byte;
  };
  const readSize = () => {
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = next();
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return size;
  };
  const baseSize = readSize();
  if (baseSize !== base.length) throw new Error(`the delta is for a base of ${baseSize} bytes, but its base has ${base.length}`);
  const resultSize = readSize();
  const result = Buffer.alloc(resultSize);
  let written = 0;
  const make = (size: number) => {
    if (written + size > resultSize) throw new Error(`the delta writes past the ${resultSize} bytes it announces`);
  };
  while (position < delta.length) {
    const op = next();
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit += 1) if (op & (1 << bit)) offset += next() * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit += 1) if (op & (0x10 << bit)) size += next() * 2 ** (8 * bit);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length) throw new Error(`the delta copies bytes ${offset}-${offset + size} of a base of ${base.length} bytes`);
      make(size);
      written += base.copy(result, written, offset, offset + size);
    } else if (op > 0) {
      if (position + op > delta.length) throw new Error('the delta ends in the middle of an instruction');
      make(op);
      written += delta.copy(result, written, position, position + op);
      position += op;
    } else {
      throw new Error('the delta holds an invalid instruction (0)');
    }
  }
  if (written !== resultSize) throw new Error(`the delta makes ${written} bytes, but announces ${resultSize}`);
  return result;
}

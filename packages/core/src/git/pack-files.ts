import { closeSync, openSync, promises as fsp, readSync } from 'node:fs';
import path from 'node:path';

/**
 * The packs of an object folder: their `.idx` tables, parsed once, and positional reads of
 * their entries through a few descriptors kept open. Native git may replace every pack at any
 * moment (`git gc`, `git repack -adf`), so a pack that vanished or changed under its name is
 * reported as `PackVanishedError`, which tells the reader to list the packs again.
 */
/**
 * One pack and its `.idx` table. Offsets are read from the table when asked for: a status reads a
 * handful of objects, and turning every offset of a 46,000-object pack into an array (and a sorted
 * copy) cost it a few hundredths of a second.
 */
export class PackFile {
  private allOffsets: number[] | null = null;
  private sorted: Float64Array | null = null;

  constructor(
    readonly file: string,
    /** fan-out table: objects whose first byte is <= i */
    readonly fanout: Uint32Array,
    readonly oids: Buffer,
    /** each entry's CRC-32, in the order of `oids` */
    readonly crcs: Buffer,
    private readonly offsetTable: Buffer,
    private readonly largeOffsets: Buffer,
    /** the pack's trailing checksum, as its index records it */
    readonly checksum: Buffer,
    readonly packEnd: number,
  ) {}

  get count(): number {
    return this.oids.length / 20;
  }

  /** Where the entry at `position` (in the order of `oids`) starts in the pack. */
  offsetAt(position: number): number {
    const small = this.offsetTable.readUInt32BE(position * 4);
    if (!(small & 0x80000000)) return small;
    const at = (small & 0x7fffffff) * 8;
    if (at + 8 > this.largeOffsets.length) throw new Error(`${this.file} is truncated in its large offsets`);
    return Number(this.largeOffsets.readBigUInt64BE(at));
  }

  /** Every entry's offset, in the order of `oids`. */
  get offsets(): number[] {
    this.allOffsets ??= Array.from({ length: this.count }, (_, i) => this.offsetAt(i));
    return this.allOffsets;
  }

  /** Every entry's offset, sorted, to know where each compressed entry ends (a typed array: sorted natively, in numeric order). */
  get sortedOffsets(): Float64Array {
    if (!this.sorted) {
      const sorted = new Float64Array(this.count);
      for (let i = 0; i < sorted.length; i += 1) sorted[i] = this.offsetAt(i);
      this.sorted = sorted.sort();
    }
    return this.sorted;
  }
}

export class PackVanishedError extends Error {
  readonly code = 'PACK_VANISHED';
}

/** Whether an error may come from a pack that native git removed or replaced since it was listed. */
export function isVanishedPack(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'PACK_VANISHED' || code === 'ENOENT' || code === 'ESTALE';
}

function parseIndex(indexFile: string, buffer: Buffer, packFile: string, packEnd: number): PackFile {
  if (buffer.length < 8 + 1024 + 40 || buffer.readUInt32BE(0) !== 0xff744f63 || buffer.readUInt32BE(4) !== 2) {
    throw new Error(`${indexFile} is not a pack index Git version 2 understands`);
  }
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) fanout[i] = buffer.readUInt32BE(8 + i * 4);
  const count = fanout[255];
  const namesStart = 8 + 256 * 4;
  const offsetsStart = namesStart + count * 24;
  const largeStart = offsetsStart + count * 4;
  if (buffer.length < largeStart + 40) throw new Error(`${indexFile} is truncated: it announces ${count} objects`);
  return new PackFile(
    packFile,
    fanout,
    buffer.subarray(namesStart, namesStart + count * 20),
    buffer.subarray(namesStart + count * 20, offsetsStart),
    buffer.subarray(offsetsStart, largeStart),
    buffer.subarray(largeStart, buffer.length - 40),
    Buffer.from(buffer.subarray(buffer.length - 40, buffer.length - 20)),
    packEnd,
  );
}

/**
 * Parsed indexes, by pack file, with the stat data they were read under: listing the folder
 * again (after every miss) then costs a stat per pack instead of reading each index again.
 */
const parsedIndexes = new Map<string, { key: string; pack: PackFile; mtime: number }>();

/** The packs in `<objects>/pack`, newest first (recent fetches hold what is read most). */
export async function listPacks(objectsDir: string): Promise<PackFile[]> {
  const folder = path.join(objectsDir, 'pack');
  const names = await fsp.readdir(folder).catch(() => [] as string[]);
  const packs: { pack: PackFile; mtime: number }[] = [];
  for (const name of names.filter((n) => n.endsWith('.idx'))) {
    const indexFile = path.join(folder, name);
    const packFile = path.join(folder, name.replace(/\.idx$/, '.pack'));
    try {
      const [indexStat, packStat] = await Promise.all([fsp.stat(indexFile, { bigint: true }), fsp.stat(packFile, { bigint: true })]);
      const key = `${indexStat.ino}:${indexStat.mtimeNs}:${indexStat.size}:${packStat.ino}:${packStat.mtimeNs}:${packStat.size}`;
      let known = parsedIndexes.get(packFile);
      if (known?.key !== key) {
        const pack = parseIndex(indexFile, await fsp.readFile(indexFile), packFile, Number(packStat.size) - 20);
        known = { key, pack, mtime: Number(packStat.mtimeMs) };
        parsedIndexes.set(packFile, known);
      }
      packs.push(known);
    } catch (error) {
      // An index without its pack (an interrupted fetch, or a gc removing both) holds nothing readable.
      if (isVanishedPack(error)) continue;
      throw error;
    }
  }
  forgetVanishedPacks(folder, new Set(packs.map((p) => p.pack.file)));
  return packs.sort((a, b) => b.mtime - a.mtime).map((p) => p.pack);
}

/** The position of an object in a pack's index, or -1. */
export function findInPack(pack: PackFile, oid: Buffer): number {
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

/** Where the entry starting at `offset` ends: the next entry's start, or the trailer. */
export function entryEnd(pack: PackFile, offset: number): number {
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

/**
 * Open pack files, most recently used last. A descriptor stays good while its pack is in the
 * folder; those of packs that left it (a native gc) are closed when the folder is listed again,
 * so removed packs do not keep their disk space (or, on Windows, stop git deleting them).
 */
const openPacks = new Map<string, number>();
const MAX_OPEN_PACKS = 8;

function forgetVanishedPacks(folder: string, present: Set<string>): void {
  for (const [file, fd] of openPacks) {
    if (path.dirname(file) === folder && !present.has(file)) {
      openPacks.delete(file);
      closeSync(fd);
    }
  }
  for (const file of parsedIndexes.keys()) if (path.dirname(file) === folder && !present.has(file)) parsedIndexes.delete(file);
}

function readFully(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

function packDescriptor(pack: PackFile): number {
  const known = openPacks.get(pack.file);
  if (known !== undefined) {
    openPacks.delete(pack.file);
    openPacks.set(pack.file, known);
    return known;
  }
  const fd = openSync(pack.file, 'r');
  // A pack rewritten under the same name (a repack of the same objects) has other offsets.
  const trailer = Buffer.alloc(20);
  if (readFully(fd, trailer, pack.packEnd) !== 20 || !trailer.equals(pack.checksum)) {
    closeSync(fd);
    throw new PackVanishedError(`${pack.file} changed since its index was read`);
  }
  openPacks.set(pack.file, fd);
  if (openPacks.size > MAX_OPEN_PACKS) {
    const [oldest, oldFd] = openPacks.entries().next().value!;
    openPacks.delete(oldest);
    closeSync(oldFd);
  }
  return fd;
}

/** Bytes [start, end) of a pack file. */
export function readPackRange(pack: PackFile, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(end - start);
  if (readFully(packDescriptor(pack), buffer, start) !== buffer.length) throw new Error(`${pack.file} ends before offset ${end}`);
  return buffer;
}

/** Closes this process's descriptor on a pack about to be removed (Windows does not delete an open file). */
export function releasePack(file: string): void {
  const fd = openPacks.get(file);
  if (fd === undefined) return;
  openPacks.delete(file);
  closeSync(fd);
}

/**
 * The object folders to read: the repository's own, then those its
 * `objects/info/alternates` names (relative to the folder that names them), as git reads them.
 */
export async function objectDirectories(gitdir: string): Promise<string[]> {
  const folders: string[] = [];
  const visit = async (folder: string, depth: number): Promise<void> => {
    const resolved = path.resolve(folder);
    if (folders.includes(resolved)) return;
    folders.push(resolved);
    let text: string;
    try {
      text = await fsp.readFile(path.join(resolved, 'info', 'alternates'), 'utf8');
    } catch {
      return;
    }
    // git stops at 5 levels of alternates of alternates.
    if (depth >= 5) throw new Error(`${resolved}/info/alternates nests alternates more than 5 deep`);
    for (const line of text.split('\n')) {
      const entry = line.trim();
      if (!entry || entry.startsWith('#')) continue;
      const target = path.resolve(resolved, entry);
      await fsp.access(target).catch(() => {
        throw new Error(`${resolved}/info/alternates names ${target}, which does not exist; 'git fsck' reports the same`);
      });
      await visit(target, depth + 1);
    }
  };
  await visit(path.join(gitdir, 'objects'), 0);
  return folders;
}

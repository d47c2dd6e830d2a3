import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { tempSuffix, writeFileAtomic } from '../fs/atomic-write.js';
import { nativeGitAvailable, runNativeGit } from './native-git.js';
import { parseLooseObject, type RawObject } from './object-reader.js';
import { encodeOffsetVarint, OFS_DELTA, parsePackEntryHeader, REF_DELTA } from './pack-format.js';
import { entryEnd, listPacks, readPackRange, releasePack, type PackFile } from './pack-files.js';
import { buildPackIndex, encodePackEntry, packHeader, type PackIndexEntry } from './pack-writer.js';

/**
 * Keeps object storage fast over months of use: every fetch adds a pack and every small commit
 * loose files, and each lookup tries every pack in turn. When they pile up past git's own
 * limits (read from the repository's gc settings), they are consolidated into one pack, by
 * native `git gc --auto` when git is installed, else by `repackObjects` below.
 */
export interface MaintenanceLimits {
  /** more packs than this start a repack (git's gc.autoPackLimit, 50); 0 never */
  packLimit: number;
  /** more loose objects than about this start one (git's gc.auto, 6700); 0 turns maintenance off */
  looseLimit: number;
}

export const GIT_GC_LIMITS: MaintenanceLimits = { packLimit: 50, looseLimit: 6700 };

/** The repository's own packs (not kept with a `.keep` file) and an estimate of its loose objects, as `git gc --auto` counts them. */
export async function objectStorageCounts(gitdir: string): Promise<{ packs: number; looseEstimate: number }> {
  const names = await fsp.readdir(path.join(gitdir, 'objects', 'pack')).catch(() => [] as string[]);
  const kept = new Set(names.filter((n) => n.endsWith('.keep')).map((n) => n.slice(0, -5)));
  const packs = names.filter((n) => n.endsWith('.idx') && !kept.has(n.slice(0, -4))).length;
  // Like git: objects are spread evenly over 256 folders, so one folder's count × 256 estimates them all.
  const sample = await fsp.readdir(path.join(gitdir, 'objects', '17')).catch(() => [] as string[]);
  return { packs, looseEstimate: sample.filter((n) => /^[0-9a-f]{38}$/.test(n)).length * 256 };
}

/** Whether storage passed a limit. As in git, gc.auto = 0 turns automatic consolidation off altogether. */
export async function maintenanceNeeded(gitdir: string, limits: MaintenanceLimits = GIT_GC_LIMITS): Promise<boolean> {
  if (limits.looseLimit <= 0) return false;
  const { packs, looseEstimate } = await objectStorageCounts(gitdir);
  return (limits.packLimit > 0 && packs > limits.packLimit) || looseEstimate > limits.looseLimit;
}

export interface RepackResult {
  /** the new pack's name */
  name: string;
  objects: number;
  packsRemoved: number;
  looseRemoved: number;
}

/** Where each object of a pack starts, to name an offset delta's base. */
function oidsByOffset(pack: PackFile): Map<number, string> {
  const map = new Map<number, string>();
  pack.offsets.forEach((offset, i) => map.set(offset, pack.oids.toString('hex', i * 20, i * 20 + 20)));
  return map;
}

async function looseObjects(objectsDir: string): Promise<{ oid: string; file: string }[]> {
  const found: { oid: string; file: string }[] = [];
  for (const folder of await fsp.readdir(objectsDir).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(folder)) continue;
    for (const name of await fsp.readdir(path.join(objectsDir, folder)).catch(() => [] as string[])) {
      if (/^[0-9a-f]{38}$/.test(name)) found.push({ oid: folder + name, file: path.join(objectsDir, folder, name) });
    }
  }
  return found;
}

/** Writes a pack file through a temp name, hashing as it goes; memory holds one chunk. */
class PackFileWriter {
  private readonly hash = createHash('sha1');
  private chunk: Buffer[] = [];
  private chunkBytes = 0;
  offset = 0;

  private constructor(
    readonly temp: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  static async open(folder: string): Promise<PackFileWriter> {
    const temp = path.join(folder, `.tmp-repack-${tempSuffix()}`);
    return new PackFileWriter(temp, await fsp.open(temp, 'wx', 0o444));
  }

  async append(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    this.chunk.push(bytes);
    this.chunkBytes += bytes.length;
    this.offset += bytes.length;
    if (this.chunkBytes >= 1 << 20) await this.drain();
  }

  private async drain(): Promise<void> {
    await this.handle.write(Buffer.concat(this.chunk, this.chunkBytes));
    this.chunk = [];
    this.chunkBytes = 0;
  }

  async finish(): Promise<Buffer> {
    const checksum = this.hash.digest();
    this.chunk.push(checksum);
    this.chunkBytes += checksum.length;
    await this.drain();
    await this.handle.sync();
    await this.handle.close();
    return checksum;
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fsp.rm(this.temp, { force: true });
  }
}

/**
 * Consolidates every pack of the repository (but those with a `.keep`) and its loose objects
 * into one pack, without native git. Entries are copied as stored, deltas included (an offset
 * delta gets its new distance), so nothing is inflated and compressed again; each is checked
 * against its CRC first. Nothing is dropped, reachable or not: pruning is left to native git.
 * The old packs and loose files are removed only once the new pack and its index are in place,
 * so a reader sees every object at every moment (a reader holding the old list reads it again).
 */
export async function repackObjects(gitdir: string, readObject: (oid: string) => Promise<RawObject>): Promise<RepackResult | null> {
  const objectsDir = path.join(gitdir, 'objects');
  const folder = path.join(objectsDir, 'pack');
  const names = await fsp.readdir(folder).catch(() => [] as string[]);
  const packs = (await listPacks(objectsDir)).filter((p) => !names.includes(`${path.basename(p.file, '.pack')}.keep`));
  const packed = new Set<string>();
  for (const pack of packs) for (let i = 0; i < pack.offsets.length; i += 1) packed.add(pack.oids.toString('hex', i * 20, i * 20 + 20));
  const allLoose = await looseObjects(objectsDir);
  const loose = allLoose.filter((o) => !packed.has(o.oid));
  const count = packed.size + loose.length;
  if (count === 0 || (packs.length <= 1 && loose.length === 0)) return null;

  const writer = await PackFileWriter.open(folder);
  const written = new Map<string, number>();
  const entries: PackIndexEntry[] = [];
  const add = async (oid: string, entry: Buffer) => {
    written.set(oid, writer.offset);
    entries.push({ oid, offset: writer.offset, crc: crc32(entry) });
    await writer.append(entry);
  };
  let name: string;
  try {
    await writer.append(packHeader(count));
    for (const pack of packs) {
      const byOffset = oidsByOffset(pack);
      const crcOf = new Map<number, number>(pack.offsets.map((offset, i) => [offset, pack.crcs.readUInt32BE(i * 4)]));
      // In offset order, an offset delta's base (earlier in its pack) is always written before it.
      for (const offset of pack.sortedOffsets) {
        const oid = byOffset.get(offset)!;
        if (written.has(oid)) continue;
        const stored = readPackRange(pack, offset, entryEnd(pack, offset));
        if (crc32(stored) !== crcOf.get(offset)) throw new Error(`${pack.file} is damaged at offset ${offset} (CRC mismatch); 'git fsck' shows more`);
        const entry = parsePackEntryHeader(stored, 0, stored.length, offset);
        const data = stored.subarray(entry.dataStart - offset);
        if (entry.typeCode === OFS_DELTA) {
          const baseOid = byOffset.get(entry.baseOffset!);
          const baseAt = baseOid === undefined ? undefined : written.get(baseOid);
          if (baseAt === undefined) throw new Error(`${pack.file} has a delta at offset ${offset} whose base is not an entry`);
          let sizeBytes = 1;
          while (stored[sizeBytes - 1] & 0x80) sizeBytes += 1;
          await add(oid, Buffer.concat([stored.subarray(0, sizeBytes), encodeOffsetVarint(writer.offset - baseAt), data]));
        } else if (entry.typeCode === REF_DELTA && !packed.has(entry.baseOid!)) {
          // Its base is loose or in an alternate: store the object whole, so the pack stands alone.
          const object = await readObject(oid);
          await add(oid, encodePackEntry(object.type, object.content));
        } else {
          await add(oid, stored);
        }
      }
    }
    for (const object of loose) {
      if (written.has(object.oid)) continue;
      const { type, content } = parseLooseObject(object.oid, await fsp.readFile(object.file), object.file);
      await add(object.oid, encodePackEntry(type, content));
    }
    const checksum = await writer.finish();
    name = `pack-${checksum.toString('hex')}`;
    await fsp.rename(writer.temp, path.join(folder, `${name}.pack`));
    await writeFileAtomic(path.join(folder, `${name}.idx`), buildPackIndex(entries, checksum), { mode: 0o444 });
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  let packsRemoved = 0;
  for (const pack of packs) {
    const base = pack.file.slice(0, -'.pack'.length);
    if (path.basename(base) === name) continue;
    releasePack(pack.file);
    // The index goes first, so no reader finds an index whose pack is gone.
    for (const ext of ['.idx', '.pack', '.rev', '.bitmap']) await fsp.rm(base + ext, { force: true });
    packsRemoved += 1;
  }
  // Every loose object is in the new pack now, those already packed before too (git's prune-packed).
  for (const object of allLoose) await fsp.rm(object.file, { force: true });
  return { name, objects: count, packsRemoved, looseRemoved: allLoose.length };
}

/**
 * Consolidates object storage when it has piled up: native `git gc --auto` when git is
 * installed (and `native` is not false), else `repackObjects`. Returns what ran, or null.
 */
export async function maintainObjects(
  gitdir: string,
  readObject: (oid: string) => Promise<RawObject>,
  options: { limits?: MaintenanceLimits; native?: boolean } = {},
): Promise<'native' | 'javascript' | null> {
  const limits = options.limits ?? GIT_GC_LIMITS;
  if (!(await maintenanceNeeded(gitdir, limits))) return null;
  if (options.native !== false && nativeGitAvailable()) {
    const result = await runNativeGit([
      '--git-dir',
      gitdir,
      '-c',
      'gc.autoDetach=false',
      '-c',
      `gc.autoPackLimit=${limits.packLimit}`,
      '-c',
      `gc.auto=${limits.looseLimit}`,
      'gc',
      '--auto',
      '--quiet',
    ]);
    if (result.code !== 0) throw new Error(`git gc --auto failed: ${result.stderr.trim()}`);
    return 'native';
  }
  await repackObjects(gitdir, readObject);
  return 'javascript';
}

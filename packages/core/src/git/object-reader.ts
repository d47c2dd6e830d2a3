import { promises as fsp, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { inflateSized } from './zlib-sized.js';
import { SyncCorruptDataError } from '../errors.js';
import { decodeTreeName, objectHeader, type ObjectType } from './objects.js';
import { applyDelta, PACK_TYPES, parsePackEntryHeader } from './pack-format.js';
import { entryEnd, findInPack, isVanishedPack, listPacks, objectDirectories, readPackRange, type PackFile } from './pack-files.js';

/**
 * Reads Git objects from loose files and packs. isomorphic-git looks for each object by
 * listing the pack folder and probing the loose file first, which turns reading a tree of
 * 30,000 files into seconds of system calls; here pack indexes are parsed once and objects are
 * found by binary search. Objects of alternates (`objects/info/alternates`) are read too.
 */
export interface RawObject {
  type: ObjectType;
  content: Buffer;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly oid: string) {
    super(`object ${oid} is not in this repository`);
  }
}

/** How often a reader holding a pack list checks whether the packs changed. */
const RECHECK_MS = 1000;

/** Bytes of commits and trees a reader keeps after reading them. */
const RECENT_OBJECT_BYTES = 2 * 1024 * 1024;

const LOOSE_TYPES = new Set<string>(['blob', 'tree', 'commit', 'tag']);

/** Damage found in this repository's objects, with where to look further. */
function damaged(message: string): SyncCorruptDataError {
  return new SyncCorruptDataError(`${message}. 'git fsck --full' in the root lists what is damaged.`);
}

/** Inflates stored bytes, naming what they were when zlib refuses them. */
function inflate(compressed: Buffer, what: string, expectedSize?: number): Buffer {
  try {
    return inflateSized(compressed, expectedSize);
  } catch (error) {
    throw damaged(`${what} is damaged (${(error as Error).message})`);
  }
}

/** A loose object file's content, refused unless its header is sound and its bytes hash to its name. */
export function parseLooseObject(oid: string, compressed: Buffer, file: string): RawObject {
  const raw = inflate(compressed, `the loose object ${file}`);
  const space = raw.indexOf(0x20);
  const nul = space < 0 ? -1 : raw.indexOf(0, space);
  const type = space < 0 ? '' : raw.toString('latin1', 0, space);
  const sizeText = nul < 0 ? '' : raw.toString('latin1', space + 1, nul);
  if (!LOOSE_TYPES.has(type) || !/^(0|[1-9][0-9]*)$/.test(sizeText)) throw damaged(`the loose object ${file} has no valid header`);
  const content = raw.subarray(nul + 1);
  if (Number(sizeText) !== content.length) throw damaged(`the loose object ${file} announces ${sizeText} bytes but holds ${content.length}`);
  const actual = createHash('sha1')
    .update(objectHeader(type as ObjectType, content.length))
    .update(content)
    .digest('hex');
  if (actual !== oid) throw damaged(`the loose object ${file} is damaged: its bytes hash to ${actual}, not ${oid}`);
  return { type: type as ObjectType, content };
}

export class ObjectReader {
  private packs: PackFile[] | null = null;
  private stamp = '';
  private checkedAt = 0;
  private folders: string[] | null = null;
  /** delta bases read recently (a tree's entries often share one) */
  private readonly baseCache = new Map<string, RawObject>();
  /** commits and trees read recently: one sync reads its branch heads and their trees many times over */
  private readonly recent = new Map<string, RawObject>();
  private recentBytes = 0;

  constructor(private readonly gitdir: string) {}

  /** Forget the pack list, e.g. after a fetch added a pack or a native gc replaced them. */
  invalidate(): void {
    this.packs = null;
  }

  private async objectFolders(): Promise<string[]> {
    this.folders ??= await objectDirectories(this.gitdir);
    return this.folders;
  }

  /** The pack folders' modification times: a gc or a fetch that adds or removes a pack changes them. */
  private async packFolderStamp(): Promise<string> {
    const folders = await this.objectFolders();
    const times = await Promise.all(
      folders.map((f) =>
        fsp.stat(path.join(f, 'pack'), { bigint: true }).then(
          (s) => s.mtimeNs,
          () => 0n,
        ),
      ),
    );
    return times.join(',');
  }

  private async loadPacks(): Promise<PackFile[]> {
    if (this.packs) {
      // A long-lived reader (the API server, `sync watch`) looks at most once a second whether
      // native git replaced the packs, so it lets go of removed ones even when every read succeeds.
      if (Date.now() - this.checkedAt < RECHECK_MS) return this.packs;
      this.checkedAt = Date.now();
      if ((await this.packFolderStamp()) === this.stamp) return this.packs;
    }
    // Stamped before listing, so a change made while listing is seen by the next check.
    this.stamp = await this.packFolderStamp();
    this.checkedAt = Date.now();
    const packs: PackFile[] = [];
    for (const folder of await this.objectFolders()) packs.push(...(await listPacks(folder)));
    this.packs = packs;
    return packs;
  }

  private async readPacked(pack: PackFile, offset: number): Promise<RawObject> {
    // Only this entry is read: a large root's pack is tens of MB, and one object needs a few hundred bytes.
    const entry = readPackRange(pack, offset, entryEnd(pack, offset));
    let header: ReturnType<typeof parsePackEntryHeader>;
    try {
      header = parsePackEntryHeader(entry, 0, entry.length, offset);
    } catch (error) {
      throw damaged(`${pack.file} is damaged: ${(error as Error).message}`);
    }
    const data = inflate(entry.subarray(header.dataStart - offset), `the entry at offset ${offset} of ${pack.file}`, header.size);
    if (data.length !== header.size) throw damaged(`the entry at offset ${offset} of ${pack.file} announces ${header.size} bytes but holds ${data.length}`);
    if (header.baseOffset !== undefined) {
      const baseKey = `${pack.file}:${header.baseOffset}`;
      const base = this.baseCache.get(baseKey) ?? (await this.readPacked(pack, header.baseOffset));
      this.remember(baseKey, base);
      return { type: base.type, content: this.applyDeltaAt(base, data, pack, offset) };
    }
    if (header.baseOid !== undefined) {
      const baseOid = header.baseOid;
      // A missing base makes this object unreadable, not absent.
      const base =
        this.baseCache.get(baseOid) ??
        (await this.read(baseOid).catch((error: unknown) => {
          throw error instanceof ObjectNotFoundError ? damaged(`the delta at offset ${offset} of ${pack.file} is on ${baseOid}, which is missing`) : error;
        }));
      this.remember(baseOid, base);
      return { type: base.type, content: this.applyDeltaAt(base, data, pack, offset) };
    }
    return { type: PACK_TYPES[header.typeCode]!, content: data };
  }

  /** Applies a stored delta, naming its place in the pack when it does not apply. */
  private applyDeltaAt(base: RawObject, delta: Buffer, pack: PackFile, offset: number): Buffer {
    try {
      return applyDelta(base.content, delta);
    } catch (error) {
      throw damaged(`the delta at offset ${offset} of ${pack.file} is damaged: ${(error as Error).message}`);
    }
  }

  private remember(key: string, object: RawObject): void {
    if (this.baseCache.size > 256) this.baseCache.delete(this.baseCache.keys().next().value!);
    this.baseCache.set(key, object);
  }

  /** Objects never change under their id: the newest few megabytes are kept, oldest dropped first. */
  private keepRecent(oid: string, object: RawObject): void {
    const size = object.content.length;
    if (size > RECENT_OBJECT_BYTES / 16) return;
    this.recent.set(oid, object);
    this.recentBytes += size;
    for (const [oldest, dropped] of this.recent) {
      if (this.recentBytes <= RECENT_OBJECT_BYTES) break;
      this.recent.delete(oldest);
      this.recentBytes -= dropped.content.length;
    }
  }

  private async readLoose(oid: string): Promise<RawObject | null> {
    for (const folder of await this.objectFolders()) {
      const file = path.join(folder, oid.slice(0, 2), oid.slice(2));
      let compressed: Buffer;
      try {
        // synchronous: a loose object is one small file, and a promise per read was most of reading one
        compressed = readFileSync(file);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') continue;
        throw error;
      }
      return parseLooseObject(oid, compressed, file);
    }
    return null;
  }

  private async lookup(oid: string, key: Buffer): Promise<RawObject | null> {
    for (const pack of await this.loadPacks()) {
      const index = findInPack(pack, key);
      if (index >= 0) return this.readPacked(pack, pack.offsetAt(index));
    }
    return this.readLoose(oid);
  }

  /**
   * The object, or ObjectNotFoundError when no pack or loose file holds it. A pack that native
   * git removed since the list was read (a gc, a repack) makes the list be read again and the
   * lookup tried once more; any other failure is an error, never "absent".
   */
  async read(oid: string): Promise<RawObject> {
    if (!/^[0-9a-f]{40}$/.test(oid)) throw new Error(`"${oid}" is not a SHA-1 object id`);
    const known = this.recent.get(oid);
    if (known) return known;
    const key = Buffer.from(oid, 'hex');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const found = await this.lookup(oid, key);
        if (found) {
          if (found.type === 'commit' || found.type === 'tree') this.keepRecent(oid, found);
          return found;
        }
      } catch (error) {
        if (attempt > 0 || !isVanishedPack(error)) throw error;
      }
      // A pack may have arrived, or the packs been replaced, since the list was read.
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
    try {
      for (const pack of await this.loadPacks()) {
        const index = findInPack(pack, key);
        if (index < 0) continue;
        const offset = pack.offsetAt(index);
        const entry = readPackRange(pack, offset, entryEnd(pack, offset));
        if (!PACK_TYPES[parsePackEntryHeader(entry, 0, entry.length, offset).typeCode]) return null;
        return crc32(entry) === pack.crcs.readUInt32BE(index * 4) ? entry : null;
      }
    } catch (error) {
      if (!isVanishedPack(error)) throw error;
      this.invalidate();
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
export function parseCommit(content: Buffer): {
  tree: string;
  parents: string[];
  author: string;
  authorEmail: string;
  authoredAt: number;
  authorTimezoneOffset: number;
  committedAt: number;
  message: string;
} {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const headers = (split === -1 ? text : text.slice(0, split)).split('\n');
  let tree = '';
  const parents: string[] = [];
  let author = '';
  let authorEmail = '';
  let authoredAt = 0;
  let authorTimezoneOffset = 0;
  let committedAt = 0;
  for (const line of headers) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('author ')) {
      author = line.slice(7, line.indexOf(' <'));
      authorEmail = line.slice(line.indexOf(' <') + 2, line.indexOf('>'));
      const [seconds, zone] = line.slice(line.indexOf('>') + 2).split(' ');
      authoredAt = Number(seconds) || 0;
      authorTimezoneOffset = timezoneOffsetOf(zone ?? '');
    } else if (line.startsWith('committer ')) committedAt = Number(line.split(' ').at(-2));
  }
  return { tree, parents, author, authorEmail, authoredAt, authorTimezoneOffset, committedAt, message: split === -1 ? '' : text.slice(split + 2) };
}

/** `+0130` as Date.getTimezoneOffset() gives it (-90): the form a Signature keeps. */
function timezoneOffsetOf(zone: string): number {
  const match = /^([+-])(\d\d)(\d\d)$/.exec(zone);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '+' ? -minutes : minutes;
}

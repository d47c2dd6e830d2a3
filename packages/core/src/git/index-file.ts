import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { SyncError } from '../errors.js';
import { replaceIndex, type IndexLock } from './index-lock.js';
import { decodePath, decodePathAt, isRawTreeName, pathBytes } from './objects.js';
import { encodeOffsetVarint } from './pack-format.js';

/**
 * Reads and writes `.git/index`, the stat cache that lets a no-change status skip hashing
 * every file. Native git shares it: it may rewrite it as version 4 (`feature.manyFiles`),
 * without a checksum (`index.skipHash`), with skip-worktree or intent-to-add entries; all of
 * that is read here and written back as it was, so `git status` in the root agrees with
 * planalign-sync and an index native git wrote is never mistaken for an empty one.
 */
/**
 * A file's stat data as the index stores it. Times are whole seconds wrapped to 32 bits (see
 * statDataOf) and the nanoseconds within that second, kept as two numbers: a BigInt per time
 * cost a large root's status more than its reading of the index.
 */
export interface StatData {
  size: number;
  mtimeSeconds: number;
  mtimeNanos: number;
  ctimeSeconds: number;
  ctimeNanos: number;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
}

export interface IndexEntry extends StatData {
  path: string;
  oid: string;
  /** 0o100644, 0o100755, 0o120000 (symbolic link) or 0o160000 (submodule) */
  mode: number;
  /** native git's sparse checkout (or this module for a name the file system cannot hold): the file is not in the working tree on purpose */
  skipWorktree?: boolean;
  /** `git add -N`: a path recorded without its content */
  intentToAdd?: boolean;
  /** `git update-index --assume-unchanged` */
  assumeValid?: boolean;
}

export interface GitIndex {
  entries: Map<string, IndexEntry>;
  /** When the index file was last written (ms, as fs.Stats gives it); entries modified at or after it are "racy". */
  writtenAtMs: number;
  /** 2, 3 or 4; what a rewrite keeps (3 only when an entry needs extended flags) */
  version: number;
  /** paths in the middle of a native `git merge` (stages 1-3): nothing may be committed over them */
  unmerged: string[];
  /** the file's trailing SHA-1, which names this exact index; null when there is none (no file, or index.skipHash) */
  checksum: string | null;
}

/** The index exists but cannot be used: the caller takes the last commit's files instead of none. */
export class UnreadableIndexError extends SyncError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`The Git index ${file} cannot be read (${reason}).`);
  }
}

const SIGNATURE = 'DIRC';
const U32 = 0x1_0000_0000;
const ASSUME_VALID = 0x8000;
const EXTENDED = 0x4000;
const SKIP_WORKTREE = 0x4000;
const INTENT_TO_ADD = 0x2000;
const NAME_LENGTH_MASK = 0xfff;
export const REGULAR_FILE_MODE = 0o100644;
export const EXECUTABLE_FILE_MODE = 0o100755;
export const SYMLINK_MODE = 0o120000;
export const GITLINK_MODE = 0o160000;
const SPARSE_DIRECTORY_MODE = 0o040000;

export function indexPath(gitdir: string): string {
  return path.join(gitdir, 'index');
}

const NS = 1_000_000_000n;
const U32N = 0x1_0000_0000n;

/**
 * A time as the index stores it: whole seconds (rounded down, so 1969 works) wrapped to 32
 * bits, as git's `(unsigned int)st_mtime` does, and the nanoseconds within that second.
 */
function storedTime(ns: bigint): { seconds: number; nanos: number } {
  let seconds = ns / NS;
  let nanos = ns % NS;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NS;
  }
  return { seconds: Number(((seconds % U32N) + U32N) % U32N), nanos: Number(nanos) };
}

/** The stat data the index records for a file, from an exact (`bigint: true`) stat. */
export function statDataOf(stat: BigIntStats): StatData {
  const mtime = storedTime(stat.mtimeNs);
  const ctime = storedTime(stat.ctimeNs);
  return {
    size: Number(stat.size),
    mtimeSeconds: mtime.seconds,
    mtimeNanos: mtime.nanos,
    ctimeSeconds: ctime.seconds,
    ctimeNanos: ctime.nanos,
    dev: Number(stat.dev),
    ino: Number(stat.ino),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
  };
}

/**
 * A stored time in milliseconds, computed as Node computes `Stats.mtimeMs` from the same
 * seconds and nanoseconds, so that a file's stat equals its entry exactly when the times are the
 * same (to within a quarter of a microsecond, where a double runs out of digits).
 */
export const storedTimeMs = (seconds: number, nanos: number): number => seconds * 1e3 + nanos / 1e6;

/** Whether an entry holds a file the working tree has as a regular file (what sync stages). */
export function isRegularFileMode(mode: number): boolean {
  return mode === REGULAR_FILE_MODE || mode === EXECUTABLE_FILE_MODE;
}

export function emptyIndex(): GitIndex {
  return { entries: new Map(), writtenAtMs: 0, version: 2, unmerged: [], checksum: null };
}

/**
 * The index, or an empty one when there is none. An index that exists and cannot be read
 * throws UnreadableIndexError: "empty" would turn every held-back path into a deletion.
 */
export async function readIndex(gitdir: string): Promise<GitIndex> {
  const file = indexPath(gitdir);
  let buffer: Buffer;
  let writtenAtMs: number;
  try {
    // one open file for both, as git does (fstat): a rename over it between two calls would pair one file's time with another's bytes
    const fd = openSync(file, 'r');
    try {
      writtenAtMs = fstatSync(fd).mtimeMs;
      buffer = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
    throw error;
  }
  return { ...parseOrRecall(buffer, file), writtenAtMs };
}

/**
 * The last index this process parsed, named by its file and trailing SHA-1: a pull reads the
 * index before it fetches and again to check out, and a 34,000-file index takes a tenth of a
 * second to parse. Callers change the entries map they get, never its entries, so each gets
 * a map of its own, built from the entries kept here as a list (a list is cheap to keep for a
 * command that never reads the index again; a copy of the map was not).
 */
let lastParsed: { file: string; size: number; checksum: string; entries: IndexEntry[]; version: number } | null = null;

function parseOrRecall(buffer: Buffer, file: string): Omit<GitIndex, 'writtenAtMs'> {
  const trailer = buffer.length >= 32 ? buffer.toString('hex', buffer.length - 20) : null;
  const known = lastParsed;
  if (known && trailer && known.file === file && known.size === buffer.length && known.checksum === trailer) {
    const entries = new Map<string, IndexEntry>();
    for (const entry of known.entries) entries.set(entry.path, entry);
    return { entries, version: known.version, unmerged: [], checksum: known.checksum };
  }
  const parsed = parseIndex(buffer, file);
  lastParsed =
    parsed.checksum && parsed.unmerged.length === 0
      ? { file, size: buffer.length, checksum: parsed.checksum, entries: [...parsed.entries.values()], version: parsed.version }
      : null;
  return parsed;
}

/**
 * An entry as parsed from an index file. One read from a record of version 2 or 3 without
 * extended flags remembers where it lies: written back unchanged into an index of version 2
 * or 3, its bytes are copied rather than encoded again, and its object id is read from them
 * only when asked for (a status that finds nothing changed never does: 34,000 strings fewer).
 * Entries are never changed in place (callers make new ones); spread syntax would not copy the
 * id, so entries are built with entryFromStat and the like, never spread.
 */
class RecordedEntry implements IndexEntry {
  declare skipWorktree?: boolean;
  declare intentToAdd?: boolean;
  declare assumeValid?: boolean;
  readonly #source: Buffer | null;
  readonly #start: number;
  #oid: string | null;

  constructor(
    public path: string,
    /** null: read from the record when asked for */
    oid: string | null,
    public mode: number,
    public size: number,
    public mtimeSeconds: number,
    public mtimeNanos: number,
    public ctimeSeconds: number,
    public ctimeNanos: number,
    public dev: number,
    public ino: number,
    public uid: number,
    public gid: number,
    source: Buffer | null,
    start: number,
  ) {
    this.#source = source;
    this.#start = start;
    this.#oid = oid;
  }

  get oid(): string {
    return (this.#oid ??= this.#source!.toString('hex', this.#start + 40, this.#start + 60));
  }

  /** Adds the entry's record (`length` bytes, padding included) to `runs` at `offset`; false when it has none to copy. */
  static copyRecord(entry: IndexEntry, runs: RecordRuns, offset: number, length: number): boolean {
    if (!(entry instanceof RecordedEntry) || entry.#source === null) return false;
    runs.add(entry.#source, entry.#start, length, offset);
    return true;
  }
}

/**
 * Copies records into an index being written, a run of them at a time: entries written back in
 * the order their file held them lie one after another, and one copy per record was most of
 * writing them.
 */
class RecordRuns {
  private source: Buffer | null = null;
  private from = 0;
  private to = 0;
  private at = 0;

  constructor(private readonly output: Buffer) {}

  add(source: Buffer, start: number, length: number, offset: number): void {
    if (source === this.source && start === this.to && offset === this.at + (this.to - this.from)) {
      this.to += length;
      return;
    }
    this.flush();
    [this.source, this.from, this.to, this.at] = [source, start, start + length, offset];
  }

  flush(): void {
    this.source?.copy(this.output, this.at, this.from, this.to);
    this.source = null;
  }
}

/** Git's offset varint (used by version 4 for how much of the previous name to drop). */
function readVarint(buffer: Buffer, offset: number): { value: number; next: number } {
  let byte = buffer[offset];
  let position = offset + 1;
  let value = byte & 0x7f;
  while (byte & 0x80) {
    byte = buffer[position];
    position += 1;
    value = ((value + 1) * 128) | (byte & 0x7f);
  }
  return { value, next: position };
}

export function parseIndex(buffer: Buffer, file = 'index'): Omit<GitIndex, 'writtenAtMs'> {
  const fail = (reason: string): never => {
    throw new UnreadableIndexError(file, reason);
  };
  if (buffer.length < 32 || buffer.toString('latin1', 0, 4) !== SIGNATURE) fail('it does not start like a Git index');
  const trailer = buffer.subarray(buffer.length - 20);
  // index.skipHash (git 2.40+) writes zeros instead of the checksum.
  if (!trailer.equals(Buffer.alloc(20))) {
    const checksum = createHash('sha1')
      .update(buffer.subarray(0, buffer.length - 20))
      .digest();
    if (!checksum.equals(trailer)) fail('its checksum does not match: it was cut short or damaged');
  }
  const version = buffer.readUInt32BE(4);
  if (version < 2 || version > 4) fail(`version ${version} is not one Git writes`);
  const count = buffer.readUInt32BE(8);
  const end = buffer.length - 20;
  const entries = new Map<string, IndexEntry>();
  const unmerged = new Set<string>();
  let offset = 12;
  let previousName: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i += 1) {
    const start = offset;
    if (offset + 62 > end) fail('it ends in the middle of an entry');
    const flags = buffer.readUInt16BE(offset + 60);
    let extended = 0;
    offset += 62;
    if (flags & EXTENDED) {
      if (version < 3) fail('an entry has extended flags in a version 2 index');
      extended = buffer.readUInt16BE(offset);
      offset += 2;
    }
    let name: string;
    if (version === 4) {
      const { value: drop, next } = readVarint(buffer, offset);
      const nul = buffer.indexOf(0, next);
      if (nul < 0 || nul >= end || drop > previousName.length) fail('an entry name is damaged');
      const nameBytes = Buffer.concat([previousName.subarray(0, previousName.length - drop), buffer.subarray(next, nul)]);
      previousName = nameBytes;
      name = decodePath(nameBytes);
      offset = nul + 1;
    } else {
      // The flags hold the name's length when it is under 4095 bytes; a longer one ends at its NUL.
      const length = flags & NAME_LENGTH_MASK;
      const nul = length < NAME_LENGTH_MASK ? offset + length : buffer.indexOf(0, offset);
      if (nul < 0 || nul >= end || buffer[nul] !== 0) fail('an entry name is damaged');
      name = decodePathAt(buffer, offset, nul);
      offset = start + Math.ceil((nul - start + 1) / 8) * 8;
    }
    const mode = buffer.readUInt32BE(start + 24);
    const stage = (flags >> 12) & 0x3;
    if (stage !== 0) {
      unmerged.add(name);
      continue;
    }
    // A sparse index folds whole folders into one entry: its files are not listed here.
    if (mode === SPARSE_DIRECTORY_MODE) fail('it is a sparse index (index.sparse), which lists folders instead of files');
    // One shape for every entry, the rare flags added after: tens of thousands are read per command.
    const copyable = version !== 4 && !(flags & EXTENDED);
    const entry: IndexEntry = new RecordedEntry(
      name,
      copyable ? null : buffer.toString('hex', start + 40, start + 60),
      mode,
      buffer.readUInt32BE(start + 36),
      buffer.readUInt32BE(start + 8),
      buffer.readUInt32BE(start + 12),
      buffer.readUInt32BE(start),
      buffer.readUInt32BE(start + 4),
      buffer.readUInt32BE(start + 16),
      buffer.readUInt32BE(start + 20),
      buffer.readUInt32BE(start + 28),
      buffer.readUInt32BE(start + 32),
      // a record of version 2 or 3 without extended flags is written the same way in either
      copyable ? buffer : null,
      start,
    );
    if (flags & ASSUME_VALID) entry.assumeValid = true;
    if (extended & SKIP_WORKTREE) entry.skipWorktree = true;
    if (extended & INTENT_TO_ADD) entry.intentToAdd = true;
    entries.set(name, entry);
  }
  // Extensions: optional ones (signature starting A-Z: cache tree, untracked cache, fsmonitor…)
  // are only caches and are rebuilt by git; a required one (split index `link`, `sdir`) means
  // entries live elsewhere.
  while (offset + 8 <= end) {
    const signature = buffer.toString('latin1', offset, offset + 4);
    const size = buffer.readUInt32BE(offset + 4);
    if (!(signature[0] >= 'A' && signature[0] <= 'Z'))
      fail(`it needs the "${signature}" extension${signature === 'link' ? ' (a split index, core.splitIndex)' : ''}`);
    offset += 8 + size;
  }
  return { entries, version, unmerged: [...unmerged], checksum: trailer.equals(Buffer.alloc(20)) ? null : trailer.toString('hex') };
}

/**
 * Entries in the order git keeps them: by the bytes of their UTF-8 paths. Plain string order
 * is the same for ASCII paths, and much cheaper than comparing encoded bytes 6 million times
 * for a root of 300,000 files; any other path is compared by its bytes. An ASCII name is not
 * encoded into a buffer of its own (`name` null): it is written straight into the index.
 */
function sortedByPathBytes(entries: Iterable<IndexEntry>): { entry: IndexEntry; name: Buffer | null; length: number }[] {
  const named = [...entries].map((entry) => {
    // ASCII: as many UTF-8 bytes as characters
    const name = Buffer.byteLength(entry.path) === entry.path.length && !isRawTreeName(entry.path) ? null : pathBytes(entry.path);
    return { entry, name, length: name ? name.length : entry.path.length };
  });
  if (named.every(({ name }) => name === null)) return named.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
  const bytes = (n: { entry: IndexEntry; name: Buffer | null }) => n.name ?? Buffer.from(n.entry.path, 'latin1');
  return named.sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
}

function sharedPrefixLength(a: Buffer, b: Buffer): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a[i] === b[i]) i += 1;
  return i;
}

/**
 * The index file for these entries, in `version` (4 stays 4; 2 becomes 3 only when an entry
 * carries skip-worktree or intent-to-add, as git does). No extensions: git rebuilds its caches.
 */
export function serializeIndex(entries: Iterable<IndexEntry>, preferredVersion = 2): Buffer {
  return encodeIndex(entries, preferredVersion).content;
}

/** serializeIndex, with the entries in the order it wrote them. */
function encodeIndex(entries: Iterable<IndexEntry>, preferredVersion: number): { content: Buffer; sorted: IndexEntry[] } {
  const sorted = sortedByPathBytes(entries);
  const needsExtended = sorted.some(({ entry }) => entry.skipWorktree || entry.intentToAdd);
  const version = preferredVersion === 4 ? 4 : needsExtended ? 3 : 2;
  const hasExtended = (entry: IndexEntry) => version >= 3 && !!(entry.skipWorktree || entry.intentToAdd);
  // Each record: 62 fixed bytes, 2 more with extended flags, then the name (v4: prefix-compressed, no padding).
  const prefixed: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(0);
  let bodyLength = 12;
  for (const { entry, name, length } of sorted) {
    const fixed = 62 + (hasExtended(entry) ? 2 : 0);
    if (version === 4) {
      const bytes = name ?? Buffer.from(entry.path, 'latin1');
      const shared = sharedPrefixLength(previous, bytes);
      const encoded = Buffer.concat([encodeOffsetVarint(previous.length - shared), bytes.subarray(shared), Buffer.alloc(1)]);
      prefixed.push(encoded);
      bodyLength += fixed + encoded.length;
      previous = bytes;
    } else {
      bodyLength += Math.ceil((fixed + length + 1) / 8) * 8;
    }
  }
  // One zeroed buffer for everything: records are padded with NULs.
  const output = Buffer.alloc(bodyLength + 20);
  output.write(SIGNATURE, 0, 'latin1');
  output.writeUInt32BE(version, 4);
  output.writeUInt32BE(sorted.length, 8);
  const runs = new RecordRuns(output);
  let offset = 12;
  for (const [i, { entry, name, length }] of sorted.entries()) {
    if (version !== 4 && !hasExtended(entry)) {
      const recordLength = Math.ceil((62 + length + 1) / 8) * 8;
      if (RecordedEntry.copyRecord(entry, runs, offset, recordLength)) {
        offset += recordLength;
        continue;
      }
    }
    output.writeUInt32BE(entry.ctimeSeconds, offset);
    output.writeUInt32BE(entry.ctimeNanos, offset + 4);
    output.writeUInt32BE(entry.mtimeSeconds, offset + 8);
    output.writeUInt32BE(entry.mtimeNanos, offset + 12);
    output.writeUInt32BE(entry.dev % U32, offset + 16);
    output.writeUInt32BE(entry.ino % U32, offset + 20);
    output.writeUInt32BE(entry.mode, offset + 24);
    output.writeUInt32BE(entry.uid % U32, offset + 28);
    output.writeUInt32BE(entry.gid % U32, offset + 32);
    output.writeUInt32BE(entry.size % U32, offset + 36);
    output.write(entry.oid, offset + 40, 'hex');
    const extended = hasExtended(entry);
    const flags = Math.min(length, 0xfff) | (entry.assumeValid ? ASSUME_VALID : 0) | (extended ? EXTENDED : 0);
    output.writeUInt16BE(flags, offset + 60);
    let position = offset + 62;
    if (extended) {
      output.writeUInt16BE((entry.skipWorktree ? SKIP_WORKTREE : 0) | (entry.intentToAdd ? INTENT_TO_ADD : 0), position);
      position += 2;
    }
    if (version === 4) {
      prefixed[i].copy(output, position);
      offset = position + prefixed[i].length;
    } else {
      if (name) name.copy(output, position);
      else output.write(entry.path, position, 'latin1');
      offset += Math.ceil((position - offset + length + 1) / 8) * 8;
    }
  }
  runs.flush();
  createHash('sha1').update(output.subarray(0, bodyLength)).digest().copy(output, bodyLength);
  return { content: output, sorted: sorted.map(({ entry }) => entry) };
}

/**
 * Writes the index the way git does (through `index.lock`), so a native git process at work is
 * never overwritten: through `lock` when the caller took it before changing anything else.
 * Returns the written index's checksum (see GitIndex.checksum).
 */
export async function writeIndex(gitdir: string, entries: Iterable<IndexEntry>, version = 2, lock?: IndexLock): Promise<string> {
  const { content, sorted: written } = encodeIndex(entries, version);
  if (lock) await lock.commit(content);
  else await replaceIndex(gitdir, content);
  const checksum = content.toString('hex', content.length - 20);
  // The next read of this index (a push counting what it synced, say) need not parse it again.
  if (written.every(inStoredForm)) {
    lastParsed = { file: indexPath(gitdir), size: content.length, checksum, entries: written, version: content.readUInt32BE(4) };
  }
  return checksum;
}

/** Whether an entry reads back from the index exactly as it is: its numbers fit their 32 bits (times are stored wrapped already). */
function inStoredForm(entry: IndexEntry): boolean {
  return entry.size < U32 && entry.ino < U32 && entry.dev < U32 && entry.uid < U32 && entry.gid < U32;
}

/** An entry with no stat data: the next scan reads the file and compares it for itself. */
export function entryWithoutStat(relativePath: string, oid: string, mode = REGULAR_FILE_MODE): IndexEntry {
  return { path: relativePath, oid, mode, size: 0, mtimeSeconds: 0, mtimeNanos: 0, ctimeSeconds: 0, ctimeNanos: 0, dev: 0, ino: 0, uid: 0, gid: 0 };
}

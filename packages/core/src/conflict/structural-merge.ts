import { isDeepStrictEqual } from 'node:util';
import { diff3Merge } from 'node-diff3';
import { isMap, isNode, parseDocument, type Document } from 'yaml';
import { appendAll } from '../util/arrays.js';

/**
 * Three-way merge of JSON and YAML files by key path: edits to different keys on two machines
 * both survive, where a line merge would conflict or, worse, produce a file that no longer
 * parses. Only the same key changed to different values on both sides (or a key deleted on
 * one side and changed on the other) is a real conflict. Arrays and scalars are values: two
 * different edits of one array conflict as a whole.
 */
export type KeyPath = (string | number)[];

/** A key path as one string ("compensation.cola_rate"): how conflicts name keys to people and in choices. */
export const keyName = (path: KeyPath): string => path.join('.');

export interface KeyConflict {
  path: KeyPath;
  base: unknown;
  ours: unknown;
  theirs: unknown;
}

/** Which side's value settles a real conflict: one side for every key, or a choice per key. */
export type Prefer = 'ours' | 'theirs' | ((path: KeyPath) => 'ours' | 'theirs');

export interface StructuralMergeResult {
  /**
   * the merged file: for YAML, both sides' lines where a line merge gives the values merged by
   * key, else formatted like the local one; with conflicts, each takes `prefer`'s value
   */
  content: string;
  conflicts: KeyConflict[];
  /** the sides whose comments the merged file does not carry (YAML): the caller keeps them in a backup */
  dropped: ('ours' | 'theirs')[];
}

const MISSING = Symbol('missing');
type Value = unknown;

function isPlainObject(value: Value): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges values; `prefer` decides each real conflict, which is also reported. */
export function mergeValues(base: Value, ours: Value, theirs: Value, prefer: Prefer, path: KeyPath = [], conflicts: KeyConflict[] = []): Value {
  if (isDeepStrictEqual(ours, theirs)) return ours;
  if (isDeepStrictEqual(base, ours)) return theirs;
  if (isDeepStrictEqual(base, theirs)) return ours;
  if (isPlainObject(ours) && isPlainObject(theirs) && (base === MISSING || isPlainObject(base))) {
    const baseObject = isPlainObject(base) ? base : {};
    const merged: Record<string, unknown> = {};
    // Local key order first, then keys only the remote added, in its order.
    const keys = [...Object.keys(ours), ...Object.keys(theirs).filter((k) => !(k in ours))];
    for (const key of [...keys, ...Object.keys(baseObject).filter((k) => !keys.includes(k))]) {
      const value = mergeValues(
        key in baseObject ? baseObject[key] : MISSING,
        key in ours ? ours[key] : MISSING,
        key in theirs ? theirs[key] : MISSING,
        prefer,
        [...path, key],
        conflicts,
      );
      if (value !== MISSING) merged[key] = value;
    }
    return merged;
  }
  conflicts.push({
    path,
    base: base === MISSING ? undefined : base,
    ours: ours === MISSING ? undefined : ours,
    theirs: theirs === MISSING ? undefined : theirs,
  });
  // A key changed on one side and deleted on the other keeps the change: nothing written is lost.
  if (ours === MISSING) return theirs;
  if (theirs === MISSING) return ours;
  return (typeof prefer === 'function' ? prefer(path) : prefer) === 'ours' ? ours : theirs;
}

function detectIndent(text: string): string | number {
  const match = /^([ \t]+)\S/m.exec(text);
  return match ? match[1] : 2;
}

/** JSON text for `value` written the way `like` is: its indentation and final newline, and its keys' order first. */
export function formatJsonLike(like: string, value: unknown): string {
  let ordered = value;
  const original = JSON.parse(like) as unknown;
  if (isPlainObject(original as Value) && isPlainObject(value as Value)) {
    const object = value as Record<string, unknown>;
    const keys = [...Object.keys(original as object).filter((k) => k in object), ...Object.keys(object).filter((k) => !(k in (original as object)))];
    ordered = Object.fromEntries(keys.map((k) => [k, object[k]]));
  }
  return `${JSON.stringify(ordered, null, detectIndent(like))}${like.endsWith('\n') ? '\n' : ''}`;
}

function mergeJson(base: string | null, ours: string, theirs: string, prefer: Prefer): StructuralMergeResult {
  const conflicts: KeyConflict[] = [];
  const merged = mergeValues(base === null ? MISSING : JSON.parse(base), JSON.parse(ours), JSON.parse(theirs), prefer, [], conflicts);
  return { content: formatJsonLike(ours, merged), conflicts, dropped: [] };
}

/** The other side's document and the common one (null when there is none), for the comments on values taken from the other side. */
interface Sources {
  other: Document;
  base: Document | null;
}

/** The comments a node carries (on its line, and above it). */
const nodeComments = (node: unknown) => (isNode(node) ? `${node.comment ?? ''}\n${node.commentBefore ?? ''}` : '');

/**
 * Applies a merged value to the local YAML document, touching only the keys that changed, so
 * comments and layout survive. A value taken from the other side comes as that side wrote it,
 * with its comment, unless only this side changed the comment on that line.
 */
function applyToDocument(document: Document, path: KeyPath, current: Value, merged: Value, sources: Sources): void {
  if (isDeepStrictEqual(current, merged)) return;
  if (isPlainObject(current) && isPlainObject(merged) && isMap(path.length === 0 ? document.contents : document.getIn(path, true))) {
    for (const key of Object.keys(current)) if (!(key in merged)) document.deleteIn([...path, key]);
    for (const [key, value] of Object.entries(merged)) applyToDocument(document, [...path, key], current[key], value, sources);
    return;
  }
  if (path.length === 0) {
    document.contents = document.createNode(merged) as Document['contents'];
    return;
  }
  const theirs = sources.other.getIn(path, true);
  const before = nodeComments(sources.base?.getIn(path, true));
  const onlyOursChangedComment = nodeComments(document.getIn(path, true)) !== before && nodeComments(theirs) === before;
  const asTheyWroteIt = isNode(theirs) && isDeepStrictEqual(theirs.toJSON(), merged) && !onlyOursChangedComment;
  document.setIn(path, asTheyWroteIt ? theirs.clone() : merged);
}

function mergeYaml(base: string | null, ours: string, theirs: string, prefer: Prefer): StructuralMergeResult {
  const parse = (text: string) => {
    const document = parseDocument(text);
    if (document.errors.length > 0) throw document.errors[0];
    return document;
  };
  const [local, other, common] = [parse(ours), parse(theirs), base === null ? null : parse(base)];
  const conflicts: KeyConflict[] = [];
  const current = local.toJS();
  const merged = mergeValues(common === null ? MISSING : common.toJS(), current, other.toJS(), prefer, [], conflicts);
  // Both sides' lines, comments and layout, when a line merge gives exactly the values merged by key.
  const byLine = base === null ? null : lineMerge(base, ours, theirs);
  if (byLine !== null && conflicts.length === 0 && sameValues(byLine, merged)) return { content: byLine, conflicts, dropped: [] };
  applyToDocument(local, [], current, merged, { other, base: common });
  const content = local.toString();
  const dropped = (['ours', 'theirs'] as const).filter((side) => commentsLost(base, side === 'ours' ? ours : theirs, content));
  return { content, conflicts, dropped };
}

/**
 * The three-way merge of the lines of a YAML file, as git's; where both sides added or changed
 * the same place, both sides' lines are kept (ours first), and the caller keeps the result only
 * when its values are the ones merged by key.
 */
function lineMerge(base: string, ours: string, theirs: string): string {
  const lines = (text: string) => text.split('\n');
  const regions = diff3Merge(lines(ours), lines(base), lines(theirs), { excludeFalseConflicts: true });
  const out: string[] = [];
  for (const region of regions) {
    if (region.ok) appendAll(out, region.ok);
    else if (region.conflict) {
      const ours = new Set(region.conflict.a);
      appendAll(out, region.conflict.a);
      appendAll(
        out,
        region.conflict.b.filter((line) => !ours.has(line)),
      );
    }
  }
  return out.join('\n');
}

function sameValues(text: string, merged: unknown): boolean {
  const document = parseDocument(text);
  return document.errors.length === 0 && isDeepStrictEqual(document.toJS(), merged);
}

/** Whether comments a side added since the base are missing from the merged text. */
function commentsLost(base: string | null, side: string, merged: string): boolean {
  const before = new Set(base === null ? [] : commentsOf(base));
  return commentsOf(side).some((comment) => !before.has(comment) && !merged.includes(comment));
}

/** The comments of a YAML text, roughly: what follows a `#` that starts a line or follows a space. */
function commentsOf(text: string): string[] {
  const comments: string[] = [];
  for (const line of text.split('\n')) {
    const at = line.search(/(^|\s)#/);
    if (at >= 0) comments.push(line.slice(line.indexOf('#', at)).trim());
  }
  return comments;
}

export function isStructurallyMergeable(filePath: string): boolean {
  return /\.(json|ya?ml)$/i.test(filePath);
}

/**
 * Merges one JSON or YAML file; null when a side does not parse (the caller falls back to
 * choosing a whole version).
 */
export function mergeStructured(filePath: string, base: string | null, ours: string, theirs: string, prefer: Prefer): StructuralMergeResult | null {
  let result: StructuralMergeResult;
  try {
    result = /\.json$/i.test(filePath) ? mergeJson(base, ours, theirs, prefer) : mergeYaml(base, ours, theirs, prefer);
  } catch {
    return null;
  }
  // The file keeps this computer's line endings: a file written with CRLF (Windows) stays so.
  return ours.includes('\r\n') ? { ...result, content: result.content.replace(/\r?\n/g, '\r\n') } : result;
}

/**
 * The keys a JSON or YAML file changed differently on each side, with each side's value; null
 * when the file is neither, or a side does not parse (it can then only be compared whole).
 */
export function conflictingKeys(filePath: string, base: string | null, ours: string, theirs: string): KeyConflict[] | null {
  if (!isStructurallyMergeable(filePath)) return null;
  return mergeStructured(filePath, base, ours, theirs, 'ours')?.conflicts ?? null;
}

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../fs/atomic-write.js';

/**
 * Refs as git's files backend keeps them: a loose file under `.git/` (an object id, or
 * `ref: <other ref>`), else a line of `packed-refs`. Read and written with synchronous calls:
 * a push resolves refs a few dozen times, and each is one small file the kernel has cached,
 * where a promise round trip through the thread pool costs a millisecond on a busy laptop.
 */
const OBJECT_ID = /^[0-9a-f]{40}$/;
/** git's SYMREF_MAXDEPTH: a longer chain of `ref:` files is refused as a loop */
const MAX_SYMBOLIC_DEPTH = 5;

/** Names this module reads and writes: `HEAD` and full `refs/…` names (no abbreviations to expand). */
export function isFullRefName(ref: string): boolean {
  return ref === 'HEAD' || (ref.startsWith('refs/') && !ref.split('/').some((part) => part === '' || part === '.' || part === '..'));
}

interface PackedRefs {
  stamp: string;
  refs: Map<string, string>;
}

const packedByGitdir = new Map<string, PackedRefs>();

/** `packed-refs`, parsed once per version of the file (git replaces it whole, through a rename). */
function packedRefs(gitdir: string): Map<string, string> {
  const file = path.join(gitdir, 'packed-refs');
  let stamp: string;
  try {
    const stat = statSync(file, { bigint: true });
    stamp = `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  } catch {
    packedByGitdir.delete(gitdir);
    return new Map();
  }
  const known = packedByGitdir.get(gitdir);
  if (known?.stamp === stamp) return known.refs;
  const refs = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // removed between the stat and the read: the loose files hold every ref then
  }
  for (const line of text.split('\n')) {
    // `# pack-refs with: …` is the header; `^<id>` peels the annotated tag on the line above.
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    const oid = line.slice(0, space);
    if (space === 40 && OBJECT_ID.test(oid)) refs.set(line.slice(space + 1).trimEnd(), oid);
  }
  packedByGitdir.set(gitdir, { stamp, refs });
  return refs;
}

/** A loose ref file's text; null when there is none (a folder of refs is none either). */
function looseRef(gitdir: string, ref: string): string | null {
  try {
    return readFileSync(path.join(gitdir, ref), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw error;
  }
}

/** Where a loose symbolic ref (`HEAD` on a branch) points: `refs/heads/main`; null when it holds an object id or is missing. */
export function looseSymbolicTarget(gitdir: string, ref: string): string | null {
  const value = looseRef(gitdir, ref)?.trim();
  return value?.startsWith('ref:') ? value.slice('ref:'.length).trim() : null;
}

/**
 * The object a full ref name (`HEAD`, `refs/heads/main`…) points at, following `ref:` links as
 * git does; null when it does not exist or does not hold an object id.
 */
export function readRef(gitdir: string, ref: string, depth = 0): string | null {
  if (depth > MAX_SYMBOLIC_DEPTH) return null;
  const loose = looseRef(gitdir, ref);
  const value = loose === null ? (packedRefs(gitdir).get(ref) ?? null) : loose.trim();
  if (value === null) return null;
  if (value.startsWith('ref:')) {
    const target = value.slice('ref:'.length).trim();
    return isFullRefName(target) ? readRef(gitdir, target, depth + 1) : null;
  }
  return OBJECT_ID.test(value) ? value : null;
}

/**
 * Points a ref at an object, as a loose file: written to a temporary file, flushed to disk and
 * renamed over the old one, so a crash leaves the old value or the new one. A loose file
 * takes precedence over `packed-refs`, as in git.
 */
export function writeRefFile(gitdir: string, ref: string, oid: string): void {
  if (!isFullRefName(ref)) throw new Error(`"${ref}" is not a full ref name`);
  if (!OBJECT_ID.test(oid)) throw new Error(`"${oid}" is not a SHA-1 object id`);
  const target = path.join(gitdir, ref);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileAtomicSync(target, `${oid}\n`);
}

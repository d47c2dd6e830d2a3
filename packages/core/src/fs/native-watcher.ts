import { promises as fsp, readdirSync, type Dirent } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * @parcel/watcher, the native file watcher, loaded when a watch starts rather than by every
 * command that never watches. By require: the command line's bundle can load nothing outside
 * it with import() (see packages/cli/bundle.mjs).
 */
export function loadNativeWatcher(): typeof import('@parcel/watcher') {
  return createRequire(import.meta.url)('@parcel/watcher') as typeof import('@parcel/watcher');
}

/**
 * Whether a folder whose creation the watcher reported holds folders whose own creation it did
 * not report (`created`: root-relative paths, forward slashes). The native watcher watches a
 * folder it sees created, but not the folders already inside it: `mkdir -p runs/<id>/logs`
 * made faster than it adds its watch leaves `<id>` unwatched, and every later change in it
 * unseen. A subfolder created after its parent was watched has a create event of its own.
 */
export function holdsUnwatchedFolder(root: string, relative: string, created: ReadonlySet<string>): boolean {
  let entries: Dirent[];
  try {
    entries = readdirSync(path.join(root, relative), { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((entry) => entry.isDirectory() && !created.has(`${relative}/${entry.name}`));
}

/**
 * A file as its stat data names it (inode, size, modification and change times), or null when
 * it is not there: Git replaces its index and refs whole, so a new stamp means a new file.
 */
export async function statStamp(file: string): Promise<string | null> {
  const stat = await fsp.lstat(file, { bigint: true }).catch(() => null);
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}` : null;
}

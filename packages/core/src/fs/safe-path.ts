import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { SyncError } from '../errors.js';

/**
 * Resolves a root-relative path from a remote tree, refusing anything that would land outside
 * the root: `..` segments, absolute paths, or a folder on the way that is a symbolic link.
 */
export async function resolveInsideRoot(root: string, relativePath: string): Promise<string> {
  const parts = relativePath.split('/');
  if (path.isAbsolute(relativePath) || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')) || parts[0] === '.git') {
    throw new SyncError(`Refusing to write "${relativePath}": the path leaves the workspaces root.`);
  }
  let current = root;
  for (const part of parts.slice(0, -1)) {
    current = path.join(current, part);
    const stat = await fsp.lstat(current).catch(() => null);
    if (stat?.isSymbolicLink()) throw new SyncError(`Refusing to write "${relativePath}": ${part} is a symbolic link.`);
  }
  return path.join(root, ...parts);
}

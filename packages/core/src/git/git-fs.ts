import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * The file system handed to isomorphic-git. It rewrites refs, the index, config and packs in
 * place; here every write inside `.git/` goes through temp file, fsync and rename, so a process
 * killed mid-write leaves the old file or the new one, never a torn one.
 */
export function createGitFs(gitdir: string) {
  const inside = (target: string) => {
    const relative = path.relative(gitdir, path.resolve(target));
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  };
  const writeFile = async (target: string, data: string | Uint8Array, options?: unknown) => {
    if (inside(target)) {
      const mode = typeof options === 'object' && options && 'mode' in options ? (options as { mode?: number }).mode : undefined;
      await writeFileAtomic(target, data, { mode });
      return;
    }
    await fsp.writeFile(target, data, options as Parameters<typeof fsp.writeFile>[2]);
  };
  return {
    promises: {
      readFile: fsp.readFile,
      writeFile,
      unlink: fsp.unlink,
      readdir: fsp.readdir,
      mkdir: fsp.mkdir,
      rmdir: fsp.rmdir,
      stat: fsp.stat,
      lstat: fsp.lstat,
      readlink: fsp.readlink,
      symlink: fsp.symlink,
      chmod: fsp.chmod,
    },
  };
}

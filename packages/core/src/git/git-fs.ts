import { lstatSync, promises as fsp, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * The file system handed to isomorphic-git. It rewrites refs, the index, config and packs in
 * place; here every write inside `.git/` goes through temp file, fsync and rename, so a process
 * killed mid-write leaves the old file or the new one, never a torn one. What it reads (config,
 * HEAD, refs: small files, read again by every call) is read synchronously and handed back as a
 * settled promise, which costs microseconds where a thread-pool round trip costs a millisecond.
 */
export function createGitFs(gitdir: string) {
  const inside = (target: string) => {
    const relative = path.relative(gitdir, path.resolve(target));
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  };
  const config = path.join(gitdir, 'config');
  const writeFile = async (target: string, data: string | Uint8Array, options?: unknown) => {
    // isomorphic-git writes the config without a final newline; git ends every line of it, and
    // a section someone appends (`>> .git/config`) would otherwise run into the last value.
    if (path.resolve(target) === config && typeof data === 'string' && data !== '' && !data.endsWith('\n')) data += '\n';
    if (inside(target)) {
      const mode = typeof options === 'object' && options && 'mode' in options ? (options as { mode?: number }).mode : undefined;
      await writeFileAtomic(target, data, { mode });
      return;
    }
    await fsp.writeFile(target, data, options as Parameters<typeof fsp.writeFile>[2]);
  };
  return {
    promises: {
      readFile: async (target: string, options?: Parameters<typeof readFileSync>[1]) => readFileSync(target, options),
      writeFile,
      unlink: fsp.unlink,
      readdir: async (target: string) => readdirSync(target),
      mkdir: fsp.mkdir,
      rmdir: fsp.rmdir,
      stat: async (target: string) => statSync(target),
      lstat: async (target: string) => lstatSync(target),
      readlink: async (target: string, options?: { encoding: BufferEncoding | 'buffer' }) => readlinkSync(target, options as { encoding: BufferEncoding }),
      symlink: fsp.symlink,
      chmod: fsp.chmod,
    },
  };
}

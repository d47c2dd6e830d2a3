import { chmodSync, closeSync, existsSync, lstatSync, openSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { tempSuffix } from '../fs/atomic-write.js';

/**
 * What `git init` learns of the file system holding a new repository and records in its
 * `core` settings (setup.c, create_default_files): whether the executable bit can be trusted,
 * whether symbolic links can be made, whether names ignore case, and on macOS whether names
 * come back precomposed. Native git in the root and this project's checkout both act on them:
 * `core.ignoreCase` written on a file system that tells `A.txt` from `a.txt` would keep one of
 * the two from being written.
 *
 * A value is null where git leaves the key out (symbolic links that work, case that counts,
 * precomposition anywhere but macOS).
 */
export interface CoreSettings {
  'core.filemode': 'true' | 'false';
  'core.symlinks': 'false' | null;
  'core.ignorecase': 'true' | null;
  'core.precomposeunicode': 'true' | 'false' | null;
}

/** Probes the file system of `gitdir` (a repository's folder, its `config` written) as `git init` does. */
export function probeCoreSettings(gitdir: string, platform: NodeJS.Platform = process.platform): CoreSettings {
  return {
    'core.filemode': trustsFileMode(gitdir, platform) ? 'true' : 'false',
    'core.symlinks': makesSymlinks(gitdir) ? null : 'false',
    'core.ignorecase': existsSync(path.join(gitdir, 'CoNfIg')) ? 'true' : null,
    'core.precomposeunicode': platform === 'darwin' ? precomposesNames(gitdir) : null,
  };
}

/** Flipping the config file's owner-executable bit shows in its mode, and it was not set before (git's test). */
function trustsFileMode(gitdir: string, platform: NodeJS.Platform): boolean {
  // Git for Windows is built without trustable file modes.
  if (platform === 'win32') return false;
  const config = path.join(gitdir, 'config');
  try {
    const before = lstatSync(config).mode;
    chmodSync(config, before ^ 0o100);
    const after = lstatSync(config).mode;
    chmodSync(config, before);
    return after !== before && !(before & 0o100);
  } catch {
    return false;
  }
}

function makesSymlinks(gitdir: string): boolean {
  const probe = path.join(gitdir, `t${tempSuffix()}`);
  try {
    symlinkSync('testing', probe);
    return lstatSync(probe).isSymbolicLink();
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

/** A file created under its precomposed name (ä as one character) is found under the decomposed one. */
function precomposesNames(gitdir: string): 'true' | 'false' | null {
  const composed = path.join(gitdir, '\u00e4');
  let fd: number;
  try {
    fd = openSync(composed, 'wx', 0o600);
  } catch {
    return null;
  }
  closeSync(fd);
  try {
    return existsSync(path.join(gitdir, 'a\u0308')) ? 'true' : 'false';
  } finally {
    unlinkSync(composed);
  }
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { isRawTreeName } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';

/**
 * What a path from the shared copy becomes on this computer's file system. macOS and Windows
 * usually ignore case, and macOS treats the two Unicode spellings of an accented letter as one
 * name: two paths that differ only that way would be one file here, and the next sync would
 * delete the other. Git records this in `core.ignoreCase` / `core.precomposeUnicode` when it
 * creates a repository (by checking whether `.git/CoNfIg` finds `.git/config`); the same
 * setting, or the same check, decides it here.
 */
export interface NameFolding {
  active: boolean;
  fold(relativePath: string): string;
  describe(a: string, b: string): string;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// eslint-disable-next-line no-control-regex -- Windows refuses control characters in names
const WINDOWS_FORBIDDEN = /[<>:"|?*\\\u0000-\u001f]/;

export async function nameFolding(repo: GitRepository): Promise<NameFolding> {
  const configured = await repo.getConfig('core.ignorecase');
  const ignoreCase = configured !== null ? configured === 'true' : existsSync(path.join(repo.gitdir, 'CoNfIg'));
  const normalizes = ignoreCase && (process.platform === 'darwin' || (await repo.getConfig('core.precomposeunicode')) === 'true');
  return {
    active: ignoreCase,
    fold: (relativePath) => (normalizes ? relativePath.normalize('NFC') : relativePath).toLowerCase(),
    describe: (a, b) => (a.toLowerCase() === b.toLowerCase() ? 'upper and lower case' : 'how its accented letters are encoded'),
  };
}

/** Why a path from the shared copy cannot be written in this working tree, or null when it can. */
export function unplaceableReason(relativePath: string, platform: NodeJS.Platform = process.platform): string | null {
  if (isRawTreeName(relativePath)) return 'its name is not valid UTF-8 text: kept in the shared copy, not written here';
  const parts = relativePath.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..' || part.toLowerCase() === '.git')) {
    return 'its path would leave the workspaces root or enter .git: kept in the shared copy, not written here';
  }
  if (platform === 'win32' && parts.some((part) => WINDOWS_FORBIDDEN.test(part) || WINDOWS_RESERVED.test(part) || /[. ]$/.test(part))) {
    return 'its name is not a valid file name on Windows: kept in the shared copy, not written here';
  }
  return null;
}

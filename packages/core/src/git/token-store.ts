import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  credentialRequest,
  credentialsFromEnvironment,
  credentialsFromHelper,
  defaultTokenUsername,
  parseCredentialAnswer,
  type Credentials,
} from './credentials.js';
import { nativeGitAvailable, runNativeGit } from './native-git.js';

/**
 * Where a token given to sync (`sync login`, the dashboard's set-up form) is kept, and where the
 * transport finds it again:
 *
 * - Git's credential helper, when git is installed and one is configured for the remote's URL
 *   (osxkeychain, Git Credential Manager, libsecret, `store`, …; not `cache`, which forgets it
 *   within minutes): the token goes in with
 *   `git credential approve` and comes back with `fill`, as git's own would, and a 401 rejects it;
 * - otherwise a file only this user can read (mode 0600) in the user's configuration folder,
 *   outside every workspaces root (`tokenFilePath`).
 *
 * The order in which a remote's credentials are looked for is: PLANALIGN_SYNC_TOKEN, then this
 * file, then the credential helper (which holds both a token saved here and credentials set up
 * for git beforehand). A token never goes anywhere else: not the root, `.git/config`, the
 * journal, a log, a message or an API answer.
 */
export type TokenPlace = 'credential-helper' | 'file';

export interface SavedToken {
  /** where it went */
  place: TokenPlace;
  /** the helper's name (`store`, `osxkeychain`, …) or the file's path: never the token */
  location: string;
}

const FILE_VERSION = 1;

interface TokenFile {
  version: number;
  remotes: Record<string, { username: string; token: string; saved_at: string }>;
}

/**
 * The file for tokens when no credential helper is configured: in the user's configuration
 * folder, `$XDG_CONFIG_HOME/planalign-sync` (else `~/.config/planalign-sync`) on Linux and other
 * Unix systems, `~/Library/Application Support/planalign-sync` on macOS, `%APPDATA%\planalign-sync`
 * on Windows.
 */
export function tokenFilePath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'planalign-sync', 'credentials.json');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'planalign-sync', 'credentials.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'planalign-sync', 'credentials.json');
}

/** The key a remote's token is filed under: scheme, host and path, without user name, `.git` or trailing slash. */
function remoteKey(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`;
}

async function readTokenFile(file = tokenFilePath()): Promise<TokenFile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return { version: FILE_VERSION, remotes: {} };
  }
  try {
    const parsed = JSON.parse(text) as Partial<TokenFile>;
    return { version: FILE_VERSION, remotes: parsed && typeof parsed.remotes === 'object' && parsed.remotes ? parsed.remotes : {} };
  } catch {
    // A damaged file is replaced by the next token saved; it holds nothing this process can use.
    return { version: FILE_VERSION, remotes: {} };
  }
}

/** Writes the whole file at once, readable and writable by this user only, in a folder only they can open. */
async function writeTokenFile(content: TokenFile, file = tokenFilePath()): Promise<void> {
  if (Object.keys(content.remotes).length === 0) {
    await fsp.rm(file, { force: true });
    return;
  }
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // A folder made earlier with a wider mode is narrowed: only its owner may list or open it.
  await fsp.chmod(path.dirname(file), 0o700).catch(() => undefined);
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await fsp.open(temporary, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temporary, file);
}

/** The token saved in the file for this remote (else for another repository on its host), as credentials. */
export async function credentialsFromFile(url: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | null> {
  let key: string;
  try {
    key = remoteKey(url);
  } catch {
    return null;
  }
  const { remotes } = await readTokenFile(tokenFilePath(env));
  const origin = new URL(key).origin;
  const entry = remotes[key] ?? Object.entries(remotes).find(([saved]) => URL.canParse(saved) && new URL(saved).origin === origin)?.[1];
  if (!entry?.token) return null;
  return { username: env.PLANALIGN_SYNC_USERNAME || entry.username || defaultTokenUsername(url, env), password: entry.token, source: 'file' };
}

/** The credential helper git would use for this URL (its configured name), or null when none is or git is missing. */
export async function configuredHelper(url: string, cwd?: string): Promise<string | null> {
  if (!nativeGitAvailable()) return null;
  const result = await runNativeGit(['config', '--get-urlmatch', 'credential.helper', url], { cwd }).catch(() => null);
  const helper = result?.code === 0 ? result.stdout.trim().split('\n').pop()?.trim() : '';
  return helper ? helper : null;
}

/** What the helper holds for this URL under the user name sync saves tokens with, never prompting. */
async function helperEntry(url: string, username: string, cwd?: string): Promise<Credentials | null> {
  const result = await runNativeGit(['credential', 'fill'], {
    cwd,
    input: credentialRequest(url, { username }),
    env: { GIT_ASKPASS: '', SSH_ASKPASS: '' },
  }).catch(() => null);
  if (!result || result.code !== 0) return null;
  const values = parseCredentialAnswer(result.stdout);
  return values.password ? { username: values.username ?? username, password: values.password, source: 'credential-helper' } : null;
}

/**
 * Keeps a token for a remote: in the credential helper when one is configured and gives it back,
 * else in the 0600 file. Either way, the other place no longer holds one for this remote.
 */
export async function saveToken(url: string, token: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SavedToken> {
  const env = options.env ?? process.env;
  const username = defaultTokenUsername(url, env);
  const file = tokenFilePath(env);
  const helper = await configuredHelper(url, options.cwd);
  // git's `cache` keeps credentials in memory for minutes: not a place a token survives a restart in.
  if (helper && !/^cache\b/.test(helper)) {
    await runNativeGit(['credential', 'approve'], { cwd: options.cwd, input: credentialRequest(url, { username, password: token }) }).catch(() => null);
    // A helper that keeps nothing, or gives back something else, is not a place to keep it.
    if ((await helperEntry(url, username, options.cwd))?.password === token) {
      await removeFromFile(url, file);
      return { place: 'credential-helper', location: helper };
    }
  }
  const content = await readTokenFile(file);
  content.remotes[remoteKey(url)] = { username, token, saved_at: new Date().toISOString() };
  await writeTokenFile(content, file);
  return { place: 'file', location: file };
}

async function removeFromFile(url: string, file: string): Promise<boolean> {
  const content = await readTokenFile(file);
  const key = remoteKey(url);
  if (!(key in content.remotes)) return false;
  delete content.remotes[key];
  await writeTokenFile(content, file);
  return true;
}

/**
 * Forgets the token kept for a remote: the file's entry, and what the credential helper holds
 * under the user name sync saves with (credentials git was given under another name are left alone).
 */
export async function removeToken(url: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SavedToken[]> {
  const env = options.env ?? process.env;
  const removed: SavedToken[] = [];
  const file = tokenFilePath(env);
  if (await removeFromFile(url, file)) removed.push({ place: 'file', location: file });
  const helper = await configuredHelper(url, options.cwd);
  if (helper) {
    const entry = await helperEntry(url, defaultTokenUsername(url, env), options.cwd);
    if (entry) {
      await runNativeGit(['credential', 'reject'], { cwd: options.cwd, input: credentialRequest(url, { username: entry.username, password: entry.password }) });
      removed.push({ place: 'credential-helper', location: helper });
    }
  }
  return removed;
}

/** Where the credentials for a remote would come from, in the transport's order; never the credentials. */
export async function credentialSource(
  url: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ source: Credentials['source']; location: string | null } | null> {
  const env = options.env ?? process.env;
  if (credentialsFromEnvironment(url, env)) return { source: 'environment', location: 'PLANALIGN_SYNC_TOKEN' };
  if (await credentialsFromFile(url, env)) return { source: 'file', location: tokenFilePath(env) };
  if (await credentialsFromHelper(url)) return { source: 'credential-helper', location: await configuredHelper(url, options.cwd) };
  return null;
}

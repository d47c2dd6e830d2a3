import path from 'node:path';
import { settingsHere } from './sync-context.js';
import { SyncAuthError, SyncConfigError, SyncError } from '../errors.js';
import { defaultTokenUsername } from '../git/credentials.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import { checkWriteAccess } from '../git/smart-http.js';
import { credentialSource, removeToken, saveToken, tokenFilePath, type SavedToken } from '../git/token-store.js';
import type { AuthState } from '../models/auth.js';
import { redactUrl } from '../models/remote-url.js';

/**
 * Giving sync a token for a remote, taking it back, and saying where it comes from (see
 * git/token-store.ts for where it is kept and the order credentials are looked for in).
 */

/** The remote a token is for: an address, a remote's name, or (none given) this root's own. */
export async function tokenRemote(root: string, remote?: string): Promise<string> {
  const settings = await settingsHere(root).catch(() => null);
  const named = remote === 'origin' ? settings?.remote : remote ? settings?.remotes[remote]?.url : settings?.remote;
  const url = named ?? remote;
  if (!url) {
    throw new SyncConfigError("No remote to give a token for: this root does not sync yet. Give the repository's address.", { field: 'remote' });
  }
  if (assertRemoteUrlIsSafe(url, 'the remote URL') !== 'https') {
    throw new SyncConfigError(`${redactUrl(url)} is reached over SSH, with this computer's SSH key: a token is for an https:// address of the repository.`, {
      field: 'remote',
    });
  }
  return url;
}

function placeWords(place: SavedToken): string {
  return place.place === 'file' ? `the file ${place.location}, which only you can read` : `Git's credential helper (${place.location})`;
}

/** Checks that the token may push to the remote, then keeps it; a token the remote refuses is not kept. */
export async function login(root: string, options: { remote?: string; token: string }): Promise<AuthState> {
  const url = await tokenRemote(root, options.remote);
  const token = options.token.trim();
  if (!token) throw new SyncConfigError('No token given: nothing was saved.', { field: 'token' });
  if (/\s/.test(token)) throw new SyncConfigError('That is not an access token (it has spaces or line breaks in it): nothing was saved.', { field: 'token' });
  const file = tokenFilePath();
  if (!path.relative(path.resolve(root), file).startsWith('..')) {
    throw new SyncConfigError(`The token file ${file} would be inside the workspaces root, which is synced: nothing was saved.`);
  }
  const shown = redactUrl(url);
  try {
    await checkWriteAccess(url, { username: defaultTokenUsername(url), password: token });
  } catch (error) {
    if (error instanceof SyncAuthError) {
      throw new SyncAuthError(`${shown} refused this token for writing: it is wrong or expired, or it may not write to this repository. Nothing was saved.`, {
        field: 'token',
      });
    }
    throw error instanceof SyncError ? error : new SyncError(String(error));
  }
  const saved = await saveToken(url, token);
  const state = await authState(url);
  const overridden = state.source === 'environment' ? ' PLANALIGN_SYNC_TOKEN is set, though, and is used while it is.' : '';
  return { ...state, message: `The token can write to ${shown}; it is kept in ${placeWords(saved)}.${overridden}` };
}

/** Forgets the token kept for the remote (the file's, and the one saved in the credential helper). */
export async function logout(root: string, options: { remote?: string } = {}): Promise<AuthState> {
  const url = await tokenRemote(root, options.remote);
  const removed = await removeToken(url);
  const state = await authState(url);
  const what = removed.length
    ? `Removed the token for ${redactUrl(url)} from ${removed.map(placeWords).join(' and ')}.`
    : `No token was kept for ${redactUrl(url)}.`;
  const still = state.source ? ` Sync still has credentials for it from ${sourceWords(state)}.` : '';
  return { ...state, message: what + still };
}

function sourceWords(state: Pick<AuthState, 'source' | 'location'>): string {
  switch (state.source) {
    case 'environment':
      return 'PLANALIGN_SYNC_TOKEN';
    case 'file':
      return `the file ${state.location}`;
    case 'credential-helper':
      return `Git's credential helper${state.location ? ` (${state.location})` : ''}`;
    default:
      return 'nowhere';
  }
}

async function authState(url: string): Promise<AuthState> {
  const found = await credentialSource(url);
  const remote = redactUrl(url);
  return {
    remote,
    source: found?.source ?? null,
    location: found?.source === 'environment' ? null : (found?.location ?? null),
    message: found ? `The token for ${remote} comes from ${sourceWords(found)}.` : `Sync has no token for ${remote}; it sends none.`,
  };
}

/** Where the token for the remote comes from: the environment, the file or the credential helper; never the token. */
export async function authStatus(root: string, options: { remote?: string } = {}): Promise<AuthState> {
  return authState(await tokenRemote(root, options.remote));
}

import { SyncConfigError, type AuthState } from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from '../command.js';
import { askHidden, readStandardInput } from '../prompt.js';
import { syncService } from './sync-actions.js';

/** What the access-token commands of auth-commands.ts do. */

/** The token: asked without echo on a terminal, else read from standard input with --with-token. */
async function readToken(withToken: boolean | undefined): Promise<string> {
  if (process.stdin.isTTY) return askHidden('Access token (it is not shown as you type): ');
  if (!withToken) {
    throw new SyncConfigError(
      "'planalign sync login' reads the token from standard input when it cannot ask (no terminal): pipe it in and add --with-token, e.g. planalign sync login --with-token < token.txt",
    );
  }
  return readStandardInput();
}

const render = (state: AuthState): CommandOutcome => ({ json: state, text: state.message });

export async function login(options: { remote?: string; withToken?: boolean }, globals: GlobalOptions): Promise<CommandOutcome> {
  const token = (await readToken(options.withToken)).trim();
  if (!token) throw new SyncConfigError('No token was given (standard input was empty): nothing was saved. Pipe the token in with --with-token.');
  return render(await syncService(globals).login({ remote: options.remote, token }));
}

export async function logout(options: { remote?: string }, globals: GlobalOptions): Promise<CommandOutcome> {
  return render(await syncService(globals).logout(options));
}

export async function auth(options: { remote?: string }, globals: GlobalOptions): Promise<CommandOutcome> {
  return render(await syncService(globals).auth(options));
}

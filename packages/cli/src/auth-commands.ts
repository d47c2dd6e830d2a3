import type { Command } from 'commander';
import { SyncConfigError, SyncService, resolveWorkspacesRoot, type AuthState } from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from './command.js';
import type { TerminalProgress } from './progress.js';
import { askHidden, readStandardInput } from './prompt.js';

type Execute = (outcome: (globals: GlobalOptions, progress: TerminalProgress) => Promise<CommandOutcome>) => Promise<void>;

const REMOTE_HELP = "the repository's address, or a remote's name (default: this root's remote, origin)";

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

/** Giving sync an access token once (`login`), taking it back (`logout`), and where it comes from (`auth`). */
export function addAuthCommands(sync: Command, execute: Execute): void {
  const service = (globals: GlobalOptions) => new SyncService(resolveWorkspacesRoot(globals.root));
  sync
    .command('login')
    .description(
      "keep an access token for the remote, after checking that it may push there: in Git's credential helper when one is set up, else in a file only you can read",
    )
    .option('--remote <url>', REMOTE_HELP)
    .option('--with-token', 'read the token from standard input (on a terminal it is asked for, without echo)')
    .action((options: { remote?: string; withToken?: boolean }) =>
      execute(async (globals) => {
        const token = (await readToken(options.withToken)).trim();
        if (!token) throw new SyncConfigError('No token was given (standard input was empty): nothing was saved. Pipe the token in with --with-token.');
        return render(await service(globals).login({ remote: options.remote, token }));
      }),
    );
  sync
    .command('logout')
    .description('forget the access token kept for the remote')
    .option('--remote <url>', REMOTE_HELP)
    .action((options: { remote?: string }) => execute(async (globals) => render(await service(globals).logout(options))));
  sync
    .command('auth')
    .description('say where the access token for the remote comes from (PLANALIGN_SYNC_TOKEN, the credential helper, the file); never the token')
    .option('--remote <url>', REMOTE_HELP)
    .action((options: { remote?: string }) => execute(async (globals) => render(await service(globals).auth(options))));
}

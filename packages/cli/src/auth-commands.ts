import type { Command } from 'commander';
import type { Execute } from './command.js';

const REMOTE_HELP = "the repository's address, or a remote's name (default: this root's remote, origin)";

/** Giving sync an access token once (`login`), taking it back (`logout`), and where it comes from (`auth`). */
export function addAuthCommands(sync: Command, execute: Execute): void {
  sync
    .command('login')
    .description(
      "keep an access token for the remote, after checking that it may push there: in Git's credential helper when one is set up, else in a file only you can read",
    )
    .option('--remote <url>', REMOTE_HELP)
    .option('--with-token', 'read the token from standard input (on a terminal it is asked for, without echo)')
    .action((options: { remote?: string; withToken?: boolean }) => execute((act, globals) => act.auth.login(options, globals)));
  sync
    .command('logout')
    .description('forget the access token kept for the remote')
    .option('--remote <url>', REMOTE_HELP)
    .action((options: { remote?: string }) => execute((act, globals) => act.auth.logout(options, globals)));
  sync
    .command('auth')
    .description('say where the access token for the remote comes from (PLANALIGN_SYNC_TOKEN, the credential helper, the file); never the token')
    .option('--remote <url>', REMOTE_HELP)
    .action((options: { remote?: string }) => execute((act, globals) => act.auth.auth(options, globals)));
}

import type { Command } from 'commander';
import type { Execute } from './command.js';

/** Archiving workspaces: out of the shared copy with their history kept on the remote, and back. */
export function addArchiveCommands(sync: Command, execute: Execute): void {
  const list = (options: { offline?: boolean }) => execute((act, globals, progress) => act.archive.listArchived(options, globals, progress));

  sync
    .command('archive [workspace]')
    .description(
      'take a workspace (name or id) out of sync on every computer; its history stays on the remote under refs/planalign/archive/<id>, and unarchive brings it back',
    )
    .option('--list', 'list the archived workspaces instead (as `sync archived`)')
    .option('--offline', 'with --list: do not ask the remote; as of the last sync')
    .action((workspace: string | undefined, options: { list?: boolean; offline?: boolean }) => {
      if (options.list) return list(options);
      return execute((act, globals, progress) => act.archive.archive(workspace, globals, progress));
    });

  sync
    .command('archived')
    .description('the archived workspaces, read from the remote')
    .option('--offline', 'do not ask the remote; as of the last sync')
    .action((options: { offline?: boolean }) => list(options));

  sync
    .command('unarchive <workspace>')
    .description('bring an archived workspace (name or id) back into sync, on this computer and then on every other')
    .action((workspace: string) => execute((act, globals, progress) => act.archive.unarchive(workspace, globals, progress)));
}

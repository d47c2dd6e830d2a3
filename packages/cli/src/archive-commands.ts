import type { Command } from 'commander';
import { SyncConfigError, SyncService, plural, resolveWorkspacesRoot, type ArchiveList } from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from './command.js';
import type { TerminalProgress } from './progress.js';
import { formatTimestamp } from './render.js';

type Execute = (outcome: (globals: GlobalOptions, progress: TerminalProgress) => Promise<CommandOutcome>) => Promise<void>;

/** The archived workspaces, one line each, and how to bring one back. */
export function renderArchiveList(list: ArchiveList): string {
  const lines: string[] = [];
  if (list.remote_reachable === false) lines.push('The remote cannot be reached: this is the list as of the last sync.');
  if (list.archived.length === 0) return [...lines, 'No archived workspaces.'].join('\n');
  lines.push(`Archived workspaces (${list.archived.length}):`);
  for (const entry of list.archived) {
    const counts = entry.scenarios === null ? '' : `  ${plural(entry.scenarios, 'scenario')}, ${plural(entry.runs ?? 0, 'run')}`;
    const when = entry.archived_at ? `  archived ${formatTimestamp(entry.archived_at)}` : '';
    lines.push(`  ${entry.name}${counts}${when}  (${entry.id})`);
  }
  lines.push("Bring one back with 'planalign sync unarchive <workspace>'.");
  return lines.join('\n');
}

/** Archiving workspaces: out of the shared copy with their history kept on the remote, and back. */
export function addArchiveCommands(sync: Command, execute: Execute): void {
  const service = (globals: GlobalOptions, progress: TerminalProgress) =>
    new SyncService(resolveWorkspacesRoot(globals.root), { onProgress: (p) => progress.update(p) });
  const list = (options: { offline?: boolean }) =>
    execute(async (globals, progress) => {
      const archived = await service(globals, progress).archived(options);
      return { json: archived, text: renderArchiveList(archived) };
    });

  sync
    .command('archive [workspace]')
    .description(
      'take a workspace (name or id) out of sync on every computer; its history stays on the remote under refs/planalign/archive/<id>, and unarchive brings it back',
    )
    .option('--list', 'list the archived workspaces instead (as `sync archived`)')
    .option('--offline', 'with --list: do not ask the remote; as of the last sync')
    .action((workspace: string | undefined, options: { list?: boolean; offline?: boolean }) => {
      if (options.list) return list(options);
      return execute(async (globals, progress) => {
        if (!workspace) throw new SyncConfigError("Say which workspace to archive (its name or id), or '--list' to see the archived ones.");
        const result = await service(globals, progress).archive(workspace);
        return { json: result, text: `${result.message}\nBring it back with 'planalign sync unarchive ${JSON.stringify(result.name)}'.` };
      });
    });

  sync
    .command('archived')
    .description('the archived workspaces, read from the remote')
    .option('--offline', 'do not ask the remote; as of the last sync')
    .action((options: { offline?: boolean }) => list(options));

  sync
    .command('unarchive <workspace>')
    .description('bring an archived workspace (name or id) back into sync, on this computer and then on every other')
    .action((workspace: string) =>
      execute(async (globals, progress) => {
        const result = await service(globals, progress).unarchive(workspace);
        return { json: result, text: result.message };
      }),
    );
}

import { SyncConfigError, plural, type ArchiveList } from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from '../command.js';
import type { TerminalProgress } from '../progress.js';
import { formatTimestamp } from '../render.js';
import { syncService } from './sync-actions.js';

/** What the archive commands of archive-commands.ts do. */

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

export async function listArchived(options: { offline?: boolean }, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const archived = await syncService(globals, progress).archived(options);
  return { json: archived, text: renderArchiveList(archived) };
}

export async function archive(workspace: string | undefined, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  if (!workspace) throw new SyncConfigError("Say which workspace to archive (its name or id), or '--list' to see the archived ones.");
  const result = await syncService(globals, progress).archive(workspace);
  return { json: result, text: `${result.message}\nBring it back with 'planalign sync unarchive ${JSON.stringify(result.name)}'.` };
}

export async function unarchive(workspace: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const result = await syncService(globals, progress).unarchive(workspace);
  return { json: result, text: result.message };
}

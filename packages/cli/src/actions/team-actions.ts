import { TeamService, resolveWorkspacesRoot, type ConflictStrategy } from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from '../command.js';
import type { TerminalProgress } from '../progress.js';
import { renderBranches, renderScenarioDiff, renderScenarioVersions } from '../render-team.js';
import { renderSyncNotes } from '../render.js';

/** What the team commands of team-commands.ts do: branches, sharing links and import, authors, scenario history. */

const team = (globals: GlobalOptions, progress: TerminalProgress) =>
  new TeamService(resolveWorkspacesRoot(globals.root), { onProgress: (p) => progress.update(p) });

export async function listBranches(
  workspace: string,
  options: { offline?: boolean },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const list = await team(globals, progress).branches(workspace, options);
  return { json: list, text: renderBranches(list) };
}

export async function createBranch(workspace: string, name: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const result = await team(globals, progress).createBranch(workspace, name);
  return { json: result, text: result.message };
}

export async function switchBranch(workspace: string, name: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const result = await team(globals, progress).switchBranch(workspace, name);
  return { json: result, text: result.message };
}

export async function mergeBranch(
  workspace: string,
  name: string,
  options: { strategy?: ConflictStrategy },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const result = await team(globals, progress).mergeBranch(workspace, name, options);
  return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, [])].join('\n') };
}

export async function deleteBranch(
  workspace: string,
  name: string,
  options: { force?: boolean },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const result = await team(globals, progress).deleteBranch(workspace, name, options);
  return { json: result, text: result.message };
}

export async function share(workspace: string, options: { remote?: string }, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const result = await team(globals, progress).share(workspace, options);
  const next = result.on_remote ? "They bring it in with 'planalign sync import <link>'." : "Run 'planalign sync push' first.";
  return { json: result, text: `${result.link}\n${result.message} ${next}` };
}

export async function importWorkspace(
  source: string,
  options: { workspace?: string; strategy?: ConflictStrategy },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const result = await team(globals, progress).importWorkspace(source, options);
  return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, [])].join('\n') };
}

export async function author(options: { name?: string; email?: string }, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const service = team(globals, progress);
  const recorded = options.name ? await service.setAuthor({ name: options.name, email: options.email }) : await service.author();
  return {
    json: recorded,
    text: `Changes are recorded as ${recorded.name} <${recorded.email}>${recorded.configured ? '' : ' (from your Git identity; set it with --name and --email)'}.`,
  };
}

export async function scenarioVersions(workspace: string, scenario: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const versions = await team(globals, progress).scenarioVersions(workspace, scenario);
  return { json: versions, text: renderScenarioVersions(versions) };
}

export async function diffScenario(
  workspace: string,
  scenario: string,
  from: string,
  to: string,
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const diff = await team(globals, progress).diffScenario(workspace, scenario, from, to);
  return { json: diff, text: renderScenarioDiff(diff) };
}

export async function restoreScenario(
  workspace: string,
  scenario: string,
  version: string,
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const result = await team(globals, progress).restoreScenario(workspace, scenario, version);
  return { json: result, text: result.message };
}

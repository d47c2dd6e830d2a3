import type { Command } from 'commander';
import { CONFLICT_STRATEGIES, TeamService, resolveWorkspacesRoot, type ConflictStrategy } from '@planalign/sync-core';
import { Option } from 'commander';
import type { CommandOutcome, GlobalOptions } from './command.js';
import type { TerminalProgress } from './progress.js';
import { renderBranches, renderScenarioDiff, renderScenarioVersions } from './render-team.js';
import { renderSyncNotes } from './render.js';

type Execute = (outcome: (globals: GlobalOptions, progress: TerminalProgress) => Promise<CommandOutcome>) => Promise<void>;

const mergeStrategyOption = () =>
  new Option('--strategy <strategy>', 'how to settle a file changed on both lines: keep-local keeps the main line, keep-remote the branch').choices(
    CONFLICT_STRATEGIES,
  );

/** Working as a team: branches, sharing links and import, authors, scenario history. */
export function addTeamCommands(sync: Command, execute: Execute): void {
  const team = (globals: GlobalOptions, progress: TerminalProgress) =>
    new TeamService(resolveWorkspacesRoot(globals.root), { onProgress: (p) => progress.update(p) });

  const branch = sync.command('branch').description("a workspace's what-if branches: list, create, switch, merge back");
  branch
    .command('list <workspace>', { isDefault: true })
    .description('the main line and every branch of a workspace, with who changed each last')
    .option('--offline', 'do not ask the remote for its branches')
    .action((workspace: string, options: { offline?: boolean }) =>
      execute(async (globals, progress) => {
        const list = await team(globals, progress).branches(workspace, options);
        return { json: list, text: renderBranches(list) };
      }),
    );
  branch
    .command('create <workspace> <name>')
    .description("start a branch from what the workspace's folder shows, and show it")
    .action((workspace: string, name: string) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).createBranch(workspace, name);
        return { json: result, text: result.message };
      }),
    );
  branch
    .command('switch <workspace> <name>')
    .description("show another line in the workspace's folder (main for the main line); what it held is kept on its line")
    .action((workspace: string, name: string) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).switchBranch(workspace, name);
        return { json: result, text: result.message };
      }),
    );
  branch
    .command('merge <workspace> <name>')
    .description('merge a branch back into the main line (conflicts settled like any sync, losers kept as backups)')
    .addOption(mergeStrategyOption())
    .action((workspace: string, name: string, options: { strategy?: ConflictStrategy }) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).mergeBranch(workspace, name, options);
        return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, [])].join('\n') };
      }),
    );

  branch
    .command('delete <workspace> <name>')
    .description('delete a branch here and on the remote (one with work the main line lacks needs --force)')
    .option('--force', 'delete it even though its work was never merged')
    .action((workspace: string, name: string, options: { force?: boolean }) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).deleteBranch(workspace, name, options);
        return { json: result, text: result.message };
      }),
    );

  sync
    .command('share <workspace>')
    .description('print a link a teammate imports the workspace with (names the remote, branch and workspace; never a token)')
    .option('--remote <name>', 'share through this team remote instead of origin')
    .action((workspace: string, options: { remote?: string }) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).share(workspace, options);
        const next = result.on_remote ? "They bring it in with 'planalign sync import <link>'." : "Run 'planalign sync push' first.";
        return { json: result, text: `${result.link}\n${result.message} ${next}` };
      }),
    );

  sync
    .command('import <link-or-url>')
    .description('bring a shared workspace into this root and into sync; one already here is merged')
    .option('--workspace <name-or-id>', 'which workspace of the remote (needed with a bare URL holding several)')
    .addOption(new Option('--strategy <strategy>', 'how to settle files changed both here and there').choices(CONFLICT_STRATEGIES))
    .action((source: string, options: { workspace?: string; strategy?: ConflictStrategy }) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).importWorkspace(source, options);
        return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, [])].join('\n') };
      }),
    );

  sync
    .command('author')
    .description('who your commits are recorded as (this machine only); set it with --name and --email')
    .option('--name <name>', 'your name as teammates see it')
    .option('--email <email>', 'your e-mail address')
    .action((options: { name?: string; email?: string }) =>
      execute(async (globals, progress) => {
        const service = team(globals, progress);
        const author = options.name ? await service.setAuthor({ name: options.name, email: options.email }) : await service.author();
        return {
          json: author,
          text: `Changes are recorded as ${author.name} <${author.email}>${author.configured ? '' : ' (from your Git identity; set it with --name and --email)'}.`,
        };
      }),
    );

  const history = sync.command('history').description("every version of a scenario's configuration: list, diff, restore");
  history
    .command('list <workspace> <scenario>', { isDefault: true })
    .description('versions newest first, from every machine')
    .action((workspace: string, scenario: string) =>
      execute(async (globals, progress) => {
        const versions = await team(globals, progress).scenarioVersions(workspace, scenario);
        return { json: versions, text: renderScenarioVersions(versions) };
      }),
    );
  history
    .command('diff <workspace> <scenario> <from> [to]')
    .description("what changed between two versions (ids from 'history list'; 'current' is what is on disk, the default for <to>)")
    .action((workspace: string, scenario: string, from: string, to: string | undefined) =>
      execute(async (globals, progress) => {
        const diff = await team(globals, progress).diffScenario(workspace, scenario, from, to ?? 'current');
        return { json: diff, text: renderScenarioDiff(diff) };
      }),
    );
  history
    .command('restore <workspace> <scenario> <version>')
    .description('put an old version of the configuration back (the current one is kept as a backup); push to share it')
    .action((workspace: string, scenario: string, version: string) =>
      execute(async (globals, progress) => {
        const result = await team(globals, progress).restoreScenario(workspace, scenario, version);
        return { json: result, text: result.message };
      }),
    );
}

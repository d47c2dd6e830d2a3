import type { Command } from 'commander';
import { Option } from 'commander';
import { CONFLICT_STRATEGIES } from '@planalign/sync-core/rules';
import type { ConflictStrategy } from '@planalign/sync-core';
import type { Execute } from './command.js';

const mergeStrategyOption = () =>
  new Option('--strategy <strategy>', 'how to settle a file changed on both lines: keep-local keeps the main line, keep-remote the branch').choices(
    CONFLICT_STRATEGIES,
  );

/** Working as a team: branches, sharing links and import, authors, scenario history. */
export function addTeamCommands(sync: Command, execute: Execute): void {
  const branch = sync.command('branch').description("a workspace's what-if branches: list, create, switch, merge back");
  branch
    .command('list <workspace>', { isDefault: true })
    .description('the main line and every branch of a workspace, with who changed each last')
    .option('--offline', 'do not ask the remote for its branches')
    .action((workspace: string, options: { offline?: boolean }) =>
      execute((act, globals, progress) => act.team.listBranches(workspace, options, globals, progress)),
    );
  branch
    .command('create <workspace> <name>')
    .description("start a branch from what the workspace's folder shows, and show it")
    .action((workspace: string, name: string) => execute((act, globals, progress) => act.team.createBranch(workspace, name, globals, progress)));
  branch
    .command('switch <workspace> <name>')
    .description("show another line in the workspace's folder (main for the main line); what it held is kept on its line")
    .action((workspace: string, name: string) => execute((act, globals, progress) => act.team.switchBranch(workspace, name, globals, progress)));
  branch
    .command('merge <workspace> <name>')
    .description('merge a branch back into the main line (conflicts settled like any sync, losers kept as backups)')
    .addOption(mergeStrategyOption())
    .action((workspace: string, name: string, options: { strategy?: ConflictStrategy }) =>
      execute((act, globals, progress) => act.team.mergeBranch(workspace, name, options, globals, progress)),
    );

  branch
    .command('delete <workspace> <name>')
    .description('delete a branch here and on the remote (one with work the main line lacks needs --force)')
    .option('--force', 'delete it even though its work was never merged')
    .action((workspace: string, name: string, options: { force?: boolean }) =>
      execute((act, globals, progress) => act.team.deleteBranch(workspace, name, options, globals, progress)),
    );

  sync
    .command('share <workspace>')
    .description('print a link a teammate imports the workspace with (names the remote, branch and workspace; never a token)')
    .option('--remote <name>', 'share through this team remote instead of origin')
    .action((workspace: string, options: { remote?: string }) => execute((act, globals, progress) => act.team.share(workspace, options, globals, progress)));

  sync
    .command('import <link-or-url>')
    .description('bring a shared workspace into this root and into sync; one already here is merged')
    .option('--workspace <name-or-id>', 'which workspace of the remote (needed with a bare URL holding several)')
    .addOption(new Option('--strategy <strategy>', 'how to settle files changed both here and there').choices(CONFLICT_STRATEGIES))
    .action((source: string, options: { workspace?: string; strategy?: ConflictStrategy }) =>
      execute((act, globals, progress) => act.team.importWorkspace(source, options, globals, progress)),
    );

  sync
    .command('author')
    .description('who your commits are recorded as (this machine only); set it with --name and --email')
    .option('--name <name>', 'your name as teammates see it')
    .option('--email <email>', 'your e-mail address')
    .action((options: { name?: string; email?: string }) => execute((act, globals, progress) => act.team.author(options, globals, progress)));

  const history = sync.command('history').description("every version of a scenario's configuration: list, diff, restore");
  history
    .command('list <workspace> <scenario>', { isDefault: true })
    .description('versions newest first, from every machine')
    .action((workspace: string, scenario: string) => execute((act, globals, progress) => act.team.scenarioVersions(workspace, scenario, globals, progress)));
  history
    .command('diff <workspace> <scenario> <from> [to]')
    .description("what changed between two versions (ids from 'history list'; 'current' is what is on disk, the default for <to>)")
    .action((workspace: string, scenario: string, from: string, to: string | undefined) =>
      execute((act, globals, progress) => act.team.diffScenario(workspace, scenario, from, to ?? 'current', globals, progress)),
    );
  history
    .command('restore <workspace> <scenario> <version>')
    .description('put an old version of the configuration back (the current one is kept as a backup); push to share it')
    .action((workspace: string, scenario: string, version: string) =>
      execute((act, globals, progress) => act.team.restoreScenario(workspace, scenario, version, globals, progress)),
    );
}

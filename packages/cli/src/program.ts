import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CONFLICT_STRATEGIES } from '@planalign/sync-core/rules';
import type { ConflictSide, ConflictStrategy } from '@planalign/sync-core';
import { addTeamCommands } from './team-commands.js';
import { addArchiveCommands } from './archive-commands.js';
import { addAuthCommands } from './auth-commands.js';
import type { Execute } from './command.js';

export type { CommandOutcome, GlobalOptions } from './command.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function parseMilliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3_600_000) throw new InvalidArgumentError('expected a whole number of milliseconds from 0 to 3600000.');
  return n;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

/** `--setting compensation.cola_rate=remote`, repeated: one side per setting. */
function collectSetting(value: string, chosen: Record<string, ConflictSide>): Record<string, ConflictSide> {
  const at = value.lastIndexOf('=');
  const side = value.slice(at + 1);
  if (at <= 0 || (side !== 'local' && side !== 'remote')) {
    throw new InvalidArgumentError(`expected <setting>=local or <setting>=remote, as \`conflicts show\` names the setting (got "${value}").`);
  }
  return { ...chosen, [value.slice(0, at)]: side };
}

const strategyOption = () =>
  new Option('--strategy <strategy>', 'how to settle a file changed on both sides (overrides conflict_strategy)').choices(CONFLICT_STRATEGIES);

/**
 * The `planalign` command line: every command and option, and nothing of what they do. Each
 * action hands its work to `execute`, which main.ts gives the actions (loaded only then),
 * prints the outcome and maps errors to exit codes; commands never print or exit by themselves.
 */
export function buildProgram(execute: Execute): Command {
  const program = new Command('planalign')
    .description('Keep PlanAlign workspaces in sync across machines through a Git remote you own.')
    .version(version, '-V, --version')
    .option('--root <dir>', 'workspaces root (default: $PLANALIGN_WORKSPACES, $PLANALIGN_API_WORKSPACES_ROOT, ~/.planalign/workspaces)')
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'show stack traces of unexpected errors')
    .addHelpText('after', "\nOther commands (simulate, studio, …) run PlanAlign's own planalign program: the next planalign on the PATH, or $PLANALIGN_CLI.")
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands are added so they inherit it: parse errors come back as exceptions.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  const sync = program.command('sync').description('sync workspaces with a Git remote');
  sync
    .command('init')
    .description('set up sync for the workspaces root and bring down what the remote already has')
    .option('--remote <url>', 'Git remote URL, e.g. https://github.com/you/planalign-workspaces.git')
    .option('--branch <name>', 'branch to sync (default: main)')
    .option('--change-branch', 'confirm moving a root that already syncs to another --branch (it stops syncing with computers on the old one)')
    .option('--author <name>', 'your name on the changes teammates see (default: your Git identity)')
    .option('--email <email>', 'your e-mail address on them')
    .action((options: { remote?: string; branch?: string; changeBranch?: boolean; author?: string; email?: string }) =>
      execute((act, globals, progress) => act.sync.init(options, globals, progress)),
    );

  sync
    .command('push')
    .description('commit local changes, merge remote ones, and upload')
    .option('-m, --message <message>', 'commit message (default: describes what changed)')
    .addOption(strategyOption())
    .option('--remote <name>', 'only this remote (origin or a team remote; default: every remote)')
    .option('--allow-delete', 'send deletions of whole workspaces or of more than max_delete_percent of the files (held back otherwise)')
    .action((options: { message?: string; strategy?: ConflictStrategy; remote?: string; allowDelete?: boolean }) =>
      execute((act, globals, progress) => act.sync.push(options, globals, progress)),
    );

  sync
    .command('pull')
    .description('download and merge remote changes (local work is committed first)')
    .addOption(strategyOption())
    .option('--remote <name>', 'only this remote (origin or a team remote; default: every remote)')
    .option('--dry-run', 'fetch and tell what a pull would add, change, remove and find in conflict, changing no file, index or branch')
    .action((options: { strategy?: ConflictStrategy; remote?: string; dryRun?: boolean }) =>
      execute((act, globals, progress) => act.sync.pull(options, globals, progress)),
    );

  const conflicts = sync.command('conflicts').description('files changed on two machines: list, compare, choose, restore');
  conflicts
    .command('list', { isDefault: true })
    .description('open conflicts and versions kept after past ones')
    .action(() => execute((act, globals, progress) => act.sync.listConflicts(globals, progress)));
  conflicts
    .command('show <file>')
    .description('both versions of a file in conflict')
    .action((file: string) => execute((act, globals, progress) => act.sync.showConflict(file, globals, progress)));
  conflicts
    .command('resolve <file>')
    .description('choose the version to keep (the other one is kept in a backup)')
    .requiredOption('--use <choice>', 'local, remote, or backup:<id>; for JSON and YAML, the side of each setting not named by --setting')
    .option('--setting <key=side>', 'the side for one setting of a JSON or YAML file, as `conflicts show` names it (repeatable)', collectSetting, {})
    .action((file: string, options: { use: string; setting: Record<string, ConflictSide> }) =>
      execute((act, globals, progress) => act.sync.resolveConflict(file, options, globals, progress)),
    );
  conflicts
    .command('restore <backup-id>')
    .description('put a kept version back in place (the next push shares it)')
    .action((backupId: string) => execute((act, globals, progress) => act.sync.restoreBackup(backupId, globals, progress)));

  sync
    .command('status')
    .description('what is synced, what changed here and there, per workspace')
    .option('--offline', 'do not contact the remote; show the state as of the last sync')
    .action((options: { offline?: boolean }) => execute((act, globals, progress) => act.sync.status(options, globals, progress)));

  sync
    .command('doctor')
    .description('check what makes sync fail (remote, credentials, lock, repository, index, disk, clock) and say what to do; changes nothing')
    .option('--fix-lock', 'remove the lock a sync that is no longer running left behind (the one change doctor makes)')
    .action((options: { fixLock?: boolean }) => execute((act, globals, progress) => act.sync.doctor(options, globals, progress)));

  sync
    .command('log')
    .description("this root's sync history, newest first; with --workspace, who changed that workspace and when")
    .option('--limit <n>', 'how many entries', parseLimit, 20)
    .option('--workspace <name-or-id>', "a workspace's changes and contributors, from every machine's history")
    .action((options: { limit: number; workspace?: string }) => execute((act, globals, progress) => act.sync.log(options, globals, progress)));

  for (const [name, enabled, description] of [
    [
      'exclude',
      false,
      'stop syncing a workspace from this computer: its changes stay here, the other computers go on syncing it (what the remote has stays there)',
    ],
    ['include', true, 'sync a workspace excluded on this computer again'],
  ] as const) {
    sync
      .command(`${name} <workspace>`)
      .description(`${description}; <workspace> is its name or id`)
      .option(
        '--everywhere',
        enabled ? 'also lift a shared "keep local on every computer" setting' : 'keep it local on every computer (a shared setting each computer follows)',
      )
      .action((workspace: string, options: { everywhere?: boolean }) =>
        execute((act, globals, progress) => act.sync.setWorkspaceSync(workspace, enabled, options, globals, progress)),
      );
  }

  const remote = sync.command('remote').description('origin and team remotes, each carrying its own workspaces');
  remote
    .command('list', { isDefault: true })
    .description('the remotes and the workspaces each carries')
    .action(() => execute((act, globals, progress) => act.sync.listRemotes(globals, progress)));
  remote
    .command('add <name> <url>')
    .description('share workspaces through another remote (a team repository)')
    .option('--workspaces <list>', 'comma-separated workspace names or ids it carries')
    .option('--branch <name>', 'its branch (default: main)')
    .action((name: string, url: string, options: { workspaces?: string; branch?: string }) =>
      execute((act, globals, progress) => act.sync.addRemote(name, url, options, globals, progress)),
    );
  remote
    .command('remove <name>')
    .description('stop syncing with a team remote (its repository is left alone)')
    .action((name: string) => execute((act, globals, progress) => act.sync.removeRemote(name, globals, progress)));

  sync
    .command('regenerate [workspace] [scenario]')
    .description('rebuild results sync leaves behind (simulation.duckdb) for runs completed elsewhere; names or ids')
    .option('--all-missing', 'every run whose results are not on this machine')
    .option('--detach', 'only queue the jobs; a runner (the API server, or a later regenerate) works through them')
    .action((workspace: string | undefined, scenario: string | undefined, options: { allMissing?: boolean; detach?: boolean }) =>
      execute((act, globals, progress) => act.sync.regenerate(workspace, scenario, options, globals, progress)),
    );

  const jobs = sync.command('jobs').description('the regeneration queue: list, cancel, retry, log');
  jobs
    .command('list', { isDefault: true })
    .description('missing results and regeneration jobs')
    .action(() => execute((act, globals) => act.sync.listJobs(globals)));
  for (const [name, description] of [
    ['cancel', 'cancel a queued or running job (its partial database is removed)'],
    ['retry', 'queue a failed or cancelled job again'],
  ] as const) {
    jobs
      .command(`${name} <id>`)
      .description(description)
      .action((id: string) => execute((act, globals) => act.sync.cancelOrRetryJob(name, id, globals)));
  }
  jobs
    .command('log <id>')
    .description("a job's output")
    .action((id: string) => execute((act, globals) => act.sync.jobLog(id, globals)));

  sync
    .command('watch')
    .description('sync by itself in the foreground: pull now, push after changes and when runs finish, and on the interval')
    .option('--debounce <ms>', 'quiet time after the last change before pushing', parseMilliseconds, 2000)
    .action((options: { debounce: number }) => execute((act, globals) => act.sync.watch(options, globals)));

  addTeamCommands(sync, execute);
  addArchiveCommands(sync, execute);
  addAuthCommands(sync, execute);

  sync
    .command('disconnect')
    .description('stop syncing this root (keeps every workspace file)')
    .action(() => execute((act, globals, progress) => act.sync.disconnect(globals, progress)));

  return program;
}

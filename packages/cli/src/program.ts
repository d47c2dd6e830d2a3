import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  AutoSync,
  RegenService,
  CONFLICT_STRATEGIES,
  EXIT_CODES,
  SyncConfigError,
  SyncConflictError,
  SyncDeleteGuardError,
  SyncService,
  TeamService,
  readSettings,
  resolveWorkspacesRoot,
  type ConflictSide,
  type ConflictStrategy,
  type RegenJob,
} from '@planalign/sync-core';
import { ask, interactive } from './prompt.js';
import { TerminalProgress } from './progress.js';
import { untilStopSignal } from './signals.js';
import { addTeamCommands } from './team-commands.js';
import { addArchiveCommands } from './archive-commands.js';
import { addAuthCommands } from './auth-commands.js';
import { renderWorkspaceHistory } from './render-team.js';
import { renderDoctor } from './render-doctor.js';
import {
  renderAutoSyncEvent,
  renderJob,
  renderRegenOverview,
  renderRemotes,
  renderConflictDetail,
  renderConflictList,
  renderLog,
  renderStatus,
  renderSyncNotes,
  renderPullPreview,
} from './render.js';
import { plural } from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from './command.js';

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
 * The `planalign` command line. Each action returns an outcome; `run` in main.ts prints it and
 * maps errors to exit codes, so commands never print or exit by themselves.
 */
/**
 * With `ask-user` on a terminal, a push or pull that stops on conflicts asks, file by file,
 * which version to keep (showing both on request), then runs again.
 */
/**
 * On a terminal, a push held back for its deletions says what would go and asks whether to
 * send it after all; elsewhere the error stands (exit 9) until --allow-delete.
 */
async function withDeletionPrompt<T>(globals: GlobalOptions, run: (allowDelete: boolean) => Promise<T>): Promise<T> {
  try {
    return await run(false);
  } catch (error) {
    if (!(error instanceof SyncDeleteGuardError) || globals.json || !interactive()) throw error;
    process.stdout.write(`${error.message}\n`);
    if (!(await ask('Delete them on the other computers too? [y/N] ')).toLowerCase().startsWith('y')) {
      throw new SyncDeleteGuardError('Nothing was sent; the deletions wait here until you allow them or put the files back.', error.risk);
    }
    return run(true);
  }
}

async function withConflictPrompt<T>(globals: GlobalOptions, sync: SyncService, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof SyncConflictError) || globals.json || !interactive()) throw error;
    process.stdout.write(`${error.message}\n`);
    for (const file of error.conflicting_files) {
      for (;;) {
        const answer = (await ask(`${file}: keep [l]ocal, [r]emote, [b]oth (local in place, remote kept as a backup), or [d]iff to compare? `)).toLowerCase();
        if (answer.startsWith('d')) {
          process.stdout.write(`${renderConflictDetail(await sync.showConflict(file))}\n`);
          continue;
        }
        // Whichever side is chosen, the other one is kept in a backup: "both" is local in place.
        if (answer.startsWith('l') || answer.startsWith('b') || answer.startsWith('r')) {
          await sync.resolveConflict(file, answer.startsWith('r') ? 'remote' : 'local');
          break;
        }
      }
    }
    return run();
  }
}

export function buildProgram(execute: (outcome: (globals: GlobalOptions, progress: TerminalProgress) => Promise<CommandOutcome>) => Promise<void>): Command {
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
  const service = (globals: GlobalOptions, progress: TerminalProgress) =>
    new SyncService(resolveWorkspacesRoot(globals.root), { onProgress: (p) => progress.update(p) });

  sync
    .command('init')
    .description('set up sync for the workspaces root and bring down what the remote already has')
    .option('--remote <url>', 'Git remote URL, e.g. https://github.com/you/planalign-workspaces.git')
    .option('--branch <name>', 'branch to sync (default: main)')
    .option('--change-branch', 'confirm moving a root that already syncs to another --branch (it stops syncing with computers on the old one)')
    .option('--author <name>', 'your name on the changes teammates see (default: your Git identity)')
    .option('--email <email>', 'your e-mail address on them')
    .action((options: { remote?: string; branch?: string; changeBranch?: boolean; author?: string; email?: string }) =>
      execute(async (globals, progress) => {
        const root = resolveWorkspacesRoot(globals.root);
        let remote = options.remote;
        if (!remote) {
          const existing = await readSettings(root).catch(() => null);
          remote = existing?.sync.remote ?? undefined;
        }
        if (!remote) {
          if (!interactive() || globals.json) {
            throw new SyncConfigError(
              "'planalign sync init' needs --remote <url> when it cannot ask (no terminal). Example: planalign sync init --remote https://github.com/you/planalign-workspaces.git",
            );
          }
          remote = await ask('Git remote URL (e.g. https://github.com/you/planalign-workspaces.git): ');
          if (!remote) throw new SyncConfigError('No remote URL given: nothing was changed.');
        }
        if (options.email && !options.author)
          throw new SyncConfigError("--email goes with --author <name>: give both, or set them later with 'planalign sync author'.");
        const author = options.author ? { name: options.author, email: options.email } : undefined;
        const result = await service(globals, progress).init({ remote, branch: options.branch, author, confirmBranchChange: options.changeBranch });
        return { json: result, text: `${result.message} Use 'planalign sync push' to upload workspaces.` };
      }),
    );

  sync
    .command('push')
    .description('commit local changes, merge remote ones, and upload')
    .option('-m, --message <message>', 'commit message (default: describes what changed)')
    .addOption(strategyOption())
    .option('--remote <name>', 'only this remote (origin or a team remote; default: every remote)')
    .option('--allow-delete', 'send deletions of whole workspaces or of more than max_delete_percent of the files (held back otherwise)')
    .action((options: { message?: string; strategy?: ConflictStrategy; remote?: string; allowDelete?: boolean }) =>
      execute(async (globals, progress) => {
        const sync = service(globals, progress);
        const result = await withConflictPrompt(globals, sync, () =>
          withDeletionPrompt(globals, (allowDelete) => sync.push({ ...options, allowDelete: options.allowDelete || allowDelete })),
        );
        return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, result.skipped)].join('\n') };
      }),
    );

  sync
    .command('pull')
    .description('download and merge remote changes (local work is committed first)')
    .addOption(strategyOption())
    .option('--remote <name>', 'only this remote (origin or a team remote; default: every remote)')
    .option('--dry-run', 'fetch and tell what a pull would add, change, remove and find in conflict, changing no file, index or branch')
    .action((options: { strategy?: ConflictStrategy; remote?: string; dryRun?: boolean }) =>
      execute(async (globals, progress) => {
        const sync = service(globals, progress);
        if (options.dryRun) {
          if (options.remote && options.remote !== 'origin')
            throw new SyncConfigError('--dry-run previews a pull from origin: leave out --remote, or use --remote origin.');
          const preview = await sync.previewPull({ strategy: options.strategy });
          return { json: preview, text: renderPullPreview(preview) };
        }
        const result = await withConflictPrompt(globals, sync, () => sync.pull(options));
        return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, result.skipped)].join('\n') };
      }),
    );

  const conflicts = sync.command('conflicts').description('files changed on two machines: list, compare, choose, restore');
  conflicts
    .command('list', { isDefault: true })
    .description('open conflicts and versions kept after past ones')
    .action(() =>
      execute(async (globals, progress) => {
        const list = await service(globals, progress).conflicts();
        return { json: list, text: renderConflictList(list) };
      }),
    );
  conflicts
    .command('show <file>')
    .description('both versions of a file in conflict')
    .action((file: string) =>
      execute(async (globals, progress) => {
        const detail = await service(globals, progress).showConflict(file);
        return { json: detail, text: renderConflictDetail(detail) };
      }),
    );
  conflicts
    .command('resolve <file>')
    .description('choose the version to keep (the other one is kept in a backup)')
    .requiredOption('--use <choice>', 'local, remote, or backup:<id>; for JSON and YAML, the side of each setting not named by --setting')
    .option('--setting <key=side>', 'the side for one setting of a JSON or YAML file, as `conflicts show` names it (repeatable)', collectSetting, {})
    .action((file: string, options: { use: string; setting: Record<string, ConflictSide> }) =>
      execute(async (globals, progress) => {
        const result = await service(globals, progress).resolveConflict(file, options.use, options.setting);
        return { json: result, text: result.message };
      }),
    );
  conflicts
    .command('restore <backup-id>')
    .description('put a kept version back in place (the next push shares it)')
    .action((backupId: string) =>
      execute(async (globals, progress) => {
        const result = await service(globals, progress).restore(backupId);
        return { json: result, text: result.message };
      }),
    );

  sync
    .command('status')
    .description('what is synced, what changed here and there, per workspace')
    .option('--offline', 'do not contact the remote; show the state as of the last sync')
    .action((options: { offline?: boolean }) =>
      execute(async (globals, progress) => {
        const root = resolveWorkspacesRoot(globals.root);
        const status = await service(globals, progress).status(options);
        return {
          json: status,
          text: renderStatus(root, status),
          exitCode: status.is_initialized ? EXIT_CODES.ok : EXIT_CODES.notInitialized,
        };
      }),
    );

  sync
    .command('doctor')
    .description('check what makes sync fail (remote, credentials, lock, repository, index, disk, clock) and say what to do; changes nothing')
    .option('--fix-lock', 'remove the lock a sync that is no longer running left behind (the one change doctor makes)')
    .action((options: { fixLock?: boolean }) =>
      execute(async (globals, progress) => {
        const report = await service(globals, progress).doctor({ removeStaleLock: options.fixLock });
        return { json: report, text: renderDoctor(report), exitCode: report.healthy ? EXIT_CODES.ok : EXIT_CODES.needsAttention };
      }),
    );

  sync
    .command('log')
    .description("this root's sync history, newest first; with --workspace, who changed that workspace and when")
    .option('--limit <n>', 'how many entries', parseLimit, 20)
    .option('--workspace <name-or-id>', "a workspace's changes and contributors, from every machine's history")
    .action((options: { limit: number; workspace?: string }) =>
      execute(async (globals, progress) => {
        if (options.workspace) {
          const history = await new TeamService(resolveWorkspacesRoot(globals.root)).history(options.workspace, { limit: options.limit });
          return { json: history, text: renderWorkspaceHistory(history) };
        }
        const entries = await service(globals, progress).log({ limit: options.limit });
        return { json: entries, text: renderLog(entries) };
      }),
    );

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
        execute(async (globals, progress) => {
          const result = await service(globals, progress).setWorkspaceSync(workspace, enabled, { everywhere: options.everywhere });
          const hint =
            result.excluded_on === 'every_computer' && enabled ? ` Run 'planalign sync include ${JSON.stringify(result.name)} --everywhere' for that.` : '';
          return { json: result, text: result.message + hint };
        }),
      );
  }

  const remote = sync.command('remote').description('origin and team remotes, each carrying its own workspaces');
  remote
    .command('list', { isDefault: true })
    .description('the remotes and the workspaces each carries')
    .action(() =>
      execute(async (globals, progress) => {
        const list = await service(globals, progress).listRemotes();
        return { json: list, text: renderRemotes(list) };
      }),
    );
  remote
    .command('add <name> <url>')
    .description('share workspaces through another remote (a team repository)')
    .option('--workspaces <list>', 'comma-separated workspace names or ids it carries')
    .option('--branch <name>', 'its branch (default: main)')
    .action((name: string, url: string, options: { workspaces?: string; branch?: string }) =>
      execute(async (globals, progress) => {
        const workspaces = options.workspaces
          ?.split(',')
          .map((w) => w.trim())
          .filter(Boolean);
        const list = await service(globals, progress).addRemote(name, url, { branch: options.branch, workspaces });
        return { json: list, text: list.message + (workspaces?.length ? '' : ' Name the workspaces it carries with --workspaces.') };
      }),
    );
  remote
    .command('remove <name>')
    .description('stop syncing with a team remote (its repository is left alone)')
    .action((name: string) =>
      execute(async (globals, progress) => {
        const list = await service(globals, progress).removeRemote(name);
        return { json: list, text: list.message };
      }),
    );

  sync
    .command('regenerate [workspace] [scenario]')
    .description('rebuild results sync leaves behind (simulation.duckdb) for runs completed elsewhere; names or ids')
    .option('--all-missing', 'every run whose results are not on this machine')
    .option('--detach', 'only queue the jobs; a runner (the API server, or a later regenerate) works through them')
    .action((workspace: string | undefined, scenario: string | undefined, options: { allMissing?: boolean; detach?: boolean }) =>
      execute(async (globals, progress) => {
        if (!workspace && !options.allMissing) {
          throw new SyncConfigError('Say what to rebuild: a workspace (and optionally a scenario), or --all-missing for every run whose results are not here.');
        }
        const root = resolveWorkspacesRoot(globals.root);
        const regen = new RegenService(root);
        const request = { workspace, scenario, allMissing: options.allMissing };
        const queuedText = (added: RegenJob[]) =>
          added.length === 0 ? 'Nothing to rebuild: those results are here or already queued.' : `Queued ${plural(added.length, 'job')}.`;
        if (options.detach) {
          const added = await regen.enqueue(request);
          return { json: await regen.overview(), text: [queuedText(added), ...added.map(renderJob)].join('\n') };
        }
        // Ctrl-C stops the commands under way; their jobs stay queued for the next runner.
        const run = await regen.rebuild(request, {
          stop: untilStopSignal(),
          onJob: (job) => {
            if (job.status === 'running') progress.bar(job.label, job.progress);
            else if (job.status !== 'queued' && !globals.json) {
              progress.clear();
              process.stdout.write(`${renderJob(job)}\n`);
            }
          },
        });
        if (!run.ranHere) {
          return { json: run.overview, text: `${queuedText(run.added)} Another process is working through the queue; follow it with 'planalign sync jobs'.` };
        }
        return {
          json: run.overview,
          text:
            run.failed.length > 0
              ? `${plural(run.failed.length, 'job')} failed; see 'planalign sync jobs log <id>'.`
              : run.finished.length > 0
                ? 'Done.'
                : queuedText(run.added),
          exitCode: run.failed.length > 0 ? EXIT_CODES.unexpected : EXIT_CODES.ok,
        };
      }),
    );

  const jobs = sync.command('jobs').description('the regeneration queue: list, cancel, retry, log');
  jobs
    .command('list', { isDefault: true })
    .description('missing results and regeneration jobs')
    .action(() =>
      execute(async (globals) => {
        const overview = await new RegenService(resolveWorkspacesRoot(globals.root)).overview();
        return { json: overview, text: renderRegenOverview(overview) };
      }),
    );
  for (const [name, description] of [
    ['cancel', 'cancel a queued or running job (its partial database is removed)'],
    ['retry', 'queue a failed or cancelled job again'],
  ] as const) {
    jobs
      .command(`${name} <id>`)
      .description(description)
      .action((id: string) =>
        execute(async (globals) => {
          const regen = new RegenService(resolveWorkspacesRoot(globals.root));
          const job = name === 'cancel' ? await regen.cancel(id) : await regen.retry(id);
          return { json: job, text: renderJob(job) };
        }),
      );
  }
  jobs
    .command('log <id>')
    .description("a job's output")
    .action((id: string) =>
      execute(async (globals) => {
        const log = await new RegenService(resolveWorkspacesRoot(globals.root)).log(id);
        return { json: { id, log }, text: log.trimEnd() };
      }),
    );

  sync
    .command('watch')
    .description('sync by itself in the foreground: pull now, push after changes and when runs finish, and on the interval')
    .option('--debounce <ms>', 'quiet time after the last change before pushing', parseMilliseconds, 2000)
    .action((options: { debounce: number }) =>
      execute(async (globals) => {
        const root = resolveWorkspacesRoot(globals.root);
        const print = (line: string) => process.stdout.write(`${line}\n`);
        const auto = new AutoSync(root, {
          debounceMs: options.debounce,
          onEvent: (event) => {
            if (globals.json) return print(JSON.stringify({ ...event, at: new Date().toISOString() }));
            const line = renderAutoSyncEvent(event);
            if (line) print(line);
          },
        });
        await auto.start();
        // Let a sync under way finish, then stop cleanly.
        await untilStopSignal();
        await auto.stop();
        return { json: undefined, text: '' };
      }),
    );

  addTeamCommands(sync, execute);
  addArchiveCommands(sync, execute);
  addAuthCommands(sync, execute);

  sync
    .command('disconnect')
    .description('stop syncing this root (keeps every workspace file)')
    .action(() =>
      execute(async (globals, progress) => {
        const result = await service(globals, progress).disconnect();
        return { json: result, text: result.message };
      }),
    );

  return program;
}

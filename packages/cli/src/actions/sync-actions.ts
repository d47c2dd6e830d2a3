import {
  AutoSync,
  EXIT_CODES,
  RegenService,
  SyncConfigError,
  SyncConflictError,
  SyncDeleteGuardError,
  SyncService,
  TeamService,
  plural,
  settingsHere,
  resolveWorkspacesRoot,
  type ConflictSide,
  type ConflictStrategy,
  type RegenJob,
} from '@planalign/sync-core';
import type { CommandOutcome, GlobalOptions } from '../command.js';
import type { TerminalProgress } from '../progress.js';
import { ask, interactive } from '../prompt.js';
import { untilStopSignal } from '../signals.js';
import { renderWorkspaceHistory } from '../render-team.js';
import { renderDoctor } from '../render-doctor.js';
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
} from '../render.js';

/** What `planalign sync …` does: each command of program.ts, run once its code is loaded. */

export const syncService = (globals: GlobalOptions, progress?: TerminalProgress) =>
  new SyncService(resolveWorkspacesRoot(globals.root), progress ? { onProgress: (p) => progress.update(p) } : {});

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

/**
 * With `ask-user` on a terminal, a push or pull that stops on conflicts asks, file by file,
 * which version to keep (showing both on request), then runs again.
 */
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

export interface InitOptions {
  remote?: string;
  branch?: string;
  changeBranch?: boolean;
  author?: string;
  email?: string;
}

export async function init(options: InitOptions, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const root = resolveWorkspacesRoot(globals.root);
  let remote = options.remote;
  if (!remote) {
    remote = (await settingsHere(root).catch(() => null))?.remote ?? undefined;
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
  const result = await syncService(globals, progress).init({ remote, branch: options.branch, author, confirmBranchChange: options.changeBranch });
  return {
    json: result,
    // files this computer already held that the remote had otherwise: settled as a pull settles them
    text: [`${result.message} Use 'planalign sync push' to upload workspaces.`, ...renderSyncNotes(result.resolved_conflicts, [])].join('\n'),
  };
}

export interface PushOptions {
  message?: string;
  strategy?: ConflictStrategy;
  remote?: string;
  allowDelete?: boolean;
}

export async function push(options: PushOptions, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const sync = syncService(globals, progress);
  const result = await withConflictPrompt(globals, sync, () =>
    withDeletionPrompt(globals, (allowDelete) => sync.push({ ...options, allowDelete: options.allowDelete || allowDelete })),
  );
  return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, result.skipped)].join('\n') };
}

export interface PullOptions {
  strategy?: ConflictStrategy;
  remote?: string;
  dryRun?: boolean;
}

export async function pull(options: PullOptions, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const sync = syncService(globals, progress);
  if (options.dryRun) {
    if (options.remote && options.remote !== 'origin')
      throw new SyncConfigError('--dry-run previews a pull from origin: leave out --remote, or use --remote origin.');
    const preview = await sync.previewPull({ strategy: options.strategy });
    return { json: preview, text: renderPullPreview(preview) };
  }
  const result = await withConflictPrompt(globals, sync, () => sync.pull(options));
  return { json: result, text: [result.message, ...renderSyncNotes(result.resolved_conflicts, result.skipped)].join('\n') };
}

export async function listConflicts(globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const list = await syncService(globals, progress).conflicts();
  return { json: list, text: renderConflictList(list) };
}

export async function showConflict(file: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const detail = await syncService(globals, progress).showConflict(file);
  return { json: detail, text: renderConflictDetail(detail) };
}

export async function resolveConflict(
  file: string,
  options: { use: string; setting: Record<string, ConflictSide> },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const result = await syncService(globals, progress).resolveConflict(file, options.use, options.setting);
  return { json: result, text: result.message };
}

export async function restoreBackup(backupId: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const result = await syncService(globals, progress).restore(backupId);
  return { json: result, text: result.message };
}

export async function status(options: { offline?: boolean }, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const root = resolveWorkspacesRoot(globals.root);
  const report = await syncService(globals, progress).status(options);
  return {
    json: report,
    text: renderStatus(root, report),
    exitCode: report.is_initialized ? EXIT_CODES.ok : EXIT_CODES.notInitialized,
  };
}

export async function doctor(options: { fixLock?: boolean }, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const report = await syncService(globals, progress).doctor({ removeStaleLock: options.fixLock });
  return { json: report, text: renderDoctor(report), exitCode: report.healthy ? EXIT_CODES.ok : EXIT_CODES.needsAttention };
}

export async function log(options: { limit: number; workspace?: string }, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  if (options.workspace) {
    const history = await new TeamService(resolveWorkspacesRoot(globals.root)).history(options.workspace, { limit: options.limit });
    return { json: history, text: renderWorkspaceHistory(history) };
  }
  const entries = await syncService(globals, progress).log({ limit: options.limit });
  return { json: entries, text: renderLog(entries) };
}

export async function setWorkspaceSync(
  workspace: string,
  enabled: boolean,
  options: { everywhere?: boolean },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const result = await syncService(globals, progress).setWorkspaceSync(workspace, enabled, { everywhere: options.everywhere });
  const hint = result.excluded_on === 'every_computer' && enabled ? ` Run 'planalign sync include ${JSON.stringify(result.name)} --everywhere' for that.` : '';
  return { json: result, text: result.message + hint };
}

export async function listRemotes(globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const list = await syncService(globals, progress).listRemotes();
  return { json: list, text: renderRemotes(list) };
}

export async function addRemote(
  name: string,
  url: string,
  options: { workspaces?: string; branch?: string },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  const workspaces = options.workspaces
    ?.split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const list = await syncService(globals, progress).addRemote(name, url, { branch: options.branch, workspaces });
  return { json: list, text: list.message + (workspaces?.length ? '' : ' Name the workspaces it carries with --workspaces.') };
}

export async function removeRemote(name: string, globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const list = await syncService(globals, progress).removeRemote(name);
  return { json: list, text: list.message };
}

export async function regenerate(
  workspace: string | undefined,
  scenario: string | undefined,
  options: { allMissing?: boolean; detach?: boolean },
  globals: GlobalOptions,
  progress: TerminalProgress,
): Promise<CommandOutcome> {
  if (!workspace && !options.allMissing) {
    throw new SyncConfigError('Say what to rebuild: a workspace (and optionally a scenario), or --all-missing for every run whose results are not here.');
  }
  const regen = new RegenService(resolveWorkspacesRoot(globals.root));
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
}

export async function listJobs(globals: GlobalOptions): Promise<CommandOutcome> {
  const overview = await new RegenService(resolveWorkspacesRoot(globals.root)).overview();
  return { json: overview, text: renderRegenOverview(overview) };
}

export async function cancelOrRetryJob(change: 'cancel' | 'retry', id: string, globals: GlobalOptions): Promise<CommandOutcome> {
  const regen = new RegenService(resolveWorkspacesRoot(globals.root));
  const job = change === 'cancel' ? await regen.cancel(id) : await regen.retry(id);
  return { json: job, text: renderJob(job) };
}

export async function jobLog(id: string, globals: GlobalOptions): Promise<CommandOutcome> {
  const text = await new RegenService(resolveWorkspacesRoot(globals.root)).log(id);
  return { json: { id, log: text }, text: text.trimEnd() };
}

export async function watch(options: { debounce: number }, globals: GlobalOptions): Promise<CommandOutcome> {
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
}

export async function disconnect(globals: GlobalOptions, progress: TerminalProgress): Promise<CommandOutcome> {
  const result = await syncService(globals, progress).disconnect();
  return { json: result, text: result.message };
}

import { existsSync } from 'node:fs';
import { nextStepSentence } from './next-steps.js';
import type {
  AutoSyncEvent,
  RegenJob,
  RegenOverview,
  RemoteInfo,
  RemoteList,
  ConflictDetail,
  ConflictList,
  ResolvedConflict,
  SkippedFile,
  SyncLogEntry,
  SyncStatus,
  WorkspaceSyncState,
  PullPreview,
} from '@planalign/sync-core';
import { plural } from '@planalign/sync-core';

/** `2025-12-02 10:30` in local time. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 60) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
  ];
  let chosen = units[0];
  for (const unit of units) if (seconds >= unit[0]) chosen = unit;
  const count = Math.floor(seconds / chosen[0]);
  return `${plural(count, chosen[1])} ago`;
}

/** The badge people see: ✓ synced, ↑ N changes, ↓ pull available, ⚠ conflict, ○ local only. */
export function stateBadge(workspace: WorkspaceSyncState): string {
  switch (workspace.state) {
    case 'synced':
      return '✓ synced';
    case 'push_needed':
      return `↑ ${plural(workspace.changes, 'change')}${workspace.pull_available ? ' ↓' : ''}`;
    case 'pull_available':
      return '↓ pull available';
    case 'conflict':
      return '⚠ conflict';
    case 'local_only':
      return workspace.excluded_on === 'every_computer'
        ? '○ kept local everywhere'
        : workspace.excluded_on === 'this_computer'
          ? '○ excluded here'
          : '○ local only';
  }
}

export function renderStatus(root: string, status: SyncStatus): string {
  const lines: string[] = [];
  lines.push(`Workspaces root: ${root}`);
  if (!status.is_initialized) {
    // a mistyped --root names no folder at all
    if (!existsSync(root)) lines.push(`There is no folder here: check the workspaces root (--root, PLANALIGN_WORKSPACES).`);
    else lines.push(`Sync is not set up here. Run 'planalign sync init --remote <url>' to start.`);
  } else {
    // Origin, or "(none)" when there is no remote at all; then the team remotes, with what each carries.
    const teams = status.remotes.filter((remote) => remote.workspaces !== null);
    if (status.remote_url || teams.length === 0) {
      lines.push(
        `Remote: ${status.remote_url ?? '(none)'}${status.branch ? ` (branch ${status.branch})` : ''}${status.remote_reachable === false ? ' — unreachable' : ''}`,
      );
    }
    for (const team of teams) lines.push(`Remote "${team.name}": ${team.url} (branch ${team.branch}), carries ${carriedBy(team)}`);
  }
  const counts = (c: { workspaces: number; scenarios: number; runs: number }) =>
    `${plural(c.workspaces, 'workspace')}, ${plural(c.scenarios, 'scenario')}, ${plural(c.runs, 'run')}`;
  lines.push(`Local:  ${counts(status.local)}`);
  if (status.is_initialized) {
    lines.push(`Remote: ${status.remote ? counts(status.remote) : 'nothing pushed yet'}`);
    lines.push(`Local changes: ${plural(status.local_changes, 'file')} · ahead ${status.ahead} · behind ${status.behind}`);
    lines.push(`Last sync: ${status.last_sync ? `${formatTimestamp(status.last_sync)} (${timeAgo(status.last_sync)})` : 'never'}`);
    lines.push(`Conflicts: ${status.conflicts.length === 0 ? 'none' : status.conflicts.join(', ')}`);
    if (status.missing_results > 0) {
      lines.push(`Results not on this machine: ${plural(status.missing_results, 'run')} (rebuild with 'planalign sync regenerate --all-missing')`);
    }
  }
  if (status.workspaces.length > 0) {
    lines.push('');
    const width = Math.max(...status.workspaces.map((w) => stateBadge(w).length));
    for (const workspace of status.workspaces) {
      const missing = workspace.missing_results > 0 ? `; results of ${plural(workspace.missing_results, 'run')} not here` : '';
      const line = workspace.branch ? `; showing branch "${workspace.branch}"` : '';
      lines.push(`  ${stateBadge(workspace).padEnd(width)}  ${workspace.name} (${plural(workspace.scenario_count, 'scenario')}${missing}${line})`);
      for (const problem of workspace.problems) lines.push(`      ! ${problem}`);
    }
  }
  for (const warning of status.warnings) lines.push(`warning: ${warning}`);
  if (status.credentials_refused) lines.push(nextStepSentence({ action: 'update_token' }));
  return lines.join('\n');
}

export function renderLog(entries: SyncLogEntry[]): string {
  if (entries.length === 0) return 'No sync history yet.';
  return entries.map((entry) => `${formatTimestamp(entry.timestamp)}: ${entry.message}`).join('\n');
}

/** One line per file merged or settled by strategy, and per file left out, after a push or pull. */
export function renderSyncNotes(resolved: ResolvedConflict[], skipped: SkippedFile[]): string[] {
  const lines = resolved.map((r) => {
    if (r.winner === 'merged') return `merged: ${r.path}: edits from both machines kept`;
    if (r.strategy === 'workspace-removed' || r.strategy === 'scenario-removed') {
      const folder = r.strategy.slice(0, -'-removed'.length);
      // the removal won on the side that made it: the version in the backup is the other side's
      return r.winner === 'remote'
        ? `removed: ${r.path}: its ${folder} was removed elsewhere; this computer's version is in backup ${r.backup}`
        : `removed: ${r.path}: its ${folder} was removed here; the other computer's version is in backup ${r.backup}`;
    }
    const keys = r.keys.length > 0 ? ` for ${r.keys.join(', ')}` : '';
    return `conflict: ${r.path}: kept the ${r.winner} version${keys}${r.backup ? ` (the other one is in backup ${r.backup})` : ''}`;
  });
  for (const s of skipped) lines.push(`warning: ${s.path} not synced: ${s.reason}`);
  return lines;
}

export function renderConflictList(list: ConflictList): string {
  const lines: string[] = [];
  if (list.open.length === 0) lines.push('No open conflicts.');
  else {
    lines.push(`Open conflicts (${list.open.length}): choose with 'planalign sync conflicts resolve <file> --use local|remote'`);
    for (const c of list.open)
      lines.push(
        `  ⚠ ${c.path}${c.workspace ? ` (${c.workspace})` : ''}${c.decision ? ` — ${c.choices ? 'chosen setting by setting' : `${c.decision} chosen`}` : ''}`,
      );
  }
  if (list.past.length > 0) {
    lines.push('', "Versions kept after past conflicts (restore with 'planalign sync conflicts restore <id>'):");
    for (const b of list.past) lines.push(`  ${b.id}  ${b.path}  ${b.side} version, ${b.strategy ?? 'kept'}, ${formatTimestamp(b.created_at)}`);
  }
  return lines.join('\n');
}

export function renderConflictDetail(detail: ConflictDetail): string {
  const lines = [`${detail.path}: ${detail.open ? 'changed both here and on the remote' : 'settled; the other version is in a backup'}`];
  if (detail.differences.length > 0) {
    lines.push('Keys changed differently on both sides (choose one side each with --setting <key>=local|remote):');
    const shown = (value: unknown) => (value === undefined ? '(removed)' : JSON.stringify(value));
    for (const d of detail.differences) lines.push(`  ${d.key}: local ${shown(d.local)}, remote ${shown(d.remote)}`);
  }
  lines.push('', `--- ${detail.open ? 'local (this machine)' : 'current file'}`, detail.local ?? '(deleted)');
  lines.push(`--- ${detail.open ? 'remote' : `backup ${detail.backups[0]?.id ?? ''}`}`, detail.remote ?? '(deleted)');
  if (detail.backups.length > 0) lines.push('', `Backups of this file: ${detail.backups.map((b) => b.id).join(', ')}`);
  return lines.join('\n');
}

const TRIGGERS: Record<string, string> = {
  start: 'on start',
  change: 'after changes',
  'run-finished': 'a run finished',
  interval: 'scheduled',
  retry: 'retry',
};

/** `10:30:05` in local time: retries come seconds apart, so their times name the second. */
const clockTime = (time: Date | string) => new Date(time).toLocaleTimeString('en-GB', { hour12: false });

/** One line per auto-sync event, for `planalign sync watch`. */
export function renderAutoSyncEvent(event: AutoSyncEvent, now = new Date()): string | null {
  const time = clockTime(now);
  switch (event.type) {
    case 'watching':
      return `${time}  Watching ${event.root} (sync every ${plural(event.interval_minutes, 'minute')} and after changes; Ctrl-C stops)`;
    case 'interval_changed':
      return `${time}  The settings changed the interval: syncing every ${plural(event.interval_minutes, 'minute')} from now on${event.next_run_at ? `; next sync at ${clockTime(event.next_run_at)}` : ''}.`;
    case 'noticed':
    case 'syncing':
      return null;
    case 'waiting':
      return `${time}  ${event.message}.`;
    case 'synced':
      return `${time}  ${event.message} (${TRIGGERS[event.trigger]})`;
    case 'offline':
      return `${time}  Offline: ${event.message} Retrying at ${clockTime(event.retry_at)}; work stays committed here.`;
    case 'still_offline':
      return `${time}  Still offline (${TRIGGERS[event.trigger]}); next try at ${clockTime(event.retry_at)}.`;
    case 'busy':
      return `${time}  Another sync is running on this root; trying again at ${clockTime(event.retry_at)}.`;
    case 'failed':
      return `${time}  Sync failed (${TRIGGERS[event.trigger]}): ${event.message}`;
    case 'held':
      return `${time}  Not sent (${TRIGGERS[event.trigger]}): ${event.message} Automatic sync waits until you push with --allow-delete or put the files back.`;
    case 'stopped':
      return `${time}  Stopped watching.`;
  }
}

/** What a remote carries: every synced workspace (origin), or the workspaces mapped to it. */
function carriedBy(remote: RemoteInfo): string {
  return remote.workspaces === null
    ? 'every synced workspace'
    : remote.workspaces.length
      ? remote.workspaces.map((w) => w.name).join(', ')
      : 'no workspaces yet';
}

export function renderRemotes(list: RemoteList): string {
  if (list.remotes.length === 0) return "No remotes: run 'planalign sync init --remote <url>' first.";
  return list.remotes
    .map((remote) => `${remote.name.padEnd(10)} ${remote.url} (branch ${remote.branch})\n${' '.repeat(11)}carries ${carriedBy(remote)}`)
    .join('\n');
}

const JOB_MARKS: Record<RegenJob['status'], string> = { queued: '…', running: '▶', succeeded: '✓', failed: '✗', cancelled: '○' };

/** One line per job: `✓ 3f2a9c1e  "Baseline" in "Q4 Projections", 2026-2028  succeeded in 12.4 s`. */
export function renderJob(job: RegenJob): string {
  const detail =
    job.status === 'running'
      ? `${Math.round(job.progress * 100)} %`
      : job.status === 'succeeded'
        ? `rebuilt in ${(job.duration_seconds ?? 0).toFixed(1)} s`
        : job.status === 'queued'
          ? 'queued'
          : `${job.status}${job.message ? `: ${job.message}` : ''}`;
  return `${JOB_MARKS[job.status]} ${job.id}  ${job.label}  ${detail}`;
}

export function renderRegenOverview(overview: RegenOverview): string {
  const lines: string[] = [];
  lines.push(
    overview.missing.length === 0
      ? 'Every completed run has its results on this machine.'
      : `Results not on this machine: ${plural(overview.missing.length, 'run')}.`,
  );
  if (overview.jobs.length > 0) {
    lines.push('', `Jobs${overview.runner_active ? ' (a runner is working through them)' : ''}:`);
    for (const job of overview.jobs) lines.push(`  ${renderJob(job)}`);
  }
  return lines.join('\n');
}

const SIGN = { added: '+', changed: '~', removed: '-' } as const;

/** `sync pull --dry-run`: what would come, by workspace, then each conflict with what every strategy would keep. */
export function renderPullPreview(preview: PullPreview): string {
  const lines = [`${preview.message} Nothing was changed here.`];
  if (preview.local_changes > 0) lines.push(`This computer's own ${plural(preview.local_changes, 'changed file')} would be recorded first.`);
  for (const workspace of preview.workspaces) {
    const parts = (['added', 'changed', 'removed'] as const).flatMap((kind) => {
      const scenarios = workspace.scenarios[kind];
      return [
        scenarios.length > 0 ? `${kind} ${plural(scenarios.length, 'scenario')} (${scenarios.map((name) => `"${name}"`).join(', ')})` : null,
        workspace.runs[kind] > 0 ? `${kind} ${plural(workspace.runs[kind], 'run')}` : null,
      ].filter(Boolean);
    });
    lines.push(
      `  ${SIGN[workspace.change]} "${workspace.name}"${workspace.change === 'changed' ? '' : ` (${workspace.change})`}${parts.length ? `: ${parts.join('; ')}` : ''}`,
    );
  }
  for (const conflict of preview.conflicts) {
    const outcome = (strategy: keyof PullPreview['conflicts'][number]['outcomes']) =>
      conflict.outcomes[strategy] === 'ask' ? 'asks you' : `keeps the ${conflict.outcomes[strategy]} version`;
    lines.push(`  ⚠ ${conflict.label} (${conflict.path})`);
    for (const key of conflict.keys) lines.push(`      ${key.key}: ${JSON.stringify(key.local)} here, ${JSON.stringify(key.remote)} on the remote`);
    lines.push(
      `      ${(['keep-local', 'keep-remote', 'last-write-wins', 'ask-user'] as const).map((s) => `${s}${s === conflict.strategy ? ' (set)' : ''} ${outcome(s)}`).join('; ')}`,
    );
  }
  for (const file of preview.backed_up_before_removal) lines.push(`  ↳ ${file}: changed here, kept in a backup before its workspace goes`);
  return lines.join('\n');
}

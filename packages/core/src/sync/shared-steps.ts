import { SyncConfigError, SyncError } from '../errors.js';
import type { PathChange } from '../git/tree-diff.js';
import { redactUrl } from '../models/remote-url.js';
import type { ResolvedConflict } from '../models/results.js';
import type { ConflictStrategy, RemoteSettings } from '../models/sync-config.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { exchangeWorkspaceBranches } from './branch-exchange.js';
import { namesAt, namesOf } from './conflicts.js';
import { summarizeChanges } from './change-summary.js';
import { resumeCheckout } from './integrate.js';
import { appendJournal } from './journal.js';
import { conflictDecisionsPhrase, pulledPhrase, pullMessage } from './messages.js';
import type { ProgressReporter } from './progress.js';
import type { SyncContext } from './sync-context.js';
import { exchangeWithTeamRemote, type TeamExchange } from './team-remote.js';

// The steps push and pull share: which remotes to talk to, the exchanges with team remotes and
// workspace branches, recovery from a killed run, storage upkeep and the journal entries.

/** The remotes an operation talks to: all (origin and every team remote), or the one named. */
export function selectRemotes(context: SyncContext, only?: string): { origin: boolean; teams: [string, RemoteSettings][] } {
  const teams = Object.entries(context.settings.remotes);
  // A root that only shares through team remotes (say, after an import) syncs with those.
  if (!only) return { origin: !!context.settings.remote || teams.length === 0, teams };
  if (only === 'origin') return { origin: true, teams: [] };
  const team = teams.find(([name]) => name === only);
  if (!team) {
    throw new SyncConfigError(`"${only}" is not a remote of this root: its remotes are origin${teams.map(([name]) => `, ${name}`).join('')}.`, {
      field: 'remote',
      next: { action: 'list_remotes' },
    });
  }
  return { origin: false, teams: [team] };
}

/** Finishes or undoes what a killed run can leave behind: a half-done checkout, a tracking ref naming a commit that never arrived. */
export async function recover(context: SyncContext): Promise<void> {
  await resumeCheckout(context.repo);
  const tracking = await context.repo.resolveRef(context.trackingRef);
  if (tracking && !(await context.repo.hasCommit(tracking))) await context.repo.deleteRef(context.trackingRef);
}

/** Exchanges with each team remote in turn; what they bring lands in this root's branch. */
export async function exchangeWithTeams(
  context: SyncContext,
  teams: [string, RemoteSettings][],
  progress: ProgressReporter,
  /** `alone`: this remote is all the operation talks to, so its failure is the operation's */
  options: { push: boolean; strategy?: ConflictStrategy; alone?: boolean },
): Promise<TeamExchange[]> {
  const phase = options.push ? 'push' : 'fetch';
  const exchanges: TeamExchange[] = [];
  for (const [name, remote] of teams) {
    progress.step(phase, `Syncing with "${name}"`);
    try {
      exchanges.push(await exchangeWithTeamRemote(context, name, remote, { ...options, onProgress: progress.transfer(phase) }));
    } catch (error) {
      // One team remote that is down, refuses us or conflicts must not keep the others
      // (and origin) from syncing: it is reported, and tried again next time.
      if (!(error instanceof SyncError) || options.alone) throw error;
      exchanges.push({ remote: name, applied: [], pushed: false, sent: [], resolved: [], error: redactUrl(error.message) });
    }
  }
  return exchanges;
}

/** Brings the workspace branches level with origin, after its own branch. */
export function exchangeBranches(
  context: SyncContext,
  progress: ProgressReporter,
  options: { push: boolean; strategy?: ConflictStrategy; allowDelete?: boolean },
) {
  progress.step(options.push ? 'push' : 'fetch', 'Syncing workspace branches');
  return exchangeWorkspaceBranches(context, options);
}

/**
 * Consolidates packs once fetches and commits have piled them up (see pack-maintenance.ts).
 * The sync itself has succeeded by then, and old packs go only once the new one is in
 * place, so a failure here leaves storage as it was and is not the sync's failure.
 */
export async function maintainStorage(context: SyncContext): Promise<void> {
  await context.repo.maintain().catch(() => null);
}

export function toFileChanges(applied: PathChange[]) {
  return applied.map((c) => ({ path: c.path, kind: c.before === null ? ('added' as const) : c.after === null ? ('deleted' as const) : ('modified' as const) }));
}

/** Records remote changes brought here as a `pull` entry; returns their summary and the pull's message. */
export async function journalPull(context: SyncContext, applied: PathChange[], remoteEmpty: boolean, timestamp: string, commit: string | null) {
  // Removed things are named from the version they had before (their files are gone).
  const before = new Map(applied.map((change) => [change.path, change.before]));
  const names = new NameBook(context.root, async (file) => {
    const oid = before.get(file);
    return oid ? context.repo.readBlob(oid) : null;
  });
  const summary = await summarizeChanges(toFileChanges(applied), names);
  const message = pullMessage(summary, remoteEmpty, applied);
  if (applied.length > 0) {
    await appendJournal(context.repo.gitdir, {
      timestamp,
      operation: 'pull',
      workspaces_affected: summary.workspaces,
      scenarios_affected: summary.scenarios,
      message: summary.lines.length === 1 ? pulledPhrase(summary.lines[0]) : message,
      commit,
    });
  }
  return { ...summary, message };
}

/** Records how the conflicts met on the way were settled, as one `conflict` entry. */
export async function journalConflicts(context: SyncContext, resolved: ResolvedConflict[]): Promise<void> {
  if (resolved.length === 0) return;
  const workspaces = [...new Set(resolved.map((r) => placeOf(r.path).workspaceId).filter((w): w is string => !!w))];
  // A workspace removed on the way is named from the versions the merge started from.
  const head = await context.repo.resolveRef(context.branchRef);
  const names = namesAt(context, head ? (await context.repo.readCommit(head)).parents : []);
  const conflicts = await Promise.all(
    resolved.map(async (r) => {
      const place = await namesOf(names, r.path);
      return {
        path: r.path,
        workspace: place.workspace_name,
        scenario: place.scenario_name,
        keys: r.keys,
        kept: r.winner,
        strategy: r.strategy,
        backup: r.backup,
      };
    }),
  );
  await appendJournal(context.repo.gitdir, {
    timestamp: new Date().toISOString(),
    operation: 'conflict',
    workspaces_affected: await Promise.all(workspaces.map((w) => names.workspaceName(w))),
    scenarios_affected: [...new Set(conflicts.map((c) => c.scenario).filter((s): s is string => !!s))],
    message: conflictDecisionsPhrase(resolved),
    commit: null,
    conflicts,
  });
}

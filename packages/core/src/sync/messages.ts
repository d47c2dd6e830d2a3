import type { PathChange } from '../git/tree-diff.js';
import type { BranchExchange, DeletionRisk, ResolvedConflict } from '../models/results.js';
import type { ConflictPreview, WorkspacePreview } from '../models/preview.js';
import type { TreeCounts } from '../models/sync-status.js';
import { SETTINGS_FILE } from '../config/settings-file.js';
import { plural } from '../util/plural.js';
import type { ChangeSummary } from './change-summary.js';

// The sentences push and pull say, and the journal keeps: one place to read and change them.

/** `Add run … to "Q4"` → `Pushed run … to "Q4"`, for the journal. */
export function pushedPhrase(line: string): string {
  return line.replace(/^(Add|Update|Remove) /, (_, verb: string) => `Pushed ${verb === 'Remove' ? 'removal of ' : verb === 'Update' ? 'update of ' : ''}`);
}

export function pulledPhrase(line: string): string {
  return line.replace(/^(Add|Update|Remove) /, (_, verb: string) => `Pulled ${verb === 'Remove' ? 'removal of ' : verb === 'Update' ? 'update of ' : ''}`);
}

export function pullMessage(summary: ChangeSummary, remoteEmpty: boolean, applied: PathChange[] = []): string {
  if (remoteEmpty) return 'The remote has no workspaces yet: nothing to pull.';
  if (summary.workspaces.length === 0) {
    // Files outside every workspace came (shared settings, a README someone added): say so.
    if (applied.length === 0) return 'Already up to date.';
    const settings = applied.some((change) => change.path === SETTINGS_FILE);
    const others = applied.length - (settings ? 1 : 0);
    return [settings ? 'Updated the shared settings' : null, others > 0 ? `Brought down ${plural(others, 'file')} outside the workspaces` : null]
      .filter(Boolean)
      .join('; ');
  }
  const added = summary.addedWorkspaces.length;
  const removed = summary.removedWorkspaces.length;
  const updated = summary.workspaces.length - added - removed;
  const parts = [
    added > 0 ? `brought down ${plural(added, 'new workspace')}` : null,
    updated > 0 ? `updated ${plural(updated, 'workspace')}` : null,
    removed > 0 ? `removed ${plural(removed, 'workspace')} (${summary.removedWorkspaces.map((name) => `"${name}"`).join(', ')}) as another computer did` : null,
  ].filter((part): part is string => part !== null);
  const joined = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
  const what = joined.charAt(0).toUpperCase() + joined.slice(1);
  const extras = [
    summary.addedScenarioCount > 0 ? plural(summary.addedScenarioCount, 'new scenario') : null,
    summary.addedRuns > 0 ? plural(summary.addedRuns, 'new run') : null,
  ].filter(Boolean);
  return `${what}${extras.length ? ` with ${extras.join(' and ')}` : ''}`;
}

/** ` (shared with "team", "ana")`: the team remotes a push reached. */
export function sharedWithNote(teams: string[]): string {
  return teams.length > 0 ? ` (shared with ${teams.map((name) => `"${name}"`).join(', ')})` : '';
}

/** What a push says: what is in sync now, what was shared where, and what happened to branches. */
export function pushMessage(outcome: {
  synced: { workspaces: number; scenarios: number; runs: number };
  pushed: boolean;
  toTeams: string[];
  pulled: { workspaces: string[]; message: string };
  branches: BranchExchange[];
}): string {
  const { synced, pushed, toTeams, pulled, branches } = outcome;
  const totals = `${plural(synced.workspaces, 'workspace')} (${plural(synced.scenarios, 'scenario')}, ${plural(synced.runs, 'run')})`;
  const branchesPushed = branches.filter((b) => b.pushed).map((b) => `"${b.branch}"`);
  const branchNote =
    (branchesPushed.length > 0 ? `; pushed branch${branchesPushed.length === 1 ? '' : 'es'} ${branchesPushed.join(', ')}` : '') + removedBranchesNote(branches);
  const branchErrors = branchErrorsNote(branches);
  const headline =
    pushed || toTeams.length > 0
      ? `Synced ${totals}${sharedWithNote(toTeams)}`
      : pulled.workspaces.length > 0
        ? `${pulled.message}; nothing to push: ${totals}`
        : branchesPushed.length > 0
          ? `Main line up to date: ${totals}`
          : `Everything is up to date: ${totals}`;
  return headline + branchNote + branchErrors;
}

/** Branches deleted on the remote that were let go here too. */
export function removedBranchesNote(branches: BranchExchange[]): string {
  return branches
    .filter((b) => b.removed)
    .map((b) => `; branch "${b.branch}" removed here, as it was deleted on the remote`)
    .join('');
}

/**
 * What init says: what the remote holds, and what of it came down (`arrived`: counted from the
 * files new here), which is nothing when this computer had it all already.
 */
export function initMessage(fromRemote: TreeCounts | null, arrived: TreeCounts | null, followedBranch: string | null): string {
  const counts = (of: TreeCounts) => `${plural(of.workspaces, 'workspace')} (${plural(of.scenarios, 'scenario')}, ${plural(of.runs, 'run')})`;
  const broughtDown =
    !fromRemote || fromRemote.workspaces === 0
      ? ''
      : arrived && arrived.workspaces > 0
        ? ` Brought down ${counts(arrived)} from the remote.`
        : arrived && arrived.scenarios + arrived.runs > 0
          ? ` Brought down ${plural(arrived.scenarios, 'scenario')} and ${plural(arrived.runs, 'run')} from the remote, into workspaces this computer has.`
          : ` This computer already has the remote's ${counts(fromRemote)}.`;
  const followed = followedBranch ? ` It syncs the branch "${followedBranch}", the one the remote has.` : '';
  return `Sync initialized.${broughtDown}${followed}`;
}

/** What a pull says: what came, whether this computer's own work was recorded, and the branches. */
export function pullResultMessage(summaryMessage: string, committedLocal: boolean, branches: BranchExchange[]): string {
  return (
    summaryMessage.replace(/\.$/, '') +
    (committedLocal ? "; this computer's own changes were recorded, and go with the next push" : '') +
    branches
      .filter((b) => b.files_changed > 0)
      .map((b) => `; branch "${b.branch}": ${plural(b.files_changed, 'file')} updated`)
      .join('') +
    branchErrorsNote(branches) +
    removedBranchesNote(branches)
  );
}

/** `; branch "x" not synced: …` for each workspace branch that failed. */
function branchErrorsNote(branches: BranchExchange[]): string {
  return branches
    .filter((b) => b.error)
    .map((b) => `; branch "${b.branch}" not synced: ${b.error}`)
    .join('');
}

/** How each conflict met on the way was settled, for the journal. */
export function conflictDecisionsPhrase(resolved: ResolvedConflict[]): string {
  return resolved
    .map((r) =>
      r.winner === 'merged'
        ? `${r.path}: merged, edits from both machines kept`
        : `${r.path}: ${r.winner} version kept (${r.strategy})${r.backup ? `, other kept in backup ${r.backup}` : ''}`,
    )
    .join('; ');
}

/** What a pull preview says: what would come, go and clash. */
export function previewMessage(workspaces: WorkspacePreview[], otherFiles: number, conflicts: ConflictPreview[], keptBeforeRemoval: number): string {
  if (workspaces.length === 0 && otherFiles === 0) {
    // The conflicts settle as this computer's version (or wait for a choice): nothing comes down, but they are there.
    const asked = conflicts.filter((conflict) => conflict.outcomes[conflict.strategy] === 'ask').length;
    if (asked > 0) return `A pull would stop and ask which version to keep of ${plural(asked, 'file')} changed both here and on the remote.`;
    return conflicts.length > 0
      ? `Nothing here would change with the conflict setting in use, though ${plural(conflicts.length, 'file')} changed both here and on the remote.`
      : 'Already up to date.';
  }
  const count = (change: WorkspacePreview['change']) => workspaces.filter((w) => w.change === change).length;
  const parts = [
    count('added') > 0 ? `bring ${plural(count('added'), 'new workspace')}` : null,
    count('changed') > 0 ? `update ${plural(count('changed'), 'workspace')}` : null,
    count('removed') > 0 ? `remove ${plural(count('removed'), 'workspace')}` : null,
    otherFiles > 0 ? `change ${plural(otherFiles, 'file')} outside the workspaces` : null,
  ].filter(Boolean);
  const notes = [
    conflicts.length > 0 ? `${plural(conflicts.length, 'file')} changed both here and on the remote` : null,
    keptBeforeRemoval > 0 ? `${plural(keptBeforeRemoval, 'changed file')} would be kept in a backup before its workspace goes` : null,
  ].filter(Boolean);
  const sentence = `A pull would ${parts.join(', ')}.`;
  return notes.length > 0 ? `${sentence} ${notes.join('; ')}.` : sentence;
}

/** Why a push was held back: what it would delete, and what to do about it. */
export function deletionMessage(risk: DeletionRisk): string {
  const names = risk.workspaces.map((w) => `"${w.name}"`);
  const scenarios = risk.scenarios.map((s) => `"${s.name}" (in "${s.workspace}")`);
  const listed = (items: string[]) => `${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}`;
  const what = [
    names.length > 0 ? `${names.length === 1 ? 'the workspace' : 'the workspaces'} ${listed(names)}` : null,
    scenarios.length > 0 ? `${scenarios.length === 1 ? 'the scenario' : 'the scenarios'} ${listed(scenarios)}` : null,
    `${plural(risk.deleted_files, 'file')} of ${risk.synced_files} (${risk.percent} %${risk.percent > risk.max_delete_percent ? `, more than the ${risk.max_delete_percent} % allowed` : ''})`,
  ]
    .filter(Boolean)
    .join(' and ');
  return (
    `This would delete ${what} from the other computers. Nothing was sent: they are still on the remote and in this root's history. ` +
    `If the folder was emptied, moved or pointed at by mistake, put the files back.`
  );
}

/** A status warning for a setting in `.planalign-sync.yaml` this version does not know. */
export function unknownSettingWarning(setting: string): string {
  return `${SETTINGS_FILE}: ${setting} is not a setting this version knows; it is ignored here and kept in the file (check its spelling, or update planalign-sync).`;
}

export function putBackMessage(files: number): string {
  return files === 0 ? 'Nothing was removed here: nothing to put back.' : `Put back ${plural(files, 'file')} from the last sync.`;
}

import type { OperationName } from './api.js';
import { plural } from './format.js';
import type { ConflictResolution, DeletionRisk, PullResult, PushResult, PutBackResult, RestoreResult } from '@planalign/sync-core';

const quoted = (names: string[]) => [...new Set(names)].map((name) => `“${name}”`).join(', ');

function skippedWords(skipped: { path: string }[]): string {
  return skipped.length ? ` ${plural(skipped.length, 'file')} could not sync this time; Health lists ${skipped.length === 1 ? 'it' : 'them'}.` : '';
}

function conflictsWords(resolved: { winner: string; strategy: string }[]): string {
  const isRemoval = (r: { strategy: string }) => r.strategy === 'workspace-removed' || r.strategy === 'scenario-removed';
  const removed = resolved.filter(isRemoval).length;
  const settled = resolved.filter((r) => r.winner !== 'merged' && !isRemoval(r)).length;
  const settledWords = settled
    ? ` ${plural(settled, 'setting')} changed on two computers ${settled === 1 ? 'was' : 'were'} settled; the values not kept are under Conflicts.`
    : '';
  const removedWords = removed
    ? ' Another computer removed a workspace or scenario this computer had changed: what you changed in it is kept under Conflicts, where it can be put back.'
    : '';
  return `${settledWords}${removedWords}`;
}

/** What a sync did, from its data: what is the same everywhere now, and what went each way. */
export function pushWords(result: PushResult): string {
  const { synced } = result;
  const totals = `${plural(synced.workspaces, 'workspace')} (${plural(synced.scenarios, 'scenario')}, ${plural(synced.runs, 'run')})`;
  const sent = result.changed_workspaces.length ? ` This computer’s changes to ${quoted(result.changed_workspaces)} went to the other computers.` : '';
  const problems = [...result.remotes.filter((r) => r.error), ...result.branches.filter((b) => b.error)].length;
  const partly = problems ? ' Part of it could not sync this time and is tried again with the next sync.' : '';
  return `Synced: ${totals}, the same on every computer.${sent}${conflictsWords(result.resolved_conflicts)}${skippedWords(result.skipped)}${partly}`;
}

export function pullWords(result: PullResult): string {
  const got = result.updated_workspaces.length
    ? `Got the other computers’ changes to ${quoted(result.updated_workspaces)}.`
    : 'Nothing new from the other computers.';
  return `${got}${conflictsWords(result.resolved_conflicts)}${skippedWords(result.skipped)}`;
}

export function resolutionWords(result: ConflictResolution): string {
  if (result.pending.length > 0) return `Your choice is recorded; ${plural(result.pending.length, 'more file')} to decide.`;
  if (result.pull && result.shared) return 'Done: every computer gets the version you chose.';
  if (result.pull) return 'Done on this computer; the other computers get the version you chose with the next sync.';
  return 'The kept version is back in place; the next sync shares it.';
}

/**
 * An operation's outcome in the dashboard's words, composed from the result's data rather than
 * the server's message (which speaks of pushes and remotes); other outcomes keep their message.
 */
export function resultWords(name: OperationName, result: { message: string }): string {
  switch (name) {
    case 'push':
      return 'synced' in result ? pushWords(result as PushResult) : result.message;
    case 'pull':
      return 'updated_workspaces' in result ? pullWords(result as PullResult) : result.message;
    case 'resolve':
      return 'pending' in result ? resolutionWords(result as ConflictResolution) : result.message;
    case 'restore':
      if ('files' in result) {
        const put = result as PutBackResult;
        return put.workspaces.length > 0
          ? `${quoted(put.workspaces)} ${put.workspaces.length === 1 ? 'is' : 'are'} back on this computer, as of the last sync.`
          : put.message;
      }
      if ('workspace_restored' in result && (result as RestoreResult).workspace_restored) {
        return `The kept version is back in place, with the rest of “${(result as RestoreResult).workspace_restored}” as this computer last had it. The next sync shares it.`;
      }
      return 'The kept version is back in place, and what was there is kept too. The next sync shares it.';
    default:
      return result.message;
  }
}

/** What a held removal would take from every computer: workspaces, else scenarios, else a count of files. */
export function removedNames(risk: DeletionRisk): string {
  if (risk.workspaces.length > 0) return quoted(risk.workspaces.map((w) => w.name));
  if (risk.scenarios?.length) return risk.scenarios.map((s) => `“${s.name}” from “${s.workspace}”`).join(', ');
  return `${risk.deleted_files} files`;
}

/** After closing the question: nothing went out, and the removal waits until the files are back or it is confirmed. */
export function removalKeptWords(risk: DeletionRisk): { title: string; detail: string } {
  return {
    title: `Nothing was sent: the other computers keep ${removedNames(risk)}.`,
    detail: 'Until the files are back on this computer, or you choose to remove them everywhere, each sync stops here and asks again.',
  };
}

import type { BranchList, ScenarioDiff, ScenarioVersions, WorkspaceHistory } from '@planalign/sync-core';
import { formatTimestamp, timeAgo } from './render.js';
import { plural } from '@planalign/sync-core';

export function renderBranches(list: BranchList): string {
  const lines = [`Branches of "${list.workspace_name}":`];
  for (const branch of list.branches) {
    const marker = branch.current ? '*' : ' ';
    const where = branch.where === 'remote' ? ' (on the remote only)' : branch.where === 'local' ? ' (this machine only)' : '';
    const ahead = branch.ahead > 0 ? `, ↑ ${plural(branch.ahead, 'commit')}` : '';
    const who = branch.last_changed_by && branch.last_changed_at ? ` — last changed by ${branch.last_changed_by.name} ${timeAgo(branch.last_changed_at)}` : '';
    lines.push(`${marker} ${branch.name}${where}${ahead}${who}`);
  }
  if (list.remote_reachable === false) lines.push('(the remote could not be reached: its branches are as of the last sync)');
  return lines.join('\n');
}

export function renderWorkspaceHistory(history: WorkspaceHistory): string {
  const lines = [`"${history.workspace_name}"${history.branch ? ` (${history.branch})` : ''}: ${plural(history.contributors.length, 'contributor')}`];
  for (const c of history.contributors) {
    const scenarios = c.scenarios.length ? `; scenarios: ${c.scenarios.map((s) => s.name).join(', ')}` : '';
    lines.push(`  ${c.author.name} <${c.author.email}>: ${plural(c.changes, 'change')}, last ${formatTimestamp(c.last_change_at)}${scenarios}`);
  }
  if (history.changes.length) lines.push('', 'Changes, newest first:');
  for (const change of history.changes) {
    const scenarios = change.scenarios.length ? ` [${change.scenarios.map((s) => s.name).join(', ')}]` : '';
    lines.push(`  ${formatTimestamp(change.timestamp)}  ${change.author.name}  ${change.message}${scenarios}  (${change.commit.slice(0, 10)})`);
  }
  return lines.join('\n');
}

export function renderScenarioVersions(versions: ScenarioVersions): string {
  if (versions.versions.length === 0) return `"${versions.scenario_name}" has no committed version yet: push or pull once.`;
  const lines = [`Versions of "${versions.scenario_name}", newest first:`];
  for (const v of versions.versions) {
    lines.push(`${v.current ? '*' : ' '} ${v.version}  ${formatTimestamp(v.timestamp)}  ${v.author.name}  ${v.message}`);
  }
  lines.push('', "Compare two with 'planalign sync history diff <workspace> <scenario> <from> [to]'; put one back with 'planalign sync history restore …'.");
  return lines.join('\n');
}

const show = (value: unknown) => (value === undefined || value === null ? '∅' : JSON.stringify(value));

export function renderScenarioDiff(diff: ScenarioDiff): string {
  if (diff.changes.length === 0) return `No difference in configuration between ${diff.from} and ${diff.to}.`;
  const lines = [`${diff.from} → ${diff.to}:`];
  for (const change of diff.changes) {
    const where = change.key ? `${change.file}: ${change.key}` : change.file;
    lines.push(
      change.kind === 'added'
        ? `  + ${where} = ${show(change.after)}`
        : change.kind === 'removed'
          ? `  - ${where} (was ${show(change.before)})`
          : `  ~ ${where}: ${show(change.before)} → ${show(change.after)}`,
    );
  }
  // The settings first, then the lines themselves for whoever reads diffs.
  if (diff.patch) lines.push('', diff.patch.replace(/\n$/, ''));
  return lines.join('\n');
}

import type { FileChange } from './stage.js';
import type { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { plural } from '../util/plural.js';

export interface ChangeSummary {
  workspaces: string[];
  scenarios: string[];
  /** one line per thing that changed, for commit messages and the journal */
  lines: string[];
  addedRuns: number;
  /** scenarios added to workspaces that were already there */
  addedScenarios: string[];
  /** every scenario added, those of new workspaces included */
  addedScenarioCount: number;
  addedWorkspaces: string[];
  removedWorkspaces: string[];
}

const quote = (name: string) => `"${name}"`;

/** The run's date for people: its start time as `2025-12-02 10:30`, else its id. */
function runLabel(startedAt: string | null | undefined, runId: string): string {
  if (startedAt && !Number.isNaN(Date.parse(startedAt))) return new Date(startedAt).toISOString().slice(0, 16).replace('T', ' ');
  return runId;
}

/**
 * Describes a set of file changes in PlanAlign's words: which workspaces, scenarios and runs
 * were added, changed or removed.
 */
export async function summarizeChanges(changes: FileChange[], names: NameBook): Promise<ChangeSummary> {
  const workspaces = new Map<string, 'added' | 'modified' | 'deleted' | 'touched'>();
  const scenarios = new Map<string, { ws: string; sc: string; kind: 'added' | 'modified' | 'deleted' | 'touched' }>();
  const runs = new Map<string, { ws: string; sc: string; run: string; kind: 'added' | 'modified' | 'deleted' }>();
  const other: string[] = [];
  // A top-level folder is a workspace when its workspace.json changed or it holds one; any other
  // (a submodule or a folder of notes someone added with git) is not counted as one.
  const isWorkspace = new Map<string, boolean>();
  for (const change of changes) {
    const { workspaceId, file } = placeOf(change.path);
    if (!workspaceId || isWorkspace.get(workspaceId)) continue;
    if (file === 'workspace') isWorkspace.set(workspaceId, true);
    else if (!isWorkspace.has(workspaceId)) isWorkspace.set(workspaceId, await names.isWorkspace(workspaceId));
  }
  for (const change of changes) {
    const place = placeOf(change.path);
    if (!place.workspaceId || !isWorkspace.get(place.workspaceId)) {
      other.push(change.path);
      continue;
    }
    const ws = place.workspaceId;
    if (place.file === 'workspace') workspaces.set(ws, change.kind);
    else if (!workspaces.has(ws)) workspaces.set(ws, 'touched');
    if (place.scenarioId) {
      const key = `${ws}/${place.scenarioId}`;
      if (place.file === 'scenario') scenarios.set(key, { ws, sc: place.scenarioId, kind: change.kind });
      else if (!scenarios.has(key)) scenarios.set(key, { ws, sc: place.scenarioId, kind: 'touched' });
      if (place.runId && place.file === 'run') runs.set(`${key}/${place.runId}`, { ws, sc: place.scenarioId, run: place.runId, kind: change.kind });
    }
  }
  const lines: string[] = [];
  const addedWorkspaces: string[] = [];
  const removedWorkspaces: string[] = [];
  const addedScenarios: string[] = [];
  for (const [ws, kind] of workspaces) {
    const name = await names.workspaceName(ws);
    if (kind === 'added') {
      addedWorkspaces.push(name);
      lines.push(`Add workspace ${quote(name)}`);
    } else if (kind === 'deleted') {
      removedWorkspaces.push(name);
      lines.push(`Remove workspace ${quote(name)}`);
    } else if (kind === 'modified') lines.push(`Update workspace ${quote(name)}`);
  }
  const scenariosWithRuns = new Set([...runs.values()].map((r) => `${r.ws}/${r.sc}`));
  for (const { ws, sc, kind } of scenarios.values()) {
    if (workspaces.get(ws) === 'added' || workspaces.get(ws) === 'deleted') continue;
    const name = await names.scenarioName(ws, sc);
    if (kind === 'added') {
      addedScenarios.push(name);
      lines.push(`Add scenario ${quote(name)} to ${quote(await names.workspaceName(ws))}`);
    } else if (kind === 'deleted') lines.push(`Remove scenario ${quote(name)}`);
    // A new run rewrites scenario.json's pointers; the run line says it better.
    else if (!scenariosWithRuns.has(`${ws}/${sc}`)) lines.push(`Update scenario ${quote(name)}`);
  }
  let addedRuns = 0;
  for (const { ws, sc, run, kind } of runs.values()) {
    if (kind === 'added') addedRuns += 1;
    if (workspaces.get(ws) === 'added' || scenarios.get(`${ws}/${sc}`)?.kind === 'added') continue;
    const meta = await names.run(ws, sc, run);
    const verb = kind === 'added' ? 'Add run' : kind === 'deleted' ? 'Remove run' : 'Update run';
    lines.push(`${verb} ${runLabel(meta?.started_at, run)} ${kind === 'deleted' ? 'from' : 'to'} ${quote(await names.scenarioName(ws, sc))}`);
  }
  if (other.some((p) => p === '.planalign-sync.yaml')) lines.push('Update sync settings');
  if (other.some((p) => p === '.gitignore')) lines.push('Update ignore rules');
  return {
    workspaces: await Promise.all([...workspaces.keys()].map((ws) => names.workspaceName(ws))),
    scenarios: await Promise.all([...scenarios.values()].map(({ ws, sc }) => names.scenarioName(ws, sc))),
    lines,
    addedRuns,
    addedScenarios,
    addedScenarioCount: [...scenarios.values()].filter((scenario) => scenario.kind === 'added').length,
    addedWorkspaces,
    removedWorkspaces,
  };
}

/** A commit message: a subject naming the change when there is one thing, a count otherwise, then the details. */
export function commitMessage(summary: ChangeSummary, fileCount: number): string {
  if (summary.lines.length === 1) return summary.lines[0];
  const subject =
    summary.lines.length === 0
      ? `Sync ${plural(fileCount, 'file')}`
      : summary.workspaces.length === 0
        ? `Sync ${plural(summary.lines.length, 'change')}`
        : `Sync ${plural(summary.workspaces.length, 'workspace')}: ${summary.lines.length} changes`;
  const body = summary.lines.slice(0, 50).map((line) => `- ${line}`);
  if (summary.lines.length > 50) body.push(`- … and ${summary.lines.length - 50} more`);
  return body.length > 0 ? `${subject}\n\n${body.join('\n')}` : subject;
}

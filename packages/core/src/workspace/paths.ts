/** A run's results, written by PlanAlign beside its synced files and never synced (too large). */
export const DATABASE_FILE = 'simulation.duckdb';

/** Where a synced path sits in PlanAlign's tree. */
export interface PathPlace {
  workspaceId: string | null;
  scenarioId: string | null;
  runId: string | null;
  /** the file that defines the thing itself: workspace.json, scenario.json, run_metadata.json */
  file: 'workspace' | 'scenario' | 'run' | 'other';
}

export function placeOf(relativePath: string): PathPlace {
  const parts = relativePath.split('/');
  if (parts.length < 2) return { workspaceId: null, scenarioId: null, runId: null, file: 'other' };
  const workspaceId = parts[0];
  if (parts.length === 2) return { workspaceId, scenarioId: null, runId: null, file: parts[1] === 'workspace.json' ? 'workspace' : 'other' };
  if (parts[1] !== 'scenarios' || parts.length < 4) return { workspaceId, scenarioId: null, runId: null, file: 'other' };
  const scenarioId = parts[2];
  if (parts.length === 4) return { workspaceId, scenarioId, runId: null, file: parts[3] === 'scenario.json' ? 'scenario' : 'other' };
  if (parts[3] === 'runs' && parts.length >= 6) {
    return { workspaceId, scenarioId, runId: parts[4], file: parts.length === 6 && parts[5] === 'run_metadata.json' ? 'run' : 'other' };
  }
  return { workspaceId, scenarioId, runId: null, file: 'other' };
}

/** Counts workspaces, scenarios and runs from the paths of a tree (no file is read). */
export function countTree(paths: Iterable<string>): { workspaces: number; scenarios: number; runs: number } {
  let workspaces = 0;
  let scenarios = 0;
  let runs = 0;
  for (const p of paths) {
    const file = placeOf(p).file;
    if (file === 'workspace') workspaces += 1;
    else if (file === 'scenario') scenarios += 1;
    else if (file === 'run') runs += 1;
  }
  return { workspaces, scenarios, runs };
}

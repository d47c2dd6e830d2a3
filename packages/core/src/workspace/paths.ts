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

/**
 * Reads the path's first six segments by their slashes rather than splitting it: a status
 * places every synced path two or three times, 34,000 of them on a large root.
 */
export function placeOf(relativePath: string): PathPlace {
  const p = relativePath;
  const s1 = p.indexOf('/');
  if (s1 < 0) return { workspaceId: null, scenarioId: null, runId: null, file: 'other' };
  const workspaceId = p.slice(0, s1);
  const s2 = p.indexOf('/', s1 + 1);
  if (s2 < 0) return { workspaceId, scenarioId: null, runId: null, file: p.slice(s1 + 1) === 'workspace.json' ? 'workspace' : 'other' };
  const s3 = p.indexOf('/', s2 + 1);
  if (s3 < 0 || !segmentIs(p, s1 + 1, s2, 'scenarios')) return { workspaceId, scenarioId: null, runId: null, file: 'other' };
  const scenarioId = p.slice(s2 + 1, s3);
  const s4 = p.indexOf('/', s3 + 1);
  if (s4 < 0) return { workspaceId, scenarioId, runId: null, file: p.slice(s3 + 1) === 'scenario.json' ? 'scenario' : 'other' };
  const s5 = p.indexOf('/', s4 + 1);
  if (s5 >= 0 && segmentIs(p, s3 + 1, s4, 'runs')) {
    const runId = p.slice(s4 + 1, s5);
    const isMetadata = p.indexOf('/', s5 + 1) < 0 && p.slice(s5 + 1) === 'run_metadata.json';
    return { workspaceId, scenarioId, runId, file: isMetadata ? 'run' : 'other' };
  }
  return { workspaceId, scenarioId, runId: null, file: 'other' };
}

/** Whether p[start, end) is `word`. */
const segmentIs = (p: string, start: number, end: number, word: string): boolean => end - start === word.length && p.startsWith(word, start);

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

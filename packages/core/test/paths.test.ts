import { describe, expect, it } from 'vitest';
import { countTree, placeOf, type PathPlace } from '../src/workspace/paths.js';

/** PlanAlign's layout read segment by segment: what placeOf must answer for any path. */
function placeBySegments(relativePath: string): PathPlace {
  const parts = relativePath.split('/');
  const none = { workspaceId: null, scenarioId: null, runId: null };
  if (parts.length < 2) return { ...none, file: 'other' };
  const workspaceId = parts[0];
  if (parts.length === 2) return { ...none, workspaceId, file: parts[1] === 'workspace.json' ? 'workspace' : 'other' };
  if (parts[1] !== 'scenarios' || parts.length < 4) return { ...none, workspaceId, file: 'other' };
  const scenarioId = parts[2];
  if (parts.length === 4) return { ...none, workspaceId, scenarioId, file: parts[3] === 'scenario.json' ? 'scenario' : 'other' };
  if (parts[3] === 'runs' && parts.length >= 6) {
    return { workspaceId, scenarioId, runId: parts[4], file: parts.length === 6 && parts[5] === 'run_metadata.json' ? 'run' : 'other' };
  }
  return { ...none, workspaceId, scenarioId, file: 'other' };
}

const PATHS = [
  '.gitignore',
  'ws/workspace.json',
  'ws/base_config.yaml',
  'ws/workspace.json/extra',
  'ws/scenarios/s1/scenario.json',
  'ws/scenarios/s1/config.yaml',
  'ws/scenarios/s1/scenario.jsonx',
  'ws/scenarios/s1',
  'ws/scenarios',
  'ws/scenario/s1/scenario.json',
  'ws/scenariosx/s1/scenario.json',
  'ws/scenarios/s1/runs/r1/run_metadata.json',
  'ws/scenarios/s1/runs/r1/config.yaml',
  'ws/scenarios/s1/runs/r1/run_metadata.json/x',
  'ws/scenarios/s1/runs/r1/sub/run_metadata.json',
  'ws/scenarios/s1/runs/r1',
  'ws/scenarios/s1/run/r1/run_metadata.json',
  'ws/scenarios/s1/runsx/r1/run_metadata.json',
  'ws/scenarios/s1/outputs/r1/run_metadata.json',
  'ws//workspace.json',
  'ws/scenarios//scenario.json',
  'ws/scenarios/s1/runs//run_metadata.json',
  '/ws/workspace.json',
  'ws/',
  'ws/scenarios/s1/',
  'ws/scenarios/s1/runs/r1/',
  'Ünïcode ws/scenarios/sçénario/runs/rün/run_metadata.json',
];

describe('placing a path in PlanAlign’s layout', () => {
  it.each(PATHS)('%s is placed as its segments say', (relativePath) => {
    expect(placeOf(relativePath)).toEqual(placeBySegments(relativePath));
  });

  it('counts workspaces, scenarios and runs by their defining files only', () => {
    expect(countTree(PATHS)).toEqual({ workspaces: 1, scenarios: 2, runs: 3 });
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SkippedFile } from '../models/results.js';
import { placeOf } from './paths.js';

/**
 * Scenarios whose simulation is running: PlanAlign marks them `status: running` in
 * scenario.json and writes the run's metadata only when it ends. Their changes wait until then,
 * so no machine receives a run half-way. Only scenarios with changes are read.
 */
export function runningScenarioHold(root: string, changedPaths: Iterable<string>): (relativePath: string) => SkippedFile | null {
  const running = new Map<string, boolean>();
  const isRunning = (folder: string): boolean => {
    let answer = running.get(folder);
    if (answer === undefined) {
      try {
        answer = (JSON.parse(readFileSync(path.join(root, folder, 'scenario.json'), 'utf8')) as { status?: unknown }).status === 'running';
      } catch {
        answer = false;
      }
      running.set(folder, answer);
    }
    return answer;
  };
  const folderOf = (relativePath: string): string | null => {
    const place = placeOf(relativePath);
    return place.workspaceId && place.scenarioId ? `${place.workspaceId}/scenarios/${place.scenarioId}` : null;
  };
  for (const changed of changedPaths) {
    const folder = folderOf(changed);
    if (folder) isRunning(folder);
  }
  return (relativePath) => {
    const folder = folderOf(relativePath);
    return folder && running.get(folder) ? { path: folder, reason: 'the scenario is still running; it syncs once the run ends' } : null;
  };
}

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { MissingResult } from '../models/regen.js';
import { NameBook } from '../workspace/names.js';

export const DATABASE_FILE = 'simulation.duckdb';
const FINISHED = new Set(['completed']);

const folders = (dir: string) => {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
};

const readJson = (file: string): Record<string, unknown> | null => {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
};

/**
 * Runs whose synced metadata says they completed and whose config is here, but whose database
 * is not: typically everything on a second machine. Only a stat per run, plus a read of the
 * metadata of runs without a database. The run current_result.json names comes first.
 */
export async function findMissingResults(root: string, only: { workspaceId?: string; scenarioId?: string } = {}): Promise<MissingResult[]> {
  const names = new NameBook(root);
  const missing: MissingResult[] = [];
  for (const workspaceId of only.workspaceId ? [only.workspaceId] : folders(root)) {
    const scenariosDir = path.join(root, workspaceId, 'scenarios');
    for (const scenarioId of only.scenarioId ? [only.scenarioId] : folders(scenariosDir)) {
      const scenarioDir = path.join(scenariosDir, scenarioId);
      const current = readJson(path.join(scenarioDir, 'current_result.json'))?.run_id;
      const found: MissingResult[] = [];
      for (const runId of folders(path.join(scenarioDir, 'runs'))) {
        const runDir = path.join(scenarioDir, 'runs', runId);
        if (existsSync(path.join(runDir, DATABASE_FILE)) || !existsSync(path.join(runDir, 'config.yaml'))) continue;
        const metadata = readJson(path.join(runDir, 'run_metadata.json'));
        if (!metadata || !FINISHED.has(String(metadata.status))) continue;
        const year = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
        found.push({
          workspace_id: workspaceId,
          workspace_name: await names.workspaceName(workspaceId),
          scenario_id: scenarioId,
          scenario_name: await names.scenarioName(workspaceId, scenarioId),
          run_id: runId,
          start_year: year(metadata.start_year),
          end_year: year(metadata.end_year),
          completed_at: typeof metadata.completed_at === 'string' ? metadata.completed_at : null,
          current: runId === current,
        });
      }
      found.sort((a, b) => Number(b.current) - Number(a.current) || (b.completed_at ?? '').localeCompare(a.completed_at ?? ''));
      missing.push(...found);
    }
  }
  return missing;
}

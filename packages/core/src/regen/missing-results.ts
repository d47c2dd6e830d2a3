import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { MissingResult } from '../models/regen.js';
import { stateDir } from '../state/state-dir.js';
import { NameBook } from '../workspace/names.js';

export const DATABASE_FILE = 'simulation.duckdb';
const FINISHED = new Set(['completed']);

const folders = (dir: string) => {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name);
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

interface RunFacts {
  /** run_metadata.json's mtime and size when these were read */
  stamp: string;
  completed: boolean;
  start_year: number | null;
  end_year: number | null;
  completed_at: string | null;
}

/**
 * What each run's metadata says, remembered by the file's mtime and size: a second machine has
 * thousands of runs without databases, and their metadata rarely changes once written.
 */
class RunFactsCache {
  private facts: Record<string, RunFacts> = {};
  private changed = false;

  constructor(private readonly file: string | null) {
    if (!file) return;
    try {
      this.facts = JSON.parse(readFileSync(file, 'utf8')) as Record<string, RunFacts>;
    } catch {
      this.facts = {};
    }
  }

  read(runDir: string, key: string): RunFacts | null {
    const metadataFile = path.join(runDir, 'run_metadata.json');
    let stamp: string;
    try {
      const stat = statSync(metadataFile);
      stamp = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return null;
    }
    const known = this.facts[key];
    if (known?.stamp === stamp) return known;
    const metadata = readJson(metadataFile);
    const year = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
    const facts: RunFacts = {
      stamp,
      completed: metadata !== null && FINISHED.has(String(metadata.status)),
      start_year: year(metadata?.start_year),
      end_year: year(metadata?.end_year),
      completed_at: typeof metadata?.completed_at === 'string' ? metadata.completed_at : null,
    };
    // a half-written file is read again next time rather than remembered
    if (metadata !== null) {
      this.facts[key] = facts;
      this.changed = true;
    }
    return facts;
  }

  async save(): Promise<void> {
    if (this.file && this.changed) await writeFileAtomic(this.file, JSON.stringify(this.facts)).catch(() => undefined);
  }
}

interface MissingRun {
  workspaceId: string;
  scenarioId: string;
  runId: string;
  facts: RunFacts;
  current: boolean;
}

const cacheFor = (root: string) => {
  const gitdir = path.join(root, '.git');
  return new RunFactsCache(existsSync(gitdir) ? path.join(stateDir(gitdir), 'run-facts.json') : null);
};

/**
 * Runs whose synced metadata says they completed and whose config is here, but whose database
 * is not: typically everything on a second machine. A stat or two per run; metadata is read
 * only for runs without a database, and remembered. Per scenario, the run current_result.json
 * names comes first, then the newest.
 */
function* missingRuns(root: string, cache: RunFactsCache, only: { workspaceId?: string; scenarioId?: string }): Generator<MissingRun> {
  for (const workspaceId of only.workspaceId ? [only.workspaceId] : folders(root)) {
    const scenariosDir = path.join(root, workspaceId, 'scenarios');
    for (const scenarioId of only.scenarioId ? [only.scenarioId] : folders(scenariosDir)) {
      const scenarioDir = path.join(scenariosDir, scenarioId);
      const runIds = folders(path.join(scenarioDir, 'runs'));
      if (runIds.length === 0) continue;
      const found: MissingRun[] = [];
      let current: unknown;
      for (const runId of runIds) {
        const runDir = path.join(scenarioDir, 'runs', runId);
        if (existsSync(path.join(runDir, DATABASE_FILE)) || !existsSync(path.join(runDir, 'config.yaml'))) continue;
        const facts = cache.read(runDir, `${workspaceId}/${scenarioId}/${runId}`);
        if (!facts?.completed) continue;
        current ??= readJson(path.join(scenarioDir, 'current_result.json'))?.run_id ?? null;
        found.push({ workspaceId, scenarioId, runId, facts, current: runId === current });
      }
      found.sort((a, b) => Number(b.current) - Number(a.current) || (b.facts.completed_at ?? '').localeCompare(a.facts.completed_at ?? ''));
      yield* found;
    }
  }
}

/**
 * How many completed runs of each workspace have no results here (no names read: for status);
 * of the workspaces named, or of all.
 */
export async function countMissingResults(root: string, workspaceIds?: string[]): Promise<Map<string, number>> {
  const cache = cacheFor(root);
  const counts = new Map<string, number>();
  for (const only of workspaceIds ? workspaceIds.map((workspaceId) => ({ workspaceId })) : [{}]) {
    for (const run of missingRuns(root, cache, only)) counts.set(run.workspaceId, (counts.get(run.workspaceId) ?? 0) + 1);
  }
  await cache.save();
  return counts;
}

/** The missing runs with the names people know them by. */
export async function findMissingResults(root: string, only: { workspaceId?: string; scenarioId?: string } = {}): Promise<MissingResult[]> {
  const names = new NameBook(root);
  const cache = cacheFor(root);
  const missing: MissingResult[] = [];
  for (const run of missingRuns(root, cache, only)) {
    missing.push({
      workspace_id: run.workspaceId,
      workspace_name: await names.workspaceName(run.workspaceId),
      scenario_id: run.scenarioId,
      scenario_name: await names.scenarioName(run.workspaceId, run.scenarioId),
      run_id: run.runId,
      start_year: run.facts.start_year,
      end_year: run.facts.end_year,
      completed_at: run.facts.completed_at,
      current: run.current,
    });
  }
  await cache.save();
  return missing;
}

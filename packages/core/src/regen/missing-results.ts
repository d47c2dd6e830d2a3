import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { MissingResult } from '../models/regen.js';
import { stateDir } from '../state/state-dir.js';
import type { FileStat, ScannedFile } from '../workspace/file-scan.js';
import { DATABASE_FILE } from '../workspace/paths.js';
import { NameBook } from '../workspace/names.js';

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

  /** `stat`: the metadata file's, when a scan has it already. */
  read(runDir: string, key: string, stat?: FileStat): RunFacts | null {
    const metadataFile = `${runDir}${path.sep}run_metadata.json`;
    let stamp: string;
    try {
      const { mtimeMs, size } = stat ?? statSync(metadataFile);
      stamp = `${mtimeMs}:${size}`;
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
    if (this.file && this.changed) await writeFileAtomic(this.file, JSON.stringify(this.facts), { durable: false }).catch(() => undefined);
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
 * only for runs without a database, and remembered. Listed ('ordered'), each scenario's come
 * in currentFirst's order; counted, in any.
 */
function* missingRuns(
  root: string,
  cache: RunFactsCache,
  only: { workspaceId?: string; scenarioId?: string },
  order: 'ordered' | 'counted',
): Generator<MissingRun> {
  for (const workspaceId of only.workspaceId ? [only.workspaceId] : folders(root)) {
    const scenariosDir = path.join(root, workspaceId, 'scenarios');
    for (const scenarioId of only.scenarioId ? [only.scenarioId] : folders(scenariosDir)) {
      const runIds = folders(path.join(scenariosDir, scenarioId, 'runs'));
      const found = missingOfScenario(root, cache, workspaceId, scenarioId, runIds, {
        hasResults: (runDir) => existsSync(path.join(runDir, DATABASE_FILE)),
        details: (runDir) => ({ hasConfig: existsSync(path.join(runDir, 'config.yaml')) }),
      });
      yield* order === 'ordered' ? currentFirst(path.join(scenariosDir, scenarioId), found) : found;
    }
  }
}

/**
 * One scenario's missing runs, the one current_result.json names first, then the newest. Only
 * for lists: a count needs no order, and reading a file per scenario is most of a status's look
 * at thousands of runs.
 */
function currentFirst(scenarioDir: string, found: MissingRun[]): MissingRun[] {
  if (found.length === 0) return found;
  const current = readJson(path.join(scenarioDir, 'current_result.json'))?.run_id ?? null;
  for (const run of found) run.current = run.runId === current;
  return found.sort((a, b) => Number(b.current) - Number(a.current) || (b.facts.completed_at ?? '').localeCompare(a.facts.completed_at ?? ''));
}

/** A file in a run's folder, as a scan lists it: workspace, scenario, run, file name. */
const RUN_FILE = /^([^/.][^/]*)\/scenarios\/([^/.][^/]*)\/runs\/([^/.][^/]*)\/([^/]+)$/;
const runOf = (file: string) => file.slice(0, file.lastIndexOf('/'));

/**
 * missingRuns from the synced files a scan found (a status has them): runs are the metadata
 * files it listed, their config and stat data come from it, and only the database is looked for.
 * One pass over each list: a path built and looked up per run costs more than the look itself.
 */
function* missingRunsInScan(root: string, cache: RunFactsCache, synced: ReadonlyMap<string, ScannedFile>, noted?: ReadonlySet<string>): Generator<MissingRun> {
  const byScenario = new Map<string, { workspaceId: string; scenarioId: string; runIds: string[] }>();
  const metadataOf = new Map<string, ScannedFile>();
  const configured = new Set<string>();
  for (const [file, stat] of synced) {
    const isMetadata = file.endsWith('/run_metadata.json');
    if (!isMetadata && !file.endsWith('/config.yaml')) continue;
    const match = RUN_FILE.exec(file);
    if (!match) continue;
    const run = runOf(file);
    if (!isMetadata) {
      configured.add(run);
      continue;
    }
    const [, workspaceId, scenarioId, runId] = match;
    metadataOf.set(run, stat);
    const key = `${workspaceId}/${scenarioId}`;
    const scenario = byScenario.get(key) ?? { workspaceId, scenarioId, runIds: [] };
    scenario.runIds.push(runId);
    byScenario.set(key, scenario);
  }
  // the scan's listings of the runs' folders say whether the results are there: no stat per run
  let withResults: Set<string> | null = null;
  if (noted) {
    withResults = new Set();
    for (const file of noted) if (file.endsWith(`/${DATABASE_FILE}`)) withResults.add(runOf(file));
  }
  for (const { workspaceId, scenarioId, runIds } of byScenario.values()) {
    yield* missingOfScenario(root, cache, workspaceId, scenarioId, runIds, {
      hasResults: (runDir, runPath) => (withResults ? withResults.has(runPath) : existsSync(path.join(runDir, DATABASE_FILE))),
      details: (_, runPath) => ({ hasConfig: configured.has(runPath), metadataStat: metadataOf.get(runPath) }),
    });
  }
}

/** One scenario's runs without their results here, in no particular order (see currentFirst). */
function missingOfScenario(
  root: string,
  cache: RunFactsCache,
  workspaceId: string,
  scenarioId: string,
  runIds: string[],
  /** what is known of a run: whether its results are here (asked first: most often they are), then the rest */
  lookUp: {
    hasResults: (runDir: string, runPath: string) => boolean;
    details: (runDir: string, runPath: string) => { hasConfig: boolean; metadataStat?: FileStat };
  },
): MissingRun[] {
  if (runIds.length === 0) return [];
  const scenarioDir = path.join(root, workspaceId, 'scenarios', scenarioId);
  const found: MissingRun[] = [];
  for (const runId of runIds) {
    const runDir = `${scenarioDir}${path.sep}runs${path.sep}${runId}`;
    const runPath = `${workspaceId}/scenarios/${scenarioId}/runs/${runId}`;
    if (lookUp.hasResults(runDir, runPath)) continue;
    const { hasConfig, metadataStat } = lookUp.details(runDir, runPath);
    if (!hasConfig) continue;
    const facts = cache.read(runDir, `${workspaceId}/${scenarioId}/${runId}`, metadataStat);
    if (!facts?.completed) continue;
    found.push({ workspaceId, scenarioId, runId, facts, current: false });
  }
  return found;
}

/**
 * How many completed runs of each workspace have no results here (no names read: for status):
 * of every workspace, or of the workspaces named; from the synced files a scan of the whole
 * root found (a status has them), runs are found without listing folders again, and their
 * results by what the scan noted in their folders.
 */
export async function countMissingResults(
  root: string,
  from: { workspaceIds: string[] } | { synced: ReadonlyMap<string, ScannedFile>; noted?: ReadonlySet<string> } | Record<string, never> = {},
): Promise<Map<string, number>> {
  const cache = cacheFor(root);
  const counts = new Map<string, number>();
  const runs =
    'synced' in from
      ? [missingRunsInScan(root, cache, from.synced, from.noted)]
      : ('workspaceIds' in from ? from.workspaceIds.map((workspaceId) => ({ workspaceId })) : [{}]).map((only) => missingRuns(root, cache, only, 'counted'));
  for (const found of runs) {
    for (const run of found) counts.set(run.workspaceId, (counts.get(run.workspaceId) ?? 0) + 1);
  }
  await cache.save();
  return counts;
}

/** The missing runs with the names people know them by. */
export async function findMissingResults(root: string, only: { workspaceId?: string; scenarioId?: string } = {}): Promise<MissingResult[]> {
  const names = new NameBook(root);
  const cache = cacheFor(root);
  const missing: MissingResult[] = [];
  for (const run of missingRuns(root, cache, only, 'ordered')) {
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

import type { SkippedFile } from '../models/results.js';
import type { ConflictStrategy, SyncConfig } from '../models/sync-config.js';
import type { ScanResult } from './file-scan.js';
import { placeOf } from './paths.js';

/**
 * A path held back from the next commit: reported with a reason, or silently (an excluded
 * workspace). `holdsNothing` when it is known to hold no path at all, so callers can skip work.
 */
export type Hold = ((relativePath: string) => SkippedFile | 'silent' | null) & { holdsNothing?: boolean };

/** The shared settings, and the workspaces this computer alone keeps out (see config/local-selection.ts). */
export interface Selection {
  settings: SyncConfig;
  excludedHere: ReadonlySet<string>;
}

/** Where a workspace is kept out of sync: on this computer only, on every computer (a shared setting), or nowhere. */
export type Exclusion = 'this_computer' | 'every_computer' | null;

export function exclusionOf(selection: Selection, workspaceId: string | null): Exclusion {
  if (!workspaceId) return null;
  if (selection.settings.workspaces[workspaceId]?.enabled === false) return 'every_computer';
  return selection.excludedHere.has(workspaceId) ? 'this_computer' : null;
}

/** Whether a workspace is synced from this computer at all. */
export function workspaceEnabled(selection: Selection, workspaceId: string | null): boolean {
  return exclusionOf(selection, workspaceId) === null;
}

/** The conflict strategy for a path: an explicit choice, else its workspace's, else the root's. */
export function strategyFor(settings: SyncConfig, explicit?: ConflictStrategy): (relativePath: string) => ConflictStrategy {
  if (explicit) return () => explicit;
  return (relativePath) => {
    const workspaceId = placeOf(relativePath).workspaceId;
    return (workspaceId && settings.workspaces[workspaceId]?.conflict_strategy) || settings.conflict_strategy;
  };
}

/**
 * Which workspaces an automatic sync carries: each one's own `auto_sync` when set, else
 * `everyWorkspace` (true for `sync watch`, which was asked for explicitly; the root's
 * `auto_sync` for the server's watcher).
 */
export interface AutomaticSync {
  everyWorkspace: boolean;
}

export function autoSyncs(settings: SyncConfig, workspaceId: string | null, automatic: AutomaticSync): boolean {
  return !workspaceId || (settings.workspaces[workspaceId]?.auto_sync ?? automatic.everyWorkspace);
}

/**
 * Runs beyond the newest `max_runs_per_scenario` of their scenario (newest by when their
 * metadata was written): they stay on this machine. Runs already on the remote stay there.
 */
function olderRuns(settings: SyncConfig, scan: ScanResult): Set<string> {
  const limit = settings.max_runs_per_scenario;
  const held = new Set<string>();
  if (limit === null) return held;
  const runsByScenario = new Map<string, { folder: string; writtenAt: number }[]>();
  for (const [relative, file] of scan.files) {
    const place = placeOf(relative);
    if (place.file !== 'run') continue;
    const scenario = `${place.workspaceId}/scenarios/${place.scenarioId}`;
    const runs = runsByScenario.get(scenario) ?? [];
    runs.push({ folder: `${scenario}/runs/${place.runId}`, writtenAt: file.mtimeMs });
    runsByScenario.set(scenario, runs);
  }
  for (const runs of runsByScenario.values()) {
    runs.sort((a, b) => (a.writtenAt < b.writtenAt ? 1 : a.writtenAt > b.writtenAt ? -1 : a.folder < b.folder ? 1 : -1));
    for (const run of runs.slice(limit)) held.add(run.folder);
  }
  return held;
}

/**
 * What the settings keep out of a commit: excluded workspaces, runs beyond the per-scenario
 * limit, files that appear in an archived workspace's folder (they would bring half of it
 * back) and, for an automatic sync, workspaces whose `auto_sync` is off.
 */
export function selectionHold(selection: Selection, scan: ScanResult, options: { automatic?: AutomaticSync } = {}): Hold {
  const { settings } = selection;
  const older = olderRuns(settings, scan);
  const perWorkspace = Object.values(settings.workspaces);
  const archived = settings.archived ?? {};
  const holdsNothing =
    older.size === 0 &&
    Object.keys(archived).length === 0 &&
    selection.excludedHere.size === 0 &&
    perWorkspace.every((w) => w?.enabled !== false) &&
    (!options.automatic || (options.automatic.everyWorkspace && perWorkspace.every((w) => w?.auto_sync !== false)));
  const hold: Hold = (relativePath) => {
    const place = placeOf(relativePath);
    if (!workspaceEnabled(selection, place.workspaceId)) return 'silent';
    if (place.workspaceId && Object.hasOwn(archived, place.workspaceId)) {
      return { path: relativePath, reason: `"${archived[place.workspaceId].name}" is archived: bring it back to sync its files again` };
    }
    if (options.automatic && !autoSyncs(settings, place.workspaceId, options.automatic)) return 'silent';
    if (place.runId && older.has(`${place.workspaceId}/scenarios/${place.scenarioId}/runs/${place.runId}`)) return 'silent';
    return null;
  };
  hold.holdsNothing = holdsNothing;
  return hold;
}

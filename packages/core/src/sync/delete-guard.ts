import { SyncDeleteGuardError } from '../errors.js';
import { diffTrees, fileAtPath, listTreeFiles } from '../git/tree-diff.js';
import type { GitRepository } from '../git/repository.js';
import type { DeletionRisk } from '../models/results.js';
import { placeOf } from '../workspace/paths.js';
import type { Hold } from '../workspace/selection.js';
import { deletionMessage } from './messages.js';

/**
 * What a change from `before` (what the remote holds) to `after` (what would leave this
 * machine) deletes, when it deletes too much to be sent without a person saying so: a whole
 * workspace, or more than `maxPercent` of the files. Paths the settings hold back are not
 * deletions: they stay on the remote as they are. Null when the change may go.
 */
export async function riskyDeletions(
  repo: GitRepository,
  before: string | null,
  after: string | null,
  maxPercent: number,
  held?: Hold,
): Promise<DeletionRisk | null> {
  if (!before || before === after) return null;
  const deleted = (await diffTrees(repo, before, after)).filter((change) => change.after === null && !(held && held(change.path) !== null));
  if (deleted.length === 0) return null;
  const beforeFiles = await listTreeFiles(repo, before);
  const syncedFiles = beforeFiles.size;
  const workspaces = [];
  const scenarioFiles = [];
  for (const change of deleted) {
    const place = placeOf(change.path);
    if (place.file === 'workspace' && place.workspaceId) workspaces.push({ id: place.workspaceId, name: await nameIn(repo, before, change.path) });
    if (place.file === 'scenario' && place.workspaceId) scenarioFiles.push({ workspaceId: place.workspaceId, file: change.path });
  }
  // A workspace that loses every scenario is removed all but in name (its workspace.json may have
  // come back, changed on another computer): held as a whole workspace is.
  const removedWhole = new Set(workspaces.map((w) => w.id));
  const scenariosIn = (files: Iterable<string>) => {
    const counts = new Map<string, number>();
    for (const file of files) {
      const place = placeOf(file);
      if (place.file === 'scenario' && place.workspaceId) counts.set(place.workspaceId, (counts.get(place.workspaceId) ?? 0) + 1);
    }
    return counts;
  };
  const had = scenariosIn(beforeFiles.keys());
  for (const [workspaceId, gone] of scenariosIn(scenarioFiles.map((s) => s.file))) {
    if (removedWhole.has(workspaceId)) continue;
    if (gone === had.get(workspaceId)) {
      workspaces.push({ id: workspaceId, name: await nameIn(repo, before, `${workspaceId}/workspace.json`) });
      removedWhole.add(workspaceId);
    }
  }
  const percent = Math.round((deleted.length / syncedFiles) * 1000) / 10;
  if (workspaces.length === 0 && percent <= maxPercent) return null;
  const scenarios = [];
  // each workspace's name read once, however many of its scenarios go
  const workspaceNames = new Map<string, Promise<string>>();
  const workspaceName = (workspaceId: string) => {
    if (!workspaceNames.has(workspaceId)) workspaceNames.set(workspaceId, nameIn(repo, before, `${workspaceId}/workspace.json`));
    return workspaceNames.get(workspaceId)!;
  };
  for (const { workspaceId, file } of scenarioFiles.filter((s) => !removedWhole.has(s.workspaceId))) {
    scenarios.push({ workspace: await workspaceName(workspaceId), name: await nameIn(repo, before, file) });
  }
  return { workspaces, scenarios, deleted_files: deleted.length, synced_files: syncedFiles, percent, max_delete_percent: maxPercent };
}

/** Stops a push that deletes too much (see riskyDeletions), before anything leaves the machine. */
export async function guardDeletions(repo: GitRepository, before: string | null, after: string | null, maxPercent: number, held?: Hold): Promise<void> {
  const risk = await riskyDeletions(repo, before, after, maxPercent, held);
  if (risk) throw new SyncDeleteGuardError(deletionMessage(risk), risk);
}

/** The `name` of a workspace.json or scenario.json as `tree` has it; its folder's name when it has none. */
async function nameIn(repo: GitRepository, tree: string, file: string): Promise<string> {
  const content = await fileAtPath(repo, tree, file);
  try {
    const parsed = JSON.parse(Buffer.from(content ?? []).toString('utf8')) as { name?: unknown };
    if (typeof parsed.name === 'string' && parsed.name.trim()) return parsed.name;
  } catch {
    // unreadable: its folder's name says which it is
  }
  const parts = file.split('/');
  return parts[parts.length - 2];
}

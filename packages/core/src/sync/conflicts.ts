import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { listBackups, readBackup, saveBackup } from '../conflict/backups.js';
import { decide, readOpenConflicts, type Decision, type OpenConflict } from '../conflict/open-conflicts.js';
import { conflictingKeys, keyName } from '../conflict/structural-merge.js';
import { SyncConfigError } from '../errors.js';
import { blobAtPath, diffTrees, treeAtPath } from '../git/tree-diff.js';
import { plural } from '../util/plural.js';
import { writeEntry } from './worktree-update.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { RootWriter } from '../fs/safe-path.js';
import type { ConflictDetail, ConflictList, RestoreResult } from '../models/conflicts.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import type { SyncContext } from './sync-context.js';

/** Open conflicts (waiting for a decision) and past ones (versions kept in backups). */
export async function listConflicts(context: SyncContext): Promise<ConflictList> {
  const open = await readOpenConflicts(context.repo.gitdir);
  const names = new NameBook(context.root);
  return {
    open: await Promise.all(
      (open?.files ?? []).map(async (file) => {
        const place = await namesOf(names, file.path);
        return {
          path: file.path,
          workspace: place.workspace_name,
          scenario: place.scenario_name,
          decision: file.decision,
          ...(file.choices ? { choices: file.choices } : {}),
        };
      }),
    ),
    // Every version kept on this computer, whatever kept it (a lost conflict, a restore, a pull
    // that replaced an unsynced edit): each can be put back, and `reason` says why it was kept.
    past: await Promise.all(
      (await listBackups(context.root)).map(async (backup) => {
        const workspaceGone = goneWorkspaceOf(context, backup.path) !== null;
        // a removed workspace is named from the commit the backup came from
        const book = workspaceGone && backup.commit ? namesAt(context, [backup.commit]) : names;
        return {
          ...backup,
          ...(await namesOf(book, backup.path)),
          file_there_now: existsSync(path.join(context.root, backup.path)),
          workspace_gone: workspaceGone,
        };
      }),
    ),
  };
}

/** Names read from the working tree, else from the first of `commits` that has the file (for things no longer here). */
export function namesAt(context: SyncContext, commits: string[]): NameBook {
  const { repo } = context;
  return new NameBook(context.root, async (file) => {
    for (const commit of commits) {
      const oid = await blobAtPath(repo, (await repo.readCommit(commit)).tree, file);
      if (oid) return repo.readBlob(oid);
    }
    return null;
  });
}

/** The workspace a path belongs to, when that workspace is no longer on this computer; else null. */
function goneWorkspaceOf(context: SyncContext, filePath: string): string | null {
  const workspace = placeOf(filePath).workspaceId;
  return workspace !== null && !existsSync(path.join(context.root, workspace, 'workspace.json')) ? workspace : null;
}

/** The names of the workspace and scenario a path belongs to (null where it belongs to none). */
export async function namesOf(names: NameBook, filePath: string): Promise<{ workspace_name: string | null; scenario_name: string | null }> {
  const place = placeOf(filePath);
  return {
    workspace_name: place.workspaceId ? await names.workspaceName(place.workspaceId) : null,
    scenario_name: place.workspaceId && place.scenarioId ? await names.scenarioName(place.workspaceId, place.scenarioId) : null,
  };
}

/** An open conflict's three versions as text, and the keys the two sides changed differently (none for a file compared whole). */
async function readOpenConflict(context: SyncContext, open: OpenConflict) {
  const text = async (oid: string | null) => (oid ? Buffer.from(await context.repo.readBlob(oid)).toString('utf8') : null);
  const [base, local, remote] = await Promise.all([text(open.base), text(open.ours), text(open.theirs)]);
  const conflicts = local !== null && remote !== null ? (conflictingKeys(open.path, base, local, remote) ?? []) : [];
  return { base, local, remote, conflicts };
}

/** Both versions of a file in conflict (or, for a settled one, the current file and its backups). */
export async function showConflict(context: SyncContext, filePath: string): Promise<ConflictDetail> {
  const { repo } = context;
  const backups = (await listBackups(context.root)).filter((b) => b.path === filePath);
  const open = (await readOpenConflicts(repo.gitdir))?.files.find((f) => f.path === filePath);
  if (open) {
    const { base, local, remote, conflicts } = await readOpenConflict(context, open);
    const differences = conflicts.map((c) => ({ key: keyName(c.path), path: c.path, base: c.base, local: c.ours, remote: c.theirs }));
    return {
      path: filePath,
      open: true,
      local,
      remote,
      base,
      conflicting_keys: differences.map((d) => d.key),
      differences,
      ...(await namesOf(new NameBook(context.root), filePath)),
      backups,
    };
  }
  if (backups.length === 0) {
    throw new SyncConfigError(`No conflict recorded for ${filePath}.`, { next: { action: 'list_conflicts' } });
  }
  const current = await fsp.readFile(path.join(context.root, filePath), 'utf8').catch(() => null);
  const latest = await readBackup(context.root, backups[0].id);
  return {
    path: filePath,
    open: false,
    local: current,
    remote: latest?.content.toString('utf8') ?? null,
    base: null,
    conflicting_keys: [],
    differences: [],
    ...(await namesOf(new NameBook(context.root), filePath)),
    backups,
  };
}

/**
 * Records the user's choice for an open conflict; true when it was one. `choices` picks a side
 * setting by setting in a JSON or YAML file (`decision` settles the others); a setting that is
 * not one of the file's conflicting ones is refused, naming those that are.
 */
export async function recordDecision(context: SyncContext, filePath: string, decision: Decision, choices: Record<string, Decision> = {}): Promise<boolean> {
  const named = Object.keys(choices);
  if (named.length > 0) {
    const open = (await readOpenConflicts(context.repo.gitdir))?.files.find((f) => f.path === filePath);
    if (!open) return false;
    const known = (await readOpenConflict(context, open)).conflicts.map((c) => keyName(c.path));
    const unknown = named.filter((key) => !known.includes(key));
    if (unknown.length > 0) {
      throw new SyncConfigError(
        known.length === 0
          ? `${filePath} can only be settled as a whole: choose local or remote for the file, without settings.`
          : `${unknown.map((key) => `"${key}"`).join(', ')} ${unknown.length === 1 ? 'is not a setting' : 'are not settings'} in conflict in ${filePath}; those in conflict are ${known.join(', ')}.`,
        { field: 'settings', next: { action: 'list_conflicts' } },
      );
    }
  }
  return (await decide(context.repo.gitdir, filePath, decision, choices)) !== null;
}

/**
 * Puts a kept version back in place; the next push carries it. The version it replaces is
 * backed up first when it differs, so a restore never loses anything either.
 */
export async function restoreBackup(context: SyncContext, backupId: string): Promise<RestoreResult> {
  const backup = await readBackup(context.root, backupId);
  if (!backup) {
    throw new SyncConfigError(`There is no backup "${backupId}".`, { next: { action: 'list_conflicts' } });
  }
  const workspace = goneWorkspaceOf(context, backup.record.path);
  const writer = new RootWriter(context.root);
  // A version kept from a workspace since removed comes back with the rest of its workspace,
  // as this computer last had it, never as a stray file in an otherwise empty folder.
  const broughtBack =
    workspace !== null && backup.record.commit ? await bringBackWorkspace(context, writer, workspace, backup.record.commit, backup.record.path) : 0;
  const target = writer.prepare(backup.record.path);
  const current = await fsp.readFile(target).catch(() => null);
  let previous: string | null = null;
  if (current && !current.equals(backup.content)) {
    previous = (
      await saveBackup(context.root, backup.record.path, current, { side: 'working-copy', reason: 'replaced by a restore', strategy: null, commit: null })
    ).id;
  }
  await writeFileAtomic(target, backup.content, { durable: false });
  return {
    backup: backupId,
    path: backup.record.path,
    previous_backup: previous,
    workspace_restored: broughtBack > 0 ? await new NameBook(context.root).workspaceName(workspace!) : null,
    message: `Restored ${backup.record.path} from backup ${backupId}${broughtBack > 0 ? `, with the ${plural(broughtBack, 'other file')} of its workspace as this computer last had them` : ''}.${previous ? ` The version it replaced is in backup ${previous}.` : ''} Push to share it.`,
  };
}

/** Writes a workspace's files from a commit but `except`, leaving any file already there alone; returns how many were written. */
async function bringBackWorkspace(context: SyncContext, writer: RootWriter, workspace: string, commit: string, except: string): Promise<number> {
  const { repo } = context;
  const folder = await repo
    .readCommit(commit)
    .then((c) => treeAtPath(repo, c.tree, workspace))
    .catch(() => null);
  if (!folder) return 0;
  let written = 0;
  for (const file of await diffTrees(repo, null, folder, workspace)) {
    if (!file.after || file.path === except || file.afterMode === '160000' || existsSync(path.join(context.root, file.path))) continue;
    await writeEntry(repo, writer.prepare(file.path), file.after, Number.parseInt(file.afterMode ?? '100644', 8), false);
    written += 1;
  }
  return written;
}

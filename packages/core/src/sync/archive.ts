import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseSettings, SETTINGS_FILE, withArchivedWorkspace } from '../config/settings-file.js';
import { SyncBusyError, SyncConfigError, SyncError, SyncNetworkError, SyncNotFoundError } from '../errors.js';
import { FILE_MODE, writeLooseObject } from '../git/objects.js';
import type { GitRepository } from '../git/repository.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, fileAtPath, treeAtPath, type PathChange } from '../git/tree-diff.js';
import type { ArchiveList, ArchiveResult, ArchivedWorkspace } from '../models/archive.js';
import { WorkspaceFile } from '../models/planalign.js';
import type { ResolvedConflict } from '../models/results.js';
import type { ArchivedWorkspaceSettings } from '../models/sync-config.js';
import { readWorkspaceLines } from '../state/branch-state.js';
import { withRootLock } from '../state/lock.js';
import { plural } from '../util/plural.js';
import { findWorkspace } from '../workspace/names.js';
import { countTree } from '../workspace/paths.js';
import type { Hold } from '../workspace/selection.js';
import { commitIdentity } from './identity.js';
import { checkOut, integrateRemote } from './integrate.js';
import { appendJournal, writeLocalState } from './journal.js';
import { commitLocalChanges } from './local-commit.js';
import { withholdFromPush } from './outgoing.js';
import type { ProgressReporter } from './progress.js';
import { PUSH_ATTEMPTS, pushRetryDelay } from './push-race.js';
import { journalConflicts, journalPull, maintainStorage, recover } from './shared-steps.js';
import { loadSyncContext, requireRemote, type SyncContext } from './sync-context.js';
import { appendAll } from '../util/arrays.js';

// Archiving takes a workspace out of the shared copy (the root's branch) while its history stays
// on the remote under a ref of its own, outside refs/heads and refs/tags so that native clones
// and fetches leave it alone; bringing it back restores its files from that ref's commit. The
// settings record each archive (`sync.archived`), so every computer that pulls the removal
// knows it for an archive, not an accident. A computer that changed the workspace meanwhile keeps
// those changes in backups when the removal reaches it (removed-workspaces.ts), and files that
// appear in an archived workspace's folder later are held back (workspace/selection.ts).

export const ARCHIVE_REFS = 'refs/planalign/archive';
export const archiveRef = (workspaceId: string) => `${ARCHIVE_REFS}/${workspaceId}`;
/** This computer's own: the commit on its way to the remote's branch, until the remote has it. */
const OUTGOING_REF = 'refs/planalign/outgoing';

/** Takes a workspace (its name or id) out of the shared copy and out of this computer's folder; its history stays on the remote. */
export async function archiveWorkspace(root: string, workspace: string, progress: ProgressReporter): Promise<ArchiveResult> {
  const context = await loadSyncContext(root);
  const url = requireRemote(context);
  const { repo } = context;
  return withRootLock(repo.gitdir, 'archive', async () => {
    await recover(context);
    const found = await findWorkspace(root, workspace);
    await assertArchivable(context, found);
    progress.step('commit', 'Committing local changes');
    const local = await commitLocalChanges(context);
    const archivedAt = new Date().toISOString();
    let holder = '';
    const outcome = await publish(context, url, progress, local.withheld, async ({ head, headTree, remoteHead }) => {
      if (!(await treeAtPath(repo, headTree, found.id))) {
        throw new SyncConfigError(`"${found.name}" is not in the shared copy yet, so there is nothing to archive: sync it first.`, {
          next: { action: 'push' },
        });
      }
      // The history first: once the branch leaves the workspace behind, the ref is what keeps it in view.
      progress.step('push', 'Keeping its history on the remote');
      const ref = archiveRef(found.id);
      await repo.writeRef(ref, head);
      if (!(await repo.push({ url, branch: context.branch, remoteRef: ref, localRef: ref, trackingRef: ref, basis: remoteHead }))) {
        throw new SyncError(
          `The remote already keeps an archive of "${found.name}" (${ref}) whose history this computer does not have. Nothing was archived. ` +
            `Sync, then archive it again.`,
          { next: { action: 'sync_again' } },
        );
      }
      holder = head;
      const settings = withArchivedWorkspace(await settingsText(context, headTree), found.id, { name: found.name, archived_at: archivedAt, commit: head });
      const tree = await composeRootTree(repo, headTree, null, (name) => name === found.id, [await settingsItem(context, settings)]);
      const commit = await repo.writeCommit({
        tree,
        parents: [head],
        message: `Archive "${found.name}"\n\nIts history stays on the remote under ${ref}.\n`,
        author: await commitIdentity(repo),
      });
      return { commit, tree };
    });
    const files = outcome.applied.filter((change) => change.after === null && change.path.startsWith(`${found.id}/`)).length;
    const left = await countFiles(path.join(root, found.id));
    await finish(context, outcome, archivedAt, `Archived "${found.name}"; its history stays on the remote`, found.name);
    return {
      id: found.id,
      name: found.name,
      archived: true,
      commit: outcome.commit,
      archived_commit: holder,
      ref: archiveRef(found.id),
      files,
      left_in_folder: left,
      message:
        `Archived "${found.name}": it left the shared copy and this computer's folder, and the other computers remove it when they next sync. ` +
        `Its history stays on the remote under ${archiveRef(found.id)}.` +
        (left > 0 ? ` ${plural(left, 'file')} that never sync (databases, uploads, logs) stay in its folder here.` : ''),
    };
  });
}

/** Brings an archived workspace (its name or id) back into the shared copy and this computer's folder. */
export async function unarchiveWorkspace(root: string, workspace: string, progress: ProgressReporter): Promise<ArchiveResult> {
  const context = await loadSyncContext(root);
  const url = requireRemote(context);
  const { repo } = context;
  return withRootLock(repo.gitdir, 'archive', async () => {
    await recover(context);
    progress.step('fetch', 'Reading the archive');
    const list = await listArchived(context, { locked: true });
    if (list.remote_reachable === false) {
      throw new SyncNetworkError(`The remote cannot be reached, so "${workspace}" cannot be brought back now. Nothing was changed.`, {
        next: { action: 'sync_again' },
      });
    }
    const entry = pickArchived(list.archived, workspace);
    if (!(await repo.hasCommit(entry.commit))) {
      progress.step('fetch', 'Downloading the archived workspace');
      const fetched = await repo.fetch({ url, branch: context.branch, remoteRef: entry.ref, trackingRef: entry.ref, onProgress: progress.transfer('fetch') });
      if (fetched !== entry.commit) {
        throw new SyncError(`The remote no longer holds the archived "${entry.name}" as it was listed (${entry.ref}). Nothing was changed.`, {
          next: { action: 'list_archived' },
        });
      }
    } else {
      await repo.writeRef(entry.ref, entry.commit);
    }
    const archived = await repo.readCommit(entry.commit);
    const folder = await treeAtPath(repo, archived.tree, entry.id);
    if (!folder) throw new SyncError(`The archived commit ${entry.commit} does not hold "${entry.name}" (${entry.id}). Nothing was changed.`);
    const counts = countTree((await diffTrees(repo, null, folder, entry.id)).map((change) => change.path));
    progress.step('commit', 'Committing local changes');
    const local = await commitLocalChanges(context);
    const outcome = await publish(context, url, progress, local.withheld, async ({ head, headTree }) => {
      if (await treeAtPath(repo, headTree, entry.id)) {
        throw new SyncConfigError(`"${entry.name}" is in the shared copy already (another computer may have brought it back). Nothing was changed.`);
      }
      const text = await settingsText(context, headTree);
      const set = (await archivedIn(repo, headTree))[entry.id] ? [await settingsItem(context, withArchivedWorkspace(text, entry.id, null))] : [];
      const tree = await composeRootTree(repo, headTree, archived.tree, (name) => name === entry.id, set);
      const commit = await repo.writeCommit({
        tree,
        parents: [head],
        message: `Bring back "${entry.name}" from the archive\n\nRestored from ${entry.commit} (${entry.ref}).\n`,
        author: await commitIdentity(repo),
      });
      return { commit, tree };
    });
    // Back in the branch's tip, the workspace needs its ref no more (its history is the branch's).
    // Left behind if the remote refuses: listing ignores a ref whose workspace is in the shared copy.
    await repo.deleteRemoteBranch({ url, branch: context.branch, remoteRef: entry.ref }, entry.commit).catch(() => false);
    await repo.deleteRef(entry.ref);
    const files = outcome.applied.filter((change) => change.after !== null && change.path.startsWith(`${entry.id}/`)).length;
    await finish(context, outcome, new Date().toISOString(), `Brought back "${entry.name}" from the archive`, entry.name);
    return {
      id: entry.id,
      name: entry.name,
      archived: false,
      commit: outcome.commit,
      archived_commit: entry.commit,
      ref: entry.ref,
      files,
      left_in_folder: 0,
      message: `Brought back "${entry.name}" (${plural(counts.scenarios, 'scenario')}, ${plural(counts.runs, 'run')}): it is in the shared copy and this computer's folder again, and the other computers get it when they next sync.`,
    };
  });
}

/**
 * The archived workspaces: the remote's archive refs, and those the shared settings record
 * (a ref that was lost still leaves the commit in the branch's history), less any that are in
 * the shared copy again. Offline, or when the remote cannot be reached, from what this
 * computer saw last.
 */
export async function listArchived(context: SyncContext, options: { offline?: boolean; locked?: boolean } = {}): Promise<ArchiveList> {
  const { repo } = context;
  let refs: Map<string, string> | null = null;
  let remoteHead: string | null = null;
  let reachable: boolean | null = null;
  if (!options.offline && context.settings.remote) {
    try {
      const all = await repo.listRemoteRefs(context.settings.remote, 'refs');
      refs = new Map([...all].filter(([ref]) => ref.startsWith(`${ARCHIVE_REFS}/`)));
      remoteHead = all.get(context.branchRef) ?? null;
      reachable = true;
    } catch (error) {
      if (!(error instanceof SyncNetworkError)) throw error;
      reachable = false;
    }
  }
  if (refs && reachable) {
    // Names and counts come from the commits: bring the remote's branch and archives here when
    // they are not (as status does, under the root's lock, or not at all while a sync runs).
    const url = context.settings.remote!;
    const remoteRefs = refs;
    const bringHere = async () => {
      if (remoteHead && !(await repo.hasCommit(remoteHead))) await repo.fetch({ url, branch: context.branch });
      for (const [ref, oid] of remoteRefs)
        if (!(await repo.hasCommit(oid))) await repo.fetch({ url, branch: context.branch, remoteRef: ref, trackingRef: ref });
    };
    await (options.locked ? bringHere() : withRootLock(repo.gitdir, 'status', bringHere, 2_000)).catch((error: unknown) => {
      if (!(error instanceof SyncBusyError || error instanceof SyncNetworkError)) throw error;
    });
  }
  refs ??= await repo.listRefs(ARCHIVE_REFS);
  // The shared copy as this computer last saw it, which may be behind the remote's refs.
  const current = !!remoteHead && (await repo.hasCommit(remoteHead));
  const tip = current ? remoteHead : ((await repo.resolveRef(context.trackingRef)) ?? (await repo.resolveRef(context.branchRef)));
  const tree = tip ? (await repo.readCommit(tip)).tree : null;
  const recorded = await archivedIn(repo, tree);
  const ids = new Set([...[...refs.keys()].map((ref) => ref.slice(ARCHIVE_REFS.length + 1)), ...Object.keys(recorded)]);
  const archived: ArchivedWorkspace[] = [];
  for (const id of ids) {
    // In the shared copy again (a ref an interrupted bring-back left behind); a view older than
    // the remote's refs trusts them.
    const fromRemote = reachable === true && refs.has(archiveRef(id));
    if ((current || !fromRemote) && (await treeAtPath(repo, tree, id))) continue;
    const commit = refs.get(archiveRef(id)) ?? recorded[id].commit;
    const folder = (await repo.hasCommit(commit)) ? await treeAtPath(repo, (await repo.readCommit(commit)).tree, id) : null;
    const counts = folder ? countTree((await diffTrees(repo, null, folder, id)).map((change) => change.path)) : null;
    archived.push({
      id,
      name: recorded[id]?.name ?? (folder ? await nameInTree(context, folder) : null) ?? id,
      archived_at: recorded[id]?.archived_at ?? null,
      commit,
      ref: archiveRef(id),
      scenarios: counts?.scenarios ?? null,
      runs: counts?.runs ?? null,
    });
  }
  archived.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const count = archived.length === 0 ? 'No archived workspaces.' : `${plural(archived.length, 'archived workspace')}.`;
  return { archived, remote_reachable: reachable, message: reachable === false ? `${count} The remote cannot be reached: as of the last sync.` : count };
}

/** The archived workspace a person means: its id, or its name when one archived workspace has it. */
function pickArchived(archived: ArchivedWorkspace[], idOrName: string): ArchivedWorkspace {
  const byId = archived.find((entry) => entry.id === idOrName);
  if (byId) return byId;
  const byName = archived.filter((entry) => entry.name === idOrName);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new SyncConfigError(`Several archived workspaces are named "${idOrName}": use the id of the one you mean: ${byName.map((e) => e.id).join(', ')}.`, {
      next: { action: 'list_archived' },
    });
  }
  const known = archived.map((entry) => `"${entry.name}" (${entry.id})`).join(', ') || 'none';
  throw new SyncNotFoundError(`No archived workspace "${idOrName}". Archived: ${known}.`, { next: { action: 'list_archived' } });
}

/** A workspace whose folder shows one of its branches, or that a team remote carries, stays as it is. */
async function assertArchivable(context: SyncContext, found: { id: string; name: string }): Promise<void> {
  const shown = (await readWorkspaceLines(context.repo.gitdir))[found.id];
  if (shown) {
    throw new SyncConfigError(`The folder of "${found.name}" shows its branch "${shown}": switch it to the main line first. Nothing was archived.`, {
      next: { action: 'switch_branch', workspace: found.name, branch: context.branch },
    });
  }
  const team = Object.entries(context.settings.remotes).find(([, remote]) => remote.workspaces.includes(found.id));
  if (team) {
    throw new SyncConfigError(`"${found.name}" is shared through the team remote "${team[0]}", which archiving would leave behind. Nothing was archived.`, {
      next: { action: 'list_remotes' },
    });
  }
}

interface Outgoing {
  commit: string;
  tree: string;
}

interface Published {
  commit: string;
  /** files of this computer's folder that changed */
  applied: PathChange[];
  /** what the remote's branch brought on the way */
  pulled: PathChange[];
  resolved: ResolvedConflict[];
}

/**
 * Puts one commit on the remote's branch before this computer's folder changes. Each attempt
 * brings the branch level with the remote first (as a push does: local work committed, the
 * remote's changes merged, what the settings keep here withheld), makes the commit on top,
 * and uploads it only if the remote has not moved since; then the folder, the branch and the
 * index follow as one resumable step. A process stopped in between leaves the folder as it
 * was, and the next pull brings the commit like any other.
 */
async function publish(
  context: SyncContext,
  url: string,
  progress: ProgressReporter,
  withheld: Hold,
  make: (state: { head: string; headTree: string; remoteHead: string | null }) => Promise<Outgoing>,
): Promise<Published> {
  const { repo } = context;
  const pulled: PathChange[] = [];
  const resolved: ResolvedConflict[] = [];
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt += 1) {
    if (attempt > 1) await pushRetryDelay(attempt);
    progress.step('fetch', 'Checking the remote for changes');
    const remoteHead = await repo.fetch({ url, branch: context.branch, onProgress: progress.transfer('fetch') });
    if (remoteHead) {
      const integration = await integrateRemote(context, remoteHead);
      appendAll(pulled, integration.applied);
      appendAll(resolved, integration.resolved);
    }
    await withholdFromPush(context, remoteHead, withheld);
    const head = await repo.resolveRef(context.branchRef);
    if (!head) throw new SyncConfigError('Nothing has been synced from this root yet: sync it first.', { next: { action: 'push' } });
    const headTree = (await repo.readCommit(head)).tree;
    const outgoing = await make({ head, headTree, remoteHead });
    await repo.writeRef(OUTGOING_REF, outgoing.commit);
    progress.step('push', 'Uploading');
    if (await repo.push({ url, branch: context.branch, localRef: OUTGOING_REF, basis: remoteHead, onProgress: progress.transfer('push') })) {
      progress.step('checkout', "Updating this computer's folder");
      const { applied } = await checkOut(repo, context.branchRef, headTree, outgoing.tree, outgoing.commit);
      await repo.deleteRef(OUTGOING_REF);
      return { commit: outgoing.commit, applied, pulled, resolved };
    }
  }
  throw new SyncNetworkError(`The remote kept changing (${PUSH_ATTEMPTS} attempts). Nothing was changed in the shared copy; your work is committed here.`, {
    next: { action: 'sync_again' },
  });
}

/** The journal entries and the time of this sync, as a push records them. */
async function finish(context: SyncContext, outcome: Published, now: string, message: string, name: string): Promise<void> {
  await writeLocalState(context.repo.gitdir, { last_sync: now });
  await maintainStorage(context);
  await journalPull(context, outcome.pulled, false, now, outcome.commit);
  await journalConflicts(context, outcome.resolved);
  await appendJournal(context.repo.gitdir, {
    timestamp: now,
    operation: 'push',
    workspaces_affected: [name],
    scenarios_affected: [],
    message,
    commit: outcome.commit,
  });
}

/** The workspaces a tree's settings record as archived (`sync.archived`), by id; none when they cannot be read. */
async function archivedIn(repo: GitRepository, tree: string | null): Promise<Record<string, ArchivedWorkspaceSettings>> {
  const content = await fileAtPath(repo, tree, SETTINGS_FILE);
  if (!content) return {};
  try {
    return parseSettings(Buffer.from(content).toString('utf8')).sync.archived ?? {};
  } catch {
    return {};
  }
}

async function settingsText(context: SyncContext, tree: string): Promise<string> {
  const content = await fileAtPath(context.repo, tree, SETTINGS_FILE);
  if (!content) throw new SyncConfigError(`The shared copy has no ${SETTINGS_FILE}: set up sync again first.`, { next: { action: 'set_up_sync' } });
  return Buffer.from(content).toString('utf8');
}

async function settingsItem(context: SyncContext, text: string) {
  const oid = await writeLooseObject(context.repo.gitdir, 'blob', Buffer.from(text));
  return { name: SETTINGS_FILE, oid, mode: FILE_MODE, type: 'blob' as const };
}

async function nameInTree(context: SyncContext, folder: string): Promise<string | null> {
  const content = await fileAtPath(context.repo, folder, 'workspace.json');
  if (!content) return null;
  try {
    const parsed = WorkspaceFile.safeParse(JSON.parse(Buffer.from(content).toString('utf8')));
    return parsed.success ? parsed.data.name : null;
  } catch {
    return null;
  }
}

/** Files (and links) under a folder, without following links; 0 when it is gone. */
async function countFiles(folder: string): Promise<number> {
  const entries = await fsp.readdir(folder, { withFileTypes: true }).catch(() => []);
  let count = 0;
  for (const entry of entries) count += entry.isDirectory() ? await countFiles(path.join(folder, entry.name)) : 1;
  return count;
}

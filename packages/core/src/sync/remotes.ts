import { promises as fsp } from 'node:fs';
import { settingsPath } from '../config/settings-file.js';
import { SyncConfigError } from '../errors.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import type { DisconnectResult, RemoteList } from '../models/results.js';
import { withRootLock } from '../state/lock.js';
import { REMOTE_NAME_PATTERN, SyncConfig } from '../models/sync-config.js';
import { plural } from '../util/plural.js';
import { findWorkspace } from '../workspace/names.js';
import { changeSettings } from './settings-edits.js';
import { loadSyncContext } from './sync-context.js';
import { teamRefs } from './team-remote.js';
import type { RemoteInfo } from '../models/sync-status.js';
import { NameBook } from '../workspace/names.js';
import type { SyncContext } from './sync-context.js';

/** The remotes a root syncs with: origin (every synced workspace), then each team remote with the workspaces it carries. */
export async function describeRemotes(context: SyncContext): Promise<RemoteInfo[]> {
  const names = new NameBook(context.root);
  const remotes: RemoteInfo[] = [];
  if (context.settings.remote) remotes.push({ name: 'origin', url: context.settings.remote, branch: context.branch, workspaces: null });
  for (const [name, remote] of Object.entries(context.settings.remotes)) {
    const workspaces = await Promise.all(remote.workspaces.map(async (id) => ({ id, name: await names.workspaceName(id) })));
    remotes.push({ name, url: remote.url, branch: remote.branch, workspaces });
  }
  return remotes;
}

/** Origin and the team remotes, with the workspaces each carries. */
export async function listRemotes(root: string, message = ''): Promise<RemoteList> {
  const remotes = await describeRemotes(await loadSyncContext(root));
  return { remotes, message: message || `${plural(remotes.length, 'remote')}.` };
}

/**
 * Adds (or changes) a team remote carrying the given workspaces (names or ids). The next push
 * shares them there; a teammate with only that remote gets exactly those.
 */
export async function addRemote(root: string, name: string, url: string, options: { branch?: string; workspaces?: string[] } = {}): Promise<RemoteList> {
  const context = await loadSyncContext(root);
  if (!REMOTE_NAME_PATTERN.test(name)) {
    throw new SyncConfigError(`"${name}" cannot name a remote: use lowercase letters, digits, "-" or "_" (and not "origin", which is the remote set by init).`);
  }
  assertRemoteUrlIsSafe(url, 'the remote URL');
  const branch = options.branch ?? 'main';
  if (!SyncConfig.shape.branch.safeParse(branch).success) throw new SyncConfigError(`"${branch}" is not a valid branch name.`, { field: 'branch' });
  const workspaces = await Promise.all((options.workspaces ?? []).map((w) => findWorkspace(root, w)));
  await changeSettings(root, context, 'remote', (settings) => ({
    ...settings,
    remotes: { ...settings.remotes, [name]: { url, branch, workspaces: workspaces.map((w) => w.id) } },
  }));
  const carried = workspaces.length ? workspaces.map((w) => `"${w.name}"`).join(', ') : 'no workspaces yet';
  return listRemotes(root, `Remote "${name}" carries ${carried}; the next push shares them there.`);
}

/** Removes a team remote from this root; its repository and what it holds are left alone. */
export async function removeRemote(root: string, name: string): Promise<RemoteList> {
  const context = await loadSyncContext(root);
  const remote = context.settings.remotes[name];
  if (!remote) {
    throw new SyncConfigError(`There is no team remote "${name}"${name === 'origin' ? ': origin goes when sync is disconnected' : ''}.`, {
      next: { action: 'list_remotes' },
    });
  }
  const refs = teamRefs(name, remote.branch);
  await changeSettings(
    root,
    context,
    'remote',
    (settings) => {
      const { [name]: _removed, ...remotes } = settings.remotes;
      return { ...settings, remotes };
    },
    async () => {
      for (const ref of Object.values(refs)) await context.repo.deleteRef(ref).catch(() => undefined);
    },
  );
  return listRemotes(root, `Removed the remote "${name}"; its repository was not touched.`);
}

/** Stops syncing a root: forgets the remote and the settings, keeps every workspace file and the local history. */
export async function disconnectRoot(root: string): Promise<DisconnectResult> {
  const context = await loadSyncContext(root);
  return withRootLock(context.repo.gitdir, 'disconnect', async () => {
    const removed = context.settings.remote;
    if (await context.repo.remoteUrl()) await context.repo.removeRemote();
    await context.repo.deleteRef(context.trackingRef);
    await fsp.rm(settingsPath(root), { force: true });
    return {
      root,
      removed_remote: removed,
      message: `Sync disconnected${removed ? ` from ${removed}` : ''}. Every workspace file is still in ${root}.`,
    };
  });
}

import { readExcludedHere, writeExcludedHere } from '../config/local-selection.js';
import { describeIssues, readSettings, writeSettings } from '../config/settings-file.js';
import { SyncConfigError } from '../errors.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import type { WorkspaceSelection } from '../models/results.js';
import { SyncConfig } from '../models/sync-config.js';
import { withRootLock } from '../state/lock.js';
import { findWorkspace } from '../workspace/names.js';
import { exclusionOf, type Selection } from '../workspace/selection.js';
import { loadSyncContext, settingsHere, type SyncContext } from './sync-context.js';

// Edits of the settings: which workspaces sync, and the settings file, under the root's lock.

/**
 * Includes a workspace in sync or keeps it out. By default only on this computer (kept in
 * `.git/`, never shared): the other computers go on syncing it. `everywhere` is the shared
 * setting (`sync.workspaces.<id>.enabled: false`) that every computer follows. An excluded
 * workspace's files stay here; what the remote already has stays there.
 */
export async function setWorkspaceSync(root: string, workspace: string, enabled: boolean, options: { everywhere?: boolean } = {}): Promise<WorkspaceSelection> {
  const context = await loadSyncContext(root);
  const found = await findWorkspace(root, workspace);
  const after: Selection = { settings: context.settings, excludedHere: new Set() };
  await changeSettings(
    root,
    context,
    enabled ? 'include' : 'exclude',
    (settings) => {
      // Only `everywhere` touches the shared settings; this computer's choice lives in .git.
      if (!options.everywhere) return (after.settings = settings);
      const { enabled: _previous, ...others } = settings.workspaces[found.id] ?? {};
      const overrides = enabled ? others : { ...others, enabled: false };
      const workspaces = { ...settings.workspaces };
      if (Object.keys(overrides).length > 0) workspaces[found.id] = overrides;
      else delete workspaces[found.id];
      return (after.settings = { ...settings, workspaces });
    },
    async () => {
      // Read under the root's lock, like the settings, so two choices made at once both stay.
      const excludedHere = await readExcludedHere(context.repo.gitdir);
      if (enabled) excludedHere.delete(found.id);
      else if (!options.everywhere) excludedHere.add(found.id);
      await writeExcludedHere(context.repo.gitdir, excludedHere);
      after.excludedHere = excludedHere;
    },
  );
  const excluded = exclusionOf(after, found.id);
  return {
    id: found.id,
    name: found.name,
    sync_enabled: excluded === null,
    excluded_on: excluded,
    message:
      excluded === null
        ? `"${found.name}" syncs again from the next push.`
        : excluded === 'this_computer'
          ? `"${found.name}" is no longer synced from this computer: its changes stay here, and the other computers go on syncing it. What the remote already has stays there.`
          : enabled
            ? `"${found.name}" is still kept local on every computer, by the shared settings; include it everywhere to sync it again.`
            : `"${found.name}" is kept local on every computer: no computer sends its changes any more. What the remote already has stays there.`,
  };
}

/**
 * Checks settings to change (the others kept) and says whether applying them connects to a
 * remote (a new remote or branch), a long operation of its own. Throws SyncConfigError
 * naming the field when they are not valid; nothing is written.
 */
export async function checkSettingsChange(root: string, update: Record<string, unknown>): Promise<{ next: SyncConfig; connects: boolean }> {
  const current = (await settingsHere(root)) ?? SyncConfig.parse({});
  const parsed = SyncConfig.strict().safeParse({ ...current, ...update });
  if (!parsed.success) throw new SyncConfigError(describeIssues('The settings', parsed.error));
  const next = parsed.data;
  if (next.remote) assertRemoteUrlIsSafe(next.remote, 'remote');
  for (const [name, remote] of Object.entries(next.remotes)) assertRemoteUrlIsSafe(remote.url, `remotes.${name}.url`);
  return { next, connects: !!next.remote && (next.remote !== current.remote || next.branch !== current.branch) };
}

/**
 * Writes settings other than the remote and branch (which go through `init`), under the
 * root's lock so that it cannot race with exclude, include or a remote being added.
 */
export async function updateSettings(root: string, next: SyncConfig): Promise<void> {
  const context = await loadSyncContext(root);
  await changeSettings(root, context, 'config', (current) => ({ ...next, remote: current.remote, branch: current.branch }));
}

/** Rewrites the shared settings under the root's lock, from what the file holds at that moment. */
export async function changeSettings(
  root: string,
  context: SyncContext,
  operation: string,
  change: (settings: SyncConfig) => SyncConfig,
  andThen?: () => Promise<void>,
): Promise<void> {
  await withRootLock(context.repo.gitdir, operation, async () => {
    await writeSettings(root, change((await readSettings(root))!.sync));
    await andThen?.();
  });
}

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

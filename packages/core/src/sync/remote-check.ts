import { SETTINGS_FILE } from '../config/settings-file.js';
import { SyncConfigError } from '../errors.js';
import type { GitRepository } from '../git/repository.js';
import { redactUrl } from '../models/remote-url.js';

/**
 * Refuses a remote branch that holds something other than PlanAlign workspaces (a code
 * repository, say): bringing it down would scatter its files through the workspaces root. A
 * sync repository has this tool's settings at its top, or folders with a workspace.json.
 */
export async function assertSyncRepository(repo: GitRepository, tree: string, url: string, branch: string): Promise<void> {
  const items = await repo.readTree(tree);
  if (items.some((item) => item.name === SETTINGS_FILE && item.type === 'blob')) return;
  for (const item of items) {
    if (item.type === 'tree' && (await repo.readTree(item.oid)).some((child) => child.name === 'workspace.json')) return;
  }
  const shown = items.slice(0, 4).map((item) => (item.type === 'tree' ? `${item.name}/` : item.name));
  throw new SyncConfigError(
    `The branch "${branch}" of ${redactUrl(url)} holds ${shown.join(', ')}${items.length > 4 ? ', …' : ''} and no PlanAlign workspaces: it is not a planalign-sync repository. ` +
      `Your workspaces were not touched. Use an empty repository, one made by planalign-sync, or another branch.`,
    { field: 'remote', next: { action: 'change_address' } },
  );
}

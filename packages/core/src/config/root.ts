import os from 'node:os';
import path from 'node:path';

/**
 * Where the workspaces live: an explicit --root, else PLANALIGN_WORKSPACES, else
 * PlanAlign's own PLANALIGN_API_WORKSPACES_ROOT, else ~/.planalign/workspaces.
 */
export function resolveWorkspacesRoot(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit || env.PLANALIGN_WORKSPACES || env.PLANALIGN_API_WORKSPACES_ROOT || path.join(os.homedir(), '.planalign', 'workspaces');
  const expanded = chosen.startsWith('~') ? path.join(os.homedir(), chosen.slice(1)) : chosen;
  return path.resolve(expanded);
}

import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { SyncConfigError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { workspaceBranchNameProblem } from '../models/branch-name.js';
import type { Hold } from '../workspace/selection.js';
import { placeOf } from '../workspace/paths.js';
import { stateDir } from './state-dir.js';

/**
 * Which line of each workspace this machine shows in its folder. A workspace not listed shows
 * the root's own branch (its main line). Kept in `.git/`: switching is a choice of this
 * machine, not of the team.
 */
export type WorkspaceLines = Record<string, string>;

const stateFile = (gitdir: string) => path.join(stateDir(gitdir), 'workspace-branches.json');

export async function readWorkspaceLines(gitdir: string): Promise<WorkspaceLines> {
  try {
    const value = JSON.parse(readFileSync(stateFile(gitdir), 'utf8')) as unknown;
    return value && typeof value === 'object' ? (value as WorkspaceLines) : {};
  } catch {
    return {};
  }
}

export async function setWorkspaceLine(gitdir: string, workspaceId: string, branch: string | null): Promise<void> {
  const lines = await readWorkspaceLines(gitdir);
  if (branch === null) delete lines[workspaceId];
  else lines[workspaceId] = branch;
  await fsp.mkdir(path.dirname(stateFile(gitdir)), { recursive: true });
  await writeFileAtomic(stateFile(gitdir), JSON.stringify(lines));
}

/** Refs of a workspace's branch: ours, the remote's branch name, and where its head is recorded. */
export const branchRefs = (workspaceId: string, branch: string) => ({
  local: `refs/heads/workspaces/${workspaceId}/${branch}`,
  remoteBranch: `workspaces/${workspaceId}/${branch}`,
  tracking: `refs/remotes/origin/workspaces/${workspaceId}/${branch}`,
});
export const LOCAL_BRANCHES_PREFIX = 'refs/heads/workspaces';
export const TRACKING_BRANCHES_PREFIX = 'refs/remotes/origin/workspaces';
export const REMOTE_BRANCHES_PREFIX = 'refs/heads/workspaces';

/** A branch name people can type and Git accepts as one path segment (see workspaceBranchNameProblem). */
export function assertBranchName(name: string, mainLine: string, flag = 'the branch name'): void {
  const problem = workspaceBranchNameProblem(name, mainLine);
  if (problem === 'main-line') throw new SyncConfigError(`"${name}" is the workspace's main line; choose another name for a branch.`);
  if (problem) {
    throw new SyncConfigError(`${flag} "${name}" is not usable: start with a letter or digit, then letters, digits, '.', '-' or '_' (at most 63).`);
  }
}

/**
 * While a workspace shows one of its branches, its folder belongs to that branch: the root's
 * own commits keep the workspace as the main line has it.
 */
export function branchHold(lines: WorkspaceLines): Hold {
  return (relativePath) => {
    const workspaceId = placeOf(relativePath).workspaceId;
    return workspaceId && lines[workspaceId] ? 'silent' : null;
  };
}

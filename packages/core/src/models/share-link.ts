import { branchNameProblem } from './branch-name.js';
import { remoteUrlProblem, type RemoteUrlProblem } from './remote-url.js';

/**
 * Sharing links, `planalign://import?remote=…&branch=…&workspace=…&name=…`. Pure (no Node
 * module), so the dashboard reads a pasted link with the same rules as `planalign sync import`.
 */

/** What a sharing link names: a remote, its branch and a workspace. Never a secret. */
export interface SharedWorkspace {
  remote: string;
  branch: string;
  workspace: string | null;
  name: string | null;
}

const SCHEME = 'planalign:';

/** `planalign://import?remote=…&branch=…&workspace=…&name=…` */
export function buildShareLink(shared: SharedWorkspace): string {
  const query = new URLSearchParams({ remote: shared.remote, branch: shared.branch });
  if (shared.workspace) query.set('workspace', shared.workspace);
  if (shared.name) query.set('name', shared.name);
  return `${SCHEME}//import?${query.toString()}`;
}

/** Whether a text is meant as a sharing link (rather than the address of a repository). */
export function isShareLink(source: string): boolean {
  return source.trim().toLowerCase().startsWith(SCHEME);
}

/**
 * Why a sharing link or remote URL cannot be imported:
 * - `invalid-link`: a planalign link that does not parse
 * - `no-remote`: a planalign link that names no remote
 * - `link-remote`: the remote in a link is not usable (`problem` tells why)
 * - `link-branch`: the branch in a link is not a branch name (`problem` tells why)
 * - `address`: a bare address that is not a usable remote (`problem` tells why)
 */
export type ShareSourceProblem =
  | { reason: 'invalid-link' }
  | { reason: 'no-remote' }
  | { reason: 'link-remote'; remote: string; problem: RemoteUrlProblem }
  | { reason: 'link-branch'; branch: string; problem: string }
  | { reason: 'address'; problem: RemoteUrlProblem };

/**
 * Reads a sharing link, or a bare remote URL (the workspace is then named separately). A URL
 * carrying a password or token is refused: links get pasted into chats and tickets.
 */
export function readShareSource(source: string): { shared: SharedWorkspace; problem: null } | { shared: null; problem: ShareSourceProblem } {
  const text = source.trim();
  const refuse = (problem: ShareSourceProblem) => ({ shared: null, problem });
  if (isShareLink(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return refuse({ reason: 'invalid-link' });
    }
    const remote = url.searchParams.get('remote');
    // Custom schemes keep the host's letter case in URL parsing; hosts are case-insensitive.
    if (url.host.toLowerCase() !== 'import' || !remote) return refuse({ reason: 'no-remote' });
    const remoteProblem = remoteUrlProblem(remote);
    if (remoteProblem) return refuse({ reason: 'link-remote', remote, problem: remoteProblem });
    const branch = url.searchParams.get('branch') ?? 'main';
    const branchProblem = branchNameProblem(branch);
    if (branchProblem) return refuse({ reason: 'link-branch', branch, problem: branchProblem });
    return { shared: { remote, branch, workspace: url.searchParams.get('workspace'), name: url.searchParams.get('name') }, problem: null };
  }
  const problem = remoteUrlProblem(text);
  if (problem) return refuse({ reason: 'address', problem });
  return { shared: { remote: text, branch: 'main', workspace: null, name: null }, problem: null };
}

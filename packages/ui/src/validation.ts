/**
 * Checks made as people type, so the forms can point at the field before anything is sent.
 * The server checks again with the core's own rules; these only catch the common mistakes.
 */
const SCP_LIKE = /^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!\/\/)\S+$/;
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<![./])$/;
const CARRIES_SECRET = 'Remove the password or token from the address: it would be shared with every computer. The token belongs in PLANALIGN_SYNC_TOKEN.';

export function remoteProblem(value: string): string | null {
  const url = value.trim();
  if (!url) return 'Enter the address of your Git repository.';
  if (/^https?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'This address is not valid; check it for typos.';
    }
    if (parsed.password) return CARRIES_SECRET;
    if (!parsed.pathname || parsed.pathname === '/') return 'Add the repository to the address, like https://github.com/you/planalign-workspaces.git.';
    return null;
  }
  if (/^ssh:\/\//i.test(url) || SCP_LIKE.test(url)) return null;
  return 'Use an address like https://github.com/you/planalign-workspaces.git.';
}

export function branchProblem(value: string): string | null {
  if (!value.trim()) return 'Enter a branch name, such as main.';
  if (value.trim() === 'HEAD') return '"HEAD" is a word git keeps for itself: choose another name, such as main.';
  return BRANCH.test(value.trim()) ? null : 'A branch name uses letters, digits, ".", "_", "-" and "/", like main.';
}

export function intervalProblem(value: number): string | null {
  return Number.isInteger(value) && value >= 1 && value <= 1440 ? null : 'Choose a whole number of minutes from 1 to 1440.';
}

/**
 * A branch of one workspace, by the core's rule: one path segment of letters, digits, ".", "-"
 * and "_", starting with a letter or digit, at most 63 characters, never "..".
 */
export function workspaceBranchProblem(value: string, options: { mainLine?: string; taken?: string[] } = {}): string | null {
  const name = value.trim();
  if (!name) return 'Name the branch, such as what-if-hiring.';
  if (name.length > 63) return `Use at most 63 characters (this has ${name.length}).`;
  if (!/^[A-Za-z0-9]/.test(name)) return 'Start with a letter or a digit.';
  if (/[^A-Za-z0-9._-]/.test(name)) return 'Use only letters, digits, ".", "-" and "_": no spaces or slashes.';
  if (name.includes('..')) return 'Two dots in a row are not allowed.';
  if (name.endsWith('.') || name.endsWith('.lock')) return 'The name cannot end with "." or ".lock".';
  if (name === options.mainLine) return `"${name}" is the main line; choose another name.`;
  if (options.taken?.includes(name)) return `This workspace already has a branch "${name}": switch to it instead.`;
  return null;
}

export interface SharedWorkspaceLink {
  remote: string;
  branch: string;
  workspace: string | null;
  name: string | null;
}

const SHARE_LINK = /^planalign:\/\/import\?(.*)$/i;

/** What a `planalign://import?remote=…&branch=…&workspace=…&name=…` link names; null for anything else. */
export function readShareLink(value: string): SharedWorkspaceLink | null {
  const match = SHARE_LINK.exec(value.trim());
  if (!match) return null;
  const query = new URLSearchParams(match[1]);
  const remote = query.get('remote');
  if (!remote) return null;
  return { remote, branch: query.get('branch') ?? 'main', workspace: query.get('workspace'), name: query.get('name') };
}

/** A sharing link, or the address of a repository (the workspace is then named separately). */
export function shareSourceProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return 'Paste the sharing link, or the address of the repository.';
  if (/^planalign:/i.test(text)) {
    const link = readShareLink(text);
    if (!link) return 'This link is incomplete: copy it again from the Share section of the workspace.';
    const problem = remoteProblem(link.remote);
    if (problem === CARRIES_SECRET)
      return 'This link carries a password or token. Ask for a link without one: each computer keeps its own token in PLANALIGN_SYNC_TOKEN.';
    if (problem) return 'The repository address in this link is not valid: copy the link again.';
    return branchProblem(link.branch) ? 'The branch in this link is not valid: copy the link again.' : null;
  }
  const problem = remoteProblem(text);
  return problem && problem !== CARRIES_SECRET ? `${problem} A sharing link starts with planalign://import.` : problem;
}

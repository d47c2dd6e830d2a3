/**
 * Checks made as people type, so the forms can point at the field before anything is sent.
 * Whether a value is usable is decided by the core's own rules (`@planalign/sync-core/rules`,
 * the ones the server applies); this module only puts their reasons in a planner's words.
 */
import {
  branchNameProblem,
  isShareLink,
  readShareSource,
  remoteKind,
  remoteUrlProblem,
  workspaceBranchNameProblem,
  WORKSPACE_BRANCH_NAME_MAX_LENGTH,
  type RemoteUrlProblem,
  type SharedWorkspace,
} from '@planalign/sync-core/rules';

const CARRIES_SECRET =
  'Remove the password or token from the address: it would be shared with every computer. Each computer keeps its own access token, entered separately.';

const REMOTE_MESSAGES: Record<RemoteUrlProblem, string> = {
  'not-a-remote': 'Use an address like https://github.com/you/planalign-workspaces.git.',
  'invalid-url': 'This address is not valid; check it for typos.',
  'carries-password': CARRIES_SECRET,
};

/** An https address of a host alone: the core would take it, but it cannot name a repository. */
function namesNoRepository(url: string): boolean {
  return remoteKind(url) === 'https' && new URL(url).pathname === '/';
}

export function remoteProblem(value: string): string | null {
  const url = value.trim();
  if (!url) return 'Enter the address of your Git repository.';
  const problem = remoteUrlProblem(url);
  if (problem) return REMOTE_MESSAGES[problem];
  if (namesNoRepository(url)) return 'Add the repository to the address, like https://github.com/you/planalign-workspaces.git.';
  return null;
}

/** The https address of the same repository as an SSH one (git@host:owner/repo.git), when it can be told. */
function httpsAddressOf(url: string): string | null {
  const match = /^(?:ssh:\/\/)?(?:[^@/]+@)?([^:/]+)(?::\d+)?[:/](.+)$/i.exec(url);
  return match ? `https://${match[1]}/${match[2].replace(/^\/+/, '')}` : null;
}

/**
 * What an address needs that cannot be checked as it is typed: an SSH address works only with
 * Git and an SSH key on this computer. Null when there is nothing to say.
 */
export function remoteNote(value: string): string | null {
  const url = value.trim();
  if (remoteKind(url) !== 'ssh') return null;
  const https = httpsAddressOf(url);
  return (
    'This is an SSH address: it works only if this computer has Git installed and an SSH key the host accepts without asking for a password. ' +
    (https ? `If you are not sure, use the https address instead: ${https}` : 'If you are not sure, use the https:// address of the repository instead.')
  );
}

export function branchProblem(value: string): string | null {
  const name = value.trim();
  if (!name) return 'Enter a branch name, such as main.';
  const problem = branchNameProblem(name);
  if (!problem) return null;
  if (name === 'HEAD' || name === '@') return `"${name}" is a word git keeps for itself: choose another name, such as main.`;
  return `This cannot be a branch name: ${problem}. A branch name uses letters, digits, ".", "_", "-" and "/", like main.`;
}

export function intervalProblem(value: number): string | null {
  return Number.isInteger(value) && value >= 1 && value <= 1440 ? null : 'Choose a whole number of minutes from 1 to 1440.';
}

/**
 * A branch of one workspace, by the core's rule (one path segment of letters, digits, ".", "-"
 * and "_", starting with a letter or digit, at most 63 characters, never ".."), and not one the
 * workspace already has.
 */
export function workspaceBranchProblem(value: string, options: { mainLine?: string; taken?: string[] } = {}): string | null {
  const name = value.trim();
  switch (workspaceBranchNameProblem(name, options.mainLine)) {
    case 'empty':
      return 'Name the what-if version, such as what-if-hiring.';
    case 'too-long':
      return `Use at most ${WORKSPACE_BRANCH_NAME_MAX_LENGTH} characters (this has ${name.length}).`;
    case 'first-character':
      return 'Start with a letter or a digit.';
    case 'character':
      return 'Use only letters, digits, ".", "-" and "_": no slashes or other signs.';
    case 'double-dot':
      return 'Two dots in a row are not allowed.';
    case 'ending':
      return 'The name cannot end with "." or ".lock".';
    case 'main-line':
      return `“${name}” is the main version's name; choose another name.`;
  }
  if (options.taken?.includes(name)) return `This workspace already has a what-if version “${name}”: switch to it instead.`;
  return null;
}

/** What a usable `planalign://import?remote=…&branch=…&workspace=…&name=…` link names; null for anything else. */
export function readShareLink(value: string): SharedWorkspace | null {
  return isShareLink(value) ? readShareSource(value).shared : null;
}

/** A sharing link, or the address of a repository (the workspace is then named separately). */
export function shareSourceProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return 'Paste the sharing link, or the address of the repository.';
  const { shared, problem } = readShareSource(text);
  if (shared) {
    if (!namesNoRepository(shared.remote)) return null;
    return isShareLink(text)
      ? 'The repository address in this link is not valid: copy the link again.'
      : `${remoteProblem(text)} A sharing link starts with planalign://import.`;
  }
  switch (problem.reason) {
    case 'invalid-link':
    case 'no-remote':
      return 'This link is incomplete: copy it again from the Share section of the workspace.';
    case 'link-remote':
      return problem.problem === 'carries-password'
        ? 'This link carries a password or token. Ask for a link without one: each computer is given its own token separately.'
        : 'The repository address in this link is not valid: copy the link again.';
    case 'link-branch':
      return 'The branch in this link is not valid: copy the link again.';
    case 'address':
      return problem.problem === 'carries-password' ? CARRIES_SECRET : `${REMOTE_MESSAGES[problem.problem]} A sharing link starts with planalign://import.`;
  }
}

/**
 * Checks made as people type, so the forms can point at the field before anything is sent.
 * The server checks again with the core's own rules; these only catch the common mistakes.
 */
const SCP_LIKE = /^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!\/\/)\S+$/;
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<![./])$/;

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
    if (parsed.password) return 'Remove the password or token from the address: it would be shared with every computer. The token belongs in PLANALIGN_SYNC_TOKEN.';
    if (!parsed.pathname || parsed.pathname === '/') return 'Add the repository to the address, like https://github.com/you/planalign-workspaces.git.';
    return null;
  }
  if (/^ssh:\/\//i.test(url) || SCP_LIKE.test(url)) return null;
  return 'Use an address like https://github.com/you/planalign-workspaces.git.';
}

export function branchProblem(value: string): string | null {
  if (!value.trim()) return 'Enter a branch name, such as main.';
  return BRANCH.test(value.trim()) ? null : 'A branch name uses letters, digits, ".", "_", "-" and "/", like main.';
}

export function intervalProblem(value: number): string | null {
  return Number.isInteger(value) && value >= 1 && value <= 1440 ? null : 'Choose a whole number of minutes from 1 to 1440.';
}

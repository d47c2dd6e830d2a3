/**
 * What makes a Git remote URL usable and safe to keep in `.planalign-sync.yaml`. Pure (no Node
 * module), so the dashboard checks an address as it is typed with the same rules.
 */

export type RemoteKind = 'https' | 'ssh';

/** `git@host:owner/repo.git` (scp-like) and `ssh://` URLs; these go through the native git transport. */
const SCP_LIKE = /^(?<user>[A-Za-z0-9._-]+@)?(?<host>[A-Za-z0-9.-]+):(?!\/\/)(?<path>[^\s]+)$/;

export function remoteKind(url: string): RemoteKind | null {
  if (/^https?:\/\//i.test(url)) return 'https';
  if (/^ssh:\/\//i.test(url) || SCP_LIKE.test(url)) return 'ssh';
  return null;
}

/**
 * Why a URL cannot be a remote: `not-a-remote` (neither https nor SSH), `invalid-url` (an https
 * address that does not parse), `carries-password` (a password or token in it, which would be
 * committed and pushed to every machine); null when it can.
 */
export type RemoteUrlProblem = 'not-a-remote' | 'invalid-url' | 'carries-password';

export function remoteUrlProblem(url: string): RemoteUrlProblem | null {
  const kind = remoteKind(url);
  if (kind === null) return 'not-a-remote';
  if (kind === 'https') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'invalid-url';
    }
    if (parsed.password) return 'carries-password';
  }
  return null;
}

/** The https URL that reaches the same repository as an SSH URL, for advice in messages. */
export function httpsEquivalent(url: string): string | null {
  const scp = SCP_LIKE.exec(url);
  if (scp?.groups) return `https://${scp.groups.host}/${scp.groups.path.replace(/^\/+/, '')}`;
  const ssh = /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(url);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  return null;
}

/**
 * Takes the password or token out of every `user:password@` in a text (a URL, or a file holding
 * URLs), keeping the user name, which is not a secret and which some hosts need.
 */
export function removeUrlPasswords(text: string): string {
  return text.replace(/(https?:\/\/)([^/@:\s]*):[^/@\s]*@/gi, (_, scheme: string, user: string) => (user ? `${scheme}${user}@` : scheme));
}

/** Whether a URL carries a password or token (`https://user:token@host/…`). */
export function urlHasPassword(url: string): boolean {
  return removeUrlPasswords(url) !== url;
}

/** Removes any user:password part from URLs inside a text, so no message or log can carry a secret. */
export function redactUrl(text: string): string {
  return text.replace(/(https?:\/\/)[^/@\s]*@/gi, '$1');
}

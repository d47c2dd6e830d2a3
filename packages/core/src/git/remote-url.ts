import { SyncConfigError } from '../errors.js';

export type RemoteKind = 'https' | 'ssh';

/** `git@host:owner/repo.git` (scp-like) and `ssh://` URLs; these go through the native git transport. */
const SCP_LIKE = /^(?<user>[A-Za-z0-9._-]+@)?(?<host>[A-Za-z0-9.-]+):(?!\/\/)(?<path>[^\s]+)$/;

export function remoteKind(url: string): RemoteKind | null {
  if (/^https?:\/\//i.test(url)) return 'https';
  if (/^ssh:\/\//i.test(url) || SCP_LIKE.test(url)) return 'ssh';
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
 * Refuses URLs that cannot work or would leak a secret into `.planalign-sync.yaml`
 * (which is committed and pushed to every machine).
 */
export function assertRemoteUrlIsSafe(url: string, label = 'remote URL'): RemoteKind {
  const kind = remoteKind(url);
  if (kind === null) {
    throw new SyncConfigError(
      `${label} "${redactUrl(url)}" is not a Git remote URL: use https://host/owner/repo.git (or git@host:owner/repo.git with git installed).`,
    );
  }
  if (kind === 'https') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SyncConfigError(`${label} "${redactUrl(url)}" is not a valid URL: check it for typos.`);
    }
    if (parsed.password) {
      throw new SyncConfigError(
        `${label} contains a password or token, which would be stored in .planalign-sync.yaml and pushed to every machine. ` +
          `Use ${redactUrl(url)} and put the token in PLANALIGN_SYNC_TOKEN (or Git's credential helper) instead.`,
      );
    }
  }
  return kind;
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

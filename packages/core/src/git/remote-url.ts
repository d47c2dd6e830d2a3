import { SyncConfigError } from '../errors.js';
import { redactUrl, remoteKind, remoteUrlProblem, type RemoteKind, type RemoteUrlProblem } from '../models/remote-url.js';

/** The error telling why a URL cannot be a remote (see remoteUrlProblem). */
export function remoteUrlError(url: string, problem: RemoteUrlProblem, label = 'remote URL'): SyncConfigError {
  switch (problem) {
    case 'not-a-remote':
      return new SyncConfigError(
        `${label} "${redactUrl(url)}" is not a Git remote URL: use https://host/owner/repo.git (or git@host:owner/repo.git with git installed).`,
      );
    case 'invalid-url':
      return new SyncConfigError(`${label} "${redactUrl(url)}" is not a valid URL: check it for typos.`);
    case 'carries-password':
      return new SyncConfigError(
        `${label} contains a password or token, which would be stored in .planalign-sync.yaml and pushed to every machine. ` +
          `Use ${redactUrl(url)} and put the token in PLANALIGN_SYNC_TOKEN (or Git's credential helper) instead.`,
      );
  }
}

/**
 * Refuses URLs that cannot work or would leak a secret into `.planalign-sync.yaml`
 * (which is committed and pushed to every machine).
 */
export function assertRemoteUrlIsSafe(url: string, label = 'remote URL'): RemoteKind {
  const problem = remoteUrlProblem(url);
  const kind = remoteKind(url);
  if (problem || !kind) throw remoteUrlError(url, problem ?? 'not-a-remote', label);
  return kind;
}

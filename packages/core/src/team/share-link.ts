import { SyncConfigError } from '../errors.js';
import { assertRemoteUrlIsSafe, redactUrl } from '../git/remote-url.js';
import { SyncConfig } from '../models/sync-config.js';

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

/**
 * Reads a sharing link, or a bare remote URL (the workspace then comes from --workspace).
 * A URL carrying a password or token is refused: links get pasted into chats and tickets.
 */
export function parseShareSource(source: string, label = 'the link'): SharedWorkspace {
  const text = source.trim();
  if (text.toLowerCase().startsWith(SCHEME)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new SyncConfigError(`${label} "${redactUrl(text)}" is not a valid planalign link: copy it again from 'planalign sync share'.`);
    }
    const remote = url.searchParams.get('remote');
    if (url.host !== 'import' || !remote) {
      throw new SyncConfigError(`${label} "${redactUrl(text)}" does not name a remote: a sharing link looks like planalign://import?remote=…&workspace=….`);
    }
    assertRemoteUrlIsSafe(remote, `The remote in ${label}`);
    const branch = url.searchParams.get('branch') ?? 'main';
    if (!SyncConfig.shape.branch.safeParse(branch).success) throw new SyncConfigError(`The branch "${branch}" in ${label} is not a valid branch name.`);
    return { remote, branch, workspace: url.searchParams.get('workspace'), name: url.searchParams.get('name') };
  }
  assertRemoteUrlIsSafe(text, label);
  return { remote: text, branch: 'main', workspace: null, name: null };
}

/** Two spellings of one remote (trailing slash, `.git`, letter case of the host) compare equal. */
export function sameRemote(a: string, b: string): boolean {
  const normal = (url: string) => {
    const trimmed = url
      .trim()
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
    try {
      const parsed = new URL(trimmed);
      return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname}`;
    } catch {
      return trimmed;
    }
  };
  return normal(a) === normal(b);
}

/** A team remote's name made from its URL: `…/acme/pension-plans.git` → `pension-plans`. */
export function remoteNameFor(url: string, taken: Set<string>): string {
  const last =
    url
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .split(/[/:]/)
      .pop() ?? '';
  const base =
    last
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '')
      .slice(0, 34) || 'shared';
  const start = base === 'origin' ? 'origin-shared' : /^[a-z0-9]/.test(base) ? base : `r-${base}`;
  let name = start;
  for (let n = 2; taken.has(name); n += 1) name = `${start}-${n}`;
  return name;
}

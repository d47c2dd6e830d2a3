import { SyncConfigError } from '../errors.js';
import { remoteUrlError } from '../git/remote-url.js';
import { redactUrl } from '../models/remote-url.js';
import { readShareSource, type SharedWorkspace } from '../models/share-link.js';

/**
 * Reads a sharing link, or a bare remote URL (the workspace then comes from --workspace), and
 * refuses what readShareSource finds unusable, a URL carrying a password or token among them.
 */
export function parseShareSource(source: string, label = 'the link'): SharedWorkspace {
  const text = source.trim();
  const { shared, problem } = readShareSource(text);
  if (shared) return shared;
  switch (problem.reason) {
    case 'invalid-link':
      throw new SyncConfigError(`${label} "${redactUrl(text)}" is not a valid planalign link.`, { next: { action: 'copy_link_again' } });
    case 'no-remote':
      throw new SyncConfigError(`${label} "${redactUrl(text)}" does not name a remote: a sharing link looks like planalign://import?remote=…&workspace=….`);
    case 'link-remote':
      throw remoteUrlError(problem.remote, problem.problem, `The remote in ${label}`);
    case 'link-branch':
      throw new SyncConfigError(`The branch "${problem.branch}" in ${label} is not a valid branch name.`);
    case 'address':
      throw remoteUrlError(text, problem.problem, label);
  }
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

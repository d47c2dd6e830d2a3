/**
 * Where a host known from a repository address makes access tokens, and what to grant: the
 * right to read and write that one repository's contents (or the narrowest the host offers).
 * Pure, so it runs as the address is typed.
 */
export interface TokenHelp {
  /** the host's name as people know it */
  host: string;
  /** its page for making a token */
  link: string;
  /** what to grant, in the host's own words for the permission */
  grant: string;
}

function parts(remote: string): { host: string; path: string[]; user: string } | null {
  try {
    const url = new URL(remote.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    const path = url.pathname
      .replace(/\.git\/?$/, '')
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    return { host: url.host.toLowerCase(), path, user: decodeURIComponent(url.username) };
  } catch {
    return null;
  }
}

/** The token page and permission for the host of a repository address, or null for a host not recognised. */
export function tokenHelp(remote: string): TokenHelp | null {
  const address = parts(remote);
  if (!address) return null;
  const { host, path, user } = address;
  const repository = path.join('/');
  if (host === 'github.com') {
    return {
      host: 'GitHub',
      link: 'https://github.com/settings/personal-access-tokens/new',
      grant: `a fine-grained token with access to only the repository ${repository || 'you sync with'} and the permission “Contents: Read and write”`,
    };
  }
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) {
    return {
      host: host === 'gitlab.com' ? 'GitLab' : `GitLab (${host})`,
      link: path.length >= 2 ? `https://${host}/${repository}/-/settings/access_tokens` : `https://${host}/-/user_settings/personal_access_tokens`,
      grant:
        'a project access token with the role Maintainer (the main branch is protected from Developers by default) and the scopes “read_repository” and “write_repository” (or a personal access token with those scopes)',
    };
  }
  if (host === 'dev.azure.com' || host.endsWith('.visualstudio.com')) {
    const organization = host === 'dev.azure.com' ? path[0] : host.split('.')[0];
    return {
      host: 'Azure DevOps',
      link: organization ? `https://dev.azure.com/${organization}/_usersSettings/tokens` : 'https://dev.azure.com/',
      grant: `a personal access token${organization ? ` for the organization ${organization}` : ''} with the scope “Code: Read & write”`,
    };
  }
  if (host === 'bitbucket.org') {
    return {
      host: 'Bitbucket',
      link: path.length >= 2 ? `https://bitbucket.org/${path[0]}/${path[1]}/admin/access-tokens` : 'https://bitbucket.org/account/settings/',
      grant: user
        ? 'an API token with the scopes “read:repository:bitbucket” and “write:repository:bitbucket”'
        : 'a repository access token with the permissions “Repositories: Read” and “Repositories: Write”',
    };
  }
  if (host === 'codeberg.org' || /(^|[.-])(gitea|forgejo)([.-]|$)/.test(host)) {
    return {
      host: host === 'codeberg.org' ? 'Codeberg' : host,
      link: `https://${host}/user/settings/applications`,
      grant: `an access token with the permission “repository: Read and Write”${user ? '' : ', and your user name in the address (https://your-name@…)'}`,
    };
  }
  return null;
}

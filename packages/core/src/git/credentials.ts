import { nativeGitAvailable, runNativeGit } from './native-git.js';

/**
 * Credentials for an HTTPS remote. They come from the environment (PLANALIGN_SYNC_TOKEN with
 * an optional PLANALIGN_SYNC_USERNAME), from the token file of token-store.ts, or from Git's
 * credential helper, and live only in memory here: nothing in this module writes them to a file,
 * a log or a message (token-store.ts alone keeps a token, in the helper or its 0600 file).
 */
export interface Credentials {
  username: string;
  password: string;
  source: 'environment' | 'file' | 'credential-helper';
}

const DEFAULT_TOKEN_USERNAME = 'planalign-sync';

/** The token from the environment; its user name is PLANALIGN_SYNC_USERNAME, else the URL's (`https://org@dev.azure.com/…`). */
export function credentialsFromEnvironment(url: string, env: NodeJS.ProcessEnv = process.env): Credentials | null {
  const token = env.PLANALIGN_SYNC_TOKEN;
  if (!token) return null;
  return { username: defaultTokenUsername(url, env), password: token, source: 'environment' };
}

/**
 * The user name sent with a token: PLANALIGN_SYNC_USERNAME, else the URL's, else the one the host
 * wants with a token that stands alone (Bitbucket's repository access tokens go with
 * `x-token-auth`), else one any host that ignores it accepts.
 */
export function defaultTokenUsername(url: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.PLANALIGN_SYNC_USERNAME || userNameInUrl(url) || tokenUsernameOfHost(url) || DEFAULT_TOKEN_USERNAME;
}

function tokenUsernameOfHost(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase() === 'bitbucket.org' ? 'x-token-auth' : null;
  } catch {
    return null;
  }
}

export function userNameInUrl(url: string): string | null {
  try {
    const name = new URL(url).username;
    return name ? decodeURIComponent(name) : null;
  } catch {
    return null;
  }
}

export function credentialRequest(url: string, extra: Record<string, string> = {}): string {
  const parsed = new URL(url);
  const fields: Record<string, string> = {
    protocol: parsed.protocol.replace(':', ''),
    host: parsed.host,
    path: parsed.pathname.replace(/^\//, ''),
    ...(userNameInUrl(url) ? { username: userNameInUrl(url)! } : {}),
    ...extra,
  };
  return `${Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n\n`;
}

/** Asks Git's credential helper, never prompting (GIT_TERMINAL_PROMPT=0, no askpass). */
export async function credentialsFromHelper(url: string): Promise<Credentials | null> {
  if (!nativeGitAvailable()) return null;
  try {
    const result = await runNativeGit(['credential', 'fill'], {
      input: credentialRequest(url),
      env: { GIT_ASKPASS: '', SSH_ASKPASS: '' },
    });
    if (result.code !== 0) return null;
    const values = parseCredentialAnswer(result.stdout);
    if (!values.password) return null;
    return { username: values.username ?? '', password: values.password, source: 'credential-helper' };
  } catch {
    return null;
  }
}

/** The `key=value` lines `git credential fill` prints. */
export function parseCredentialAnswer(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Tells the credential helper whether the credentials it gave worked, as native git does. */
export async function reportToHelper(url: string, credentials: Credentials, worked: boolean): Promise<void> {
  if (credentials.source !== 'credential-helper' || !nativeGitAvailable()) return;
  await runNativeGit(['credential', worked ? 'approve' : 'reject'], {
    input: credentialRequest(url, { username: credentials.username, password: credentials.password }),
  }).catch(() => undefined);
}

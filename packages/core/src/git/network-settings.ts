import { existsSync, promises as fsp } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { SyncConfigError } from '../errors.js';
import { nativeGitAvailable, runNativeGit } from './native-git.js';
import { nodeTls } from './node-network-modules.js';

/**
 * How to reach one remote on this machine, read the way native git reads it, so that whatever
 * lets `git ls-remote` through (proxy variables, git's `http.*` settings, a company's root
 * certificate) lets sync through too. Git's settings are read only when git is installed; the
 * environment variables work without it.
 */
export interface NetworkSettings {
  /** the proxy to go through (`http://[user:pass@]host:port`), or null for a direct connection */
  proxy: string | null;
  /** where the proxy was set, for messages: the variable's name (`https_proxy`) or "git config http.proxy"; null without a proxy */
  proxySource: string | null;
  /** certificates to trust besides Node's bundled roots (PEM texts); empty for Node's defaults */
  extraCertificates: string[];
  /** false only when the user turned verification off explicitly (git's http.sslVerify=false, GIT_SSL_NO_VERIFY) */
  verifyCertificates: boolean;
  /** git's http.extraHeader values for this URL, in order */
  extraHeaders: [string, string][];
}

/** Git settings for one URL: best-matching single values (`--get-urlmatch`) and every extraHeader that applies. */
interface GitHttpConfig {
  proxy?: string;
  sslCAInfo?: string;
  sslVerify?: string;
  extraHeaders: string[];
}

async function readGitHttpConfig(url: string, cwd: string | undefined): Promise<GitHttpConfig> {
  const config: GitHttpConfig = { extraHeaders: [] };
  if (!nativeGitAvailable()) return config;
  const [single, all] = await Promise.all([
    runNativeGit(['config', '-z', '--get-urlmatch', 'http', url], { cwd }).catch(() => null),
    // extraHeader is multi-valued and --get-urlmatch gives one value, so every entry is read in
    // config order and kept when its URL part matches; an empty value clears the list, as in git.
    runNativeGit(['config', '-z', '--get-regexp', '^http\\..*extraheader$'], { cwd }).catch(() => null),
  ]);
  if (single?.code === 0) {
    for (const entry of single.stdout.split('\0')) {
      const newline = entry.indexOf('\n');
      if (newline < 0) continue;
      const key = entry.slice(0, newline).toLowerCase();
      const value = entry.slice(newline + 1);
      if (key === 'http.proxy') config.proxy = value;
      else if (key === 'http.sslcainfo') config.sslCAInfo = value;
      else if (key === 'http.sslverify') config.sslVerify = value;
    }
  }
  if (all?.code === 0) {
    for (const entry of all.stdout.split('\0')) {
      const newline = entry.indexOf('\n');
      if (newline < 0) continue;
      const key = entry.slice(0, newline);
      const value = entry.slice(newline + 1);
      const scope = key.slice('http.'.length, key.length - '.extraheader'.length);
      if (key.toLowerCase() !== 'http.extraheader' && !configUrlMatches(scope, url)) continue;
      if (value === '') config.extraHeaders = [];
      else config.extraHeaders.push(value);
    }
  }
  return config;
}

/** git's `http.<url>.*` matching: same scheme and host (a `*.` label matches one label), the path a prefix at a `/`. */
export function configUrlMatches(pattern: string, url: string): boolean {
  let configured: URL;
  let target: URL;
  try {
    configured = new URL(pattern.replace('://*.', '://wildcard-label.'));
    target = new URL(url);
  } catch {
    return false;
  }
  if (configured.protocol !== target.protocol) return false;
  const patternHost = pattern.includes('://*.') ? configured.hostname.replace(/^wildcard-label\./, '') : configured.hostname;
  if (pattern.includes('://*.')) {
    const labels = target.hostname.split('.');
    if (labels.slice(1).join('.') !== patternHost) return false;
  } else if (patternHost !== target.hostname) return false;
  if (configured.port !== target.port) return false;
  if (configured.username && decodeURIComponent(configured.username) !== decodeURIComponent(target.username)) return false;
  const prefix = configured.pathname.replace(/\/+$/, '');
  return prefix === '' || target.pathname === prefix || target.pathname.startsWith(`${prefix}/`);
}

/**
 * `NO_PROXY` / `no_proxy` as curl (and so git) reads it: `*`; host names, a leading `.` or `*.`
 * allowed, matching the name and the names under it; addresses, matched whole or by a CIDR range
 * (`10.0.0.0/8`), never by a suffix; each with an optional `:port`.
 */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const hostPort = bracketed ? [bracketed[1], bracketed[2]] : entry.split(':').length === 2 ? entry.split(':') : [entry, undefined];
    const entryHost = hostPort[0]!.replace(/^\*?\./, '');
    const entryPort = hostPort[1];
    if (entryPort && entryPort !== port) continue;
    if (family === 0 ? host === entryHost || host.endsWith(`.${entryHost}`) : addressMatches(host, family, entryHost)) return true;
  }
  return false;
}

/** An address against a `NO_PROXY` entry: the same address, or one in its CIDR range. */
function addressMatches(address: string, family: number, entry: string): boolean {
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const slash = entry.indexOf('/');
  const network = slash < 0 ? entry : entry.slice(0, slash);
  if (isIP(network) !== family) return false;
  const listed = new BlockList();
  try {
    if (slash < 0) listed.addAddress(network, type);
    else {
      const bits = Number(entry.slice(slash + 1));
      // curl matches nothing with a range of length 0
      if (bits === 0) return false;
      listed.addSubnet(network, bits, type);
    }
  } catch {
    // a prefix length that is not one: the entry matches nothing, as in curl
    return false;
  }
  return listed.check(address, type);
}

function proxyFromEnvironment(url: URL, env: NodeJS.ProcessEnv): { value: string; source: string } | undefined {
  // curl (and so git) reads lower case first; upper-case HTTP_PROXY is read too, as the README promises.
  const names = url.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'] : ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];
  // As in curl, the first one set wins, even set empty (which means no proxy).
  for (const name of names) if (env[name] !== undefined) return env[name] ? { value: env[name], source: name } : undefined;
  return undefined;
}

function normalizeProxy(value: string, source: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new SyncConfigError(`The proxy in ${source} is not a valid URL: set it to http://host:port.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SyncConfigError(
      `The proxy in ${source} uses ${parsed.protocol.replace(':', '')}, which planalign-sync cannot use: set an http:// or https:// proxy there.`,
    );
  }
  return parsed.href;
}

/** The operating system's trusted roots, where Node can tell them (newer Node asks the OS; on Node 20, Debian's bundle). */
async function systemCertificates(alreadyRead: Set<string>): Promise<string[]> {
  const fromNode = (nodeTls() as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  if (typeof fromNode === 'function') {
    try {
      return fromNode('system');
    } catch {
      // an older Node without the 'system' store
    }
  }
  for (const bundle of ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']) {
    if (existsSync(bundle)) return alreadyRead.has(bundle) ? [] : [await fsp.readFile(bundle, 'utf8')];
  }
  return [];
}

async function readCertificateFile(file: string, source: string): Promise<string> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw new SyncConfigError(
      `The certificate file ${file} named by ${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): fix the path or unset ${source}.`,
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new SyncConfigError(`The file ${file} named by ${source} holds no PEM certificate: point ${source} at a .pem/.crt file.`);
  }
  return text;
}

function parseExtraHeader(line: string): [string, string] {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    // The value may be a secret (an Authorization header), so it is never repeated.
    throw new SyncConfigError(`A git http.extraHeader setting is not "Name: value": fix it with git config --global --edit.`);
  }
  return [name, line.slice(colon + 1).trim()];
}

let warnedNoVerify = false;

export async function resolveNetworkSettings(url: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<NetworkSettings> {
  const env = options.env ?? process.env;
  const target = new URL(url);
  const git = await readGitHttpConfig(url, options.cwd);

  // git's http.proxy takes precedence over the variables; an empty one means "no proxy".
  let proxy: string | null = null;
  const configured = git.proxy !== undefined ? { value: git.proxy, source: 'git config http.proxy' } : proxyFromEnvironment(target, env);
  // no_proxy set, even empty, is read before NO_PROXY, as curl reads them
  if (configured?.value && !bypassesProxy(target, env.no_proxy ?? env.NO_PROXY)) proxy = normalizeProxy(configured.value, configured.source);

  const extraCertificates: string[] = [];
  let verifyCertificates = true;
  if (target.protocol === 'https:') {
    const files: { file: string; source: string }[] = [];
    // As in git, GIT_SSL_CAINFO wins over http.sslCAInfo.
    if (env.GIT_SSL_CAINFO) files.push({ file: env.GIT_SSL_CAINFO, source: 'GIT_SSL_CAINFO' });
    else if (git.sslCAInfo) files.push({ file: git.sslCAInfo, source: 'git config http.sslCAInfo' });
    // Node reads NODE_EXTRA_CA_CERTS into its default context only; the shared context here adds it again.
    if (env.NODE_EXTRA_CA_CERTS) files.push({ file: env.NODE_EXTRA_CA_CERTS, source: 'NODE_EXTRA_CA_CERTS' });
    if (env.SSL_CERT_FILE) files.push({ file: env.SSL_CERT_FILE, source: 'SSL_CERT_FILE' });
    // Many machines point several of these at the same bundle: each file is read once.
    const read = new Set<string>();
    for (const { file, source } of files) {
      if (read.has(file)) continue;
      read.add(file);
      extraCertificates.push(await readCertificateFile(file, source));
    }
    const system = await systemCertificates(read);
    extraCertificates.push(...system);
    const off = /^(false|no|off|0)$/i;
    if ((git.sslVerify !== undefined && off.test(git.sslVerify.trim())) || (env.GIT_SSL_NO_VERIFY !== undefined && env.GIT_SSL_NO_VERIFY !== '')) {
      verifyCertificates = false;
      if (!warnedNoVerify) {
        warnedNoVerify = true;
        process.emitWarning(
          `TLS certificate checks are off for ${target.origin} because git's http.sslVerify is false (or GIT_SSL_NO_VERIFY is set): anyone on the network can read and change what is synced. Trust the server's certificate authority instead (http.sslCAInfo).`,
          { code: 'PLANALIGN_SYNC_TLS_UNVERIFIED' },
        );
      }
    }
  }
  return {
    proxy,
    proxySource: proxy ? configured!.source : null,
    extraCertificates: [...new Set(extraCertificates)],
    verifyCertificates,
    extraHeaders: git.extraHeaders.map(parseExtraHeader),
  };
}

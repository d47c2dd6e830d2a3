import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import os from 'node:os';
import type { RequestHandler } from 'express';
import { HttpError } from './http-errors.js';

/**
 * DNS rebinding: a page on evil.example makes its name resolve to 127.0.0.1, and the browser then
 * sends it our way as a same-origin request (`Host: evil.example:8765`). Origin and Sec-Fetch-Site
 * checks cannot tell it apart; only the name the browser asked for can. So every request, the
 * dashboard's files included, must name this server by a name it knows, as Vite's
 * `server.allowedHosts` and webpack-dev-server's `allowedHosts` require.
 */
export const ALLOWED_HOSTS_VARIABLE = 'PLANALIGN_SYNC_API_ALLOWED_HOSTS';
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/**
 * The name in a `Host` header, lower-cased, without its port, brackets or a final dot
 * (`[::1]:8765` → `::1`, `LocalHost.:80` → `localhost`), or null when it is not a host name.
 */
export function hostName(header: string): string | null {
  const text = header.trim().toLowerCase();
  let name: string;
  let port: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return null;
    name = text.slice(1, end);
    port = text.slice(end + 1);
    if (port && !port.startsWith(':')) return null;
    port = port.slice(1);
    if (isIP(name) !== 6) return null;
  } else {
    const colon = text.indexOf(':');
    name = colon >= 0 ? text.slice(0, colon) : text;
    port = colon >= 0 ? text.slice(colon + 1) : '';
  }
  if (!/^\d{0,5}$/.test(port)) return null;
  name = name.replace(/\.$/, '');
  return name && /^[a-z0-9._:-]+$/.test(name) ? name : null;
}

/** Names given in the setting or the flag: comma- or space-separated, ports and brackets allowed. */
export function parseAllowedHosts(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => hostName(entry) ?? entry.toLowerCase());
}

/**
 * The names and addresses this server is reached by when it listens on `host` beyond loopback:
 * the address itself, the addresses a name resolves to, and for a wildcard address the machine's
 * name and the address of each of its interfaces.
 */
export async function namesOfListeningAddress(host: string | undefined): Promise<string[]> {
  const address = (host ?? '').replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.includes(address)) return [];
  if (WILDCARD_ADDRESSES.has(address)) {
    const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
    return [os.hostname().toLowerCase(), ...interfaces.map((entry) => entry.address.toLowerCase().replace(/%.*$/, ''))];
  }
  if (isIP(address)) return [address];
  const resolved = await dns.lookup(address, { all: true }).catch(() => []);
  return [address, ...resolved.map((entry) => entry.address.toLowerCase())];
}

function describeAllowed(extra: string[]): string {
  const names = [...LOOPBACK_NAMES.map((name) => (name.includes(':') ? `[${name}]` : name)), ...extra];
  return names.join(', ');
}

/** Refuses (403) every request whose `Host` is not loopback or one of `allowed`. */
export function allowedHostsOnly(allowed: string[] = []): RequestHandler {
  const names = new Set([...LOOPBACK_NAMES, ...allowed.map((name) => hostName(name) ?? name.toLowerCase())]);
  const extra = [...names].filter((name) => !LOOPBACK_NAMES.includes(name));
  return (request, _response, next) => {
    const header = request.headers.host ?? '';
    const name = hostName(header);
    if (name !== null && names.has(name)) return next();
    const shown = JSON.stringify(header.slice(0, 100));
    next(
      new HttpError(
        403,
        'host_not_allowed',
        `This sync server answers only to ${describeAllowed(extra)}; this request named it ${shown}. ` +
          `To reach it by another name, add that name to ${ALLOWED_HOSTS_VARIABLE} (or --allowed-hosts) where the server is started.`,
      ),
    );
  };
}

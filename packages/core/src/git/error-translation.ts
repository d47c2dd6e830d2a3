import { SyncAuthError, SyncConfigError, SyncError, SyncNetworkError, SyncProxyAuthError, SyncProxyError } from '../errors.js';
import { redactUrl, urlHasPassword } from '../models/remote-url.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** Failures to open a connection at all (not one that broke off). */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** A proxy's address without its login. */
const proxyAddress = (url: string) => redactUrl(url).replace(/\/$/, '');

const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** An HTTP answer other than success from the remote. */
export class RemoteHttpError extends Error {
  constructor(
    readonly status: number,
    /** the proxy answered, refusing to open a tunnel to the remote */
    readonly fromProxy = false,
  ) {
    super(`HTTP ${status}`);
  }
}

/** The proxy a request went through, for messages: its address and where it was set. */
export interface ProxyUsed {
  url: string;
  /** the variable's name (`https_proxy`) or "git config http.proxy" */
  source: string;
}

/**
 * Maps what the transport and node throw to the SyncError classes, with a sentence that
 * names the remote (credentials stripped) and, when a proxy was in the way, the proxy.
 */
export function translateRemoteError(error: unknown, url: string, proxy?: ProxyUsed | null): SyncError {
  if (error instanceof SyncError) return error;
  const remote = redactUrl(url);
  const codes = causeCodes(error);
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof RemoteHttpError ? error.status : undefined;
  const theProxy = proxy ? `The proxy ${proxyAddress(proxy.url)} (set by ${proxy.source})` : 'The proxy';
  // A 407 is always a proxy's: the remote itself never asks for a proxy login, and was not asked.
  if (status === 407) {
    const where = proxy?.source ?? 'the proxy setting';
    return new SyncProxyAuthError(
      proxy && urlHasPassword(proxy.url)
        ? `${theProxy} refused the login given in ${where} (HTTP 407) before letting this computer reach ${remote}: the remote was not asked. Check the user name and password there; your local work is safe.`
        : `${theProxy} asked for a login (HTTP 407) before letting this computer reach ${remote}: the remote was not asked. ` +
            `Put the proxy's user name and password in ${where}, before its host name (NAME:PASSWORD@host:port); your local work is safe.`,
    );
  }
  if (error instanceof RemoteHttpError && error.fromProxy) {
    const why = status === 502 || status === 504 ? ': it could not reach the remote' : status === 403 ? ': it does not allow this address' : '';
    return new SyncProxyError(`${theProxy} would not connect to ${remote} (HTTP ${status}${why}). Your local work is safe.`);
  }
  // Through a proxy, every connection this computer makes is to the proxy.
  const unreachable = codes.find((code) => CONNECT_CODES.has(code));
  if (proxy && unreachable) {
    return new SyncProxyError(
      `Could not reach the proxy ${proxyAddress(proxy.url)} (set by ${proxy.source}) on the way to ${remote} (${unreachable}). Your local work is safe; sync again when the proxy answers.`,
    );
  }
  if (status === 401) {
    return new SyncAuthError(
      `The remote ${remote} refused the credentials (HTTP 401): no access token was given, or the one given (PLANALIGN_SYNC_TOKEN, a saved login or Git's credential helper) is wrong, expired or has no access to this repository.`,
    );
  }
  if (status === 403) {
    return new SyncAuthError(`The remote ${remote} denied access (HTTP 403). Check that your token may read and write this repository.`);
  }
  if (status === 404) {
    return new SyncConfigError(
      `No Git repository found at ${remote} (HTTP 404): the address may be wrong, or the repository missing or hidden from this computer's access token.`,
      { next: { action: 'change_address' } },
    );
  }
  if (status === 413) {
    return new SyncError(
      `The remote ${remote} refused the upload as too large (HTTP 413): a limit on request size in the server or a proxy in front of it (for nginx, client_max_body_size). Nothing changed on the remote and your local work is safe; raise that limit, then push again.`,
    );
  }
  if (typeof status === 'number' && status >= 500) {
    return new SyncNetworkError(`The remote ${remote} failed with HTTP ${status}. Your local work is safe; try again later.`);
  }
  const certificate = codes.find((code) => CERTIFICATE_CODES.has(code));
  if (certificate) {
    return new SyncNetworkError(
      `The remote ${remote} presented a certificate this machine does not trust (${certificate}). If your company uses its own certificate authority, point git's http.sslCAInfo, GIT_SSL_CAINFO or NODE_EXTRA_CA_CERTS at its root certificate (a .pem file), or install it in the system's certificate store; your local work is safe.`,
    );
  }
  if (codes.some((code) => NETWORK_CODES.has(code)) || /socket hang up|network|timed out/i.test(message)) {
    return new SyncNetworkError(
      `Could not reach the remote ${remote} (${codes.find((c) => NETWORK_CODES.has(c)) ?? 'connection failed'}). Your local work is safe; sync again when the remote is reachable.`,
    );
  }
  if (codes.includes('MalformedWireError')) {
    return new SyncNetworkError(
      `The remote ${remote} sent an answer that is not valid Git protocol (${redactUrl(message)}). Nothing was changed here; try again, and if it keeps happening, the server or a proxy in between is damaging its answers.`,
    );
  }
  if (codes.includes('SmartHttpError')) {
    return new SyncConfigError(`The remote ${remote} did not answer like a Git server (${redactUrl(message)}). Check the URL; your local work is safe.`);
  }
  return new SyncError(`Talking to the remote ${remote} failed: ${redactUrl(message)}`, { cause: error });
}

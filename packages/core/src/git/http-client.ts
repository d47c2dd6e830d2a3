import { createHash } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type tls from 'node:tls';
import type { NetworkSettings } from './network-settings.js';
import { nodeHttp, nodeHttps, nodeTls } from './node-network-modules.js';

/**
 * Sends HTTP requests the way the user's network needs them: through their proxy, trusting
 * their certificate authorities, with git's extra headers. Node's own http and https modules
 * carry them, with the response parser built into Node: a fetch implementation took about 0.1 s
 * of loading and compiling on every command that reached a remote. A proxy is used as curl uses
 * it for git: a CONNECT tunnel to an https remote (https-proxy-agent), absolute URLs to an http
 * one (http-proxy-agent), both loaded only when a proxy is set. A connection is kept for the
 * command's next request to the same place; idle ones do not keep the process alive.
 */

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** A buffer goes whole, with a Content-Length; an iterable is streamed in chunks as it yields them. */
  body?: Buffer | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  /** A header's value (several joined with ", "), null when absent. */
  header(name: string): string | null;
  /** The body as it arrives. */
  body: AsyncIterable<Buffer>;
  /** Drops what is left of the body and releases the connection. */
  discard(): void;
  /** The answer is the proxy's: it would not open a tunnel to the remote. */
  fromProxy: boolean;
}

const connections = new Map<string, Connection>();

const certificateBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

/**
 * Node's roots plus the user's certificates, built once per process: only certificates Node
 * does not already ship are added (the system bundle mostly repeats them), and one context is
 * shared by every connection, since parsing a few hundred certificates per connection costs
 * about 0.3 ms each.
 */
function secureContextFor(extraCertificates: string[]): tls.SecureContext | undefined {
  // Reading Node's own roots costs milliseconds: not for a plain-HTTP remote, which has no certificates to add.
  if (extraCertificates.length === 0) return undefined;
  const tls = nodeTls();
  const known = new Set(tls.rootCertificates.map(certificateBody));
  const added: string[] = [];
  for (const bundle of extraCertificates) {
    for (const pem of bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      const body = certificateBody(pem);
      if (known.has(body)) continue;
      known.add(body);
      added.push(pem);
    }
  }
  if (added.length === 0) return undefined;
  const context = tls.createSecureContext();
  const store = context.context as { addCACert(pem: string): void };
  for (const pem of added) {
    try {
      store.addCACert(pem);
    } catch {
      // A certificate OpenSSL cannot parse is left out; the others still count.
    }
  }
  return context;
}

interface Connection {
  agent: http.Agent;
  /** TLS options for the remote itself: a proxy agent takes them from each request */
  tlsOptions: tls.ConnectionOptions;
}

/** One pool of connections per kind of remote and set of settings, with its certificates read once. */
async function connectionFor(secure: boolean, settings: NetworkSettings): Promise<Connection> {
  const certificates = createHash('sha256').update(settings.extraCertificates.join('\n')).digest('hex');
  const key = JSON.stringify([secure, settings.proxy, settings.verifyCertificates, certificates]);
  const known = connections.get(key);
  if (known) return known;
  const secureContext = secure || settings.proxy?.startsWith('https:') ? secureContextFor(settings.extraCertificates) : undefined;
  const tlsOptions: tls.ConnectionOptions = { ...(secureContext ? { secureContext } : {}), rejectUnauthorized: settings.verifyCertificates };
  let agent: http.Agent;
  if (settings.proxy) {
    // The agent's own options are those of the connection to the proxy (an https:// proxy is reached over TLS too).
    agent = secure
      ? new (await import('https-proxy-agent')).HttpsProxyAgent(settings.proxy, { keepAlive: true, ...tlsOptions })
      : new (await import('http-proxy-agent')).HttpProxyAgent(settings.proxy, { keepAlive: true, ...tlsOptions });
  } else {
    agent = secure ? new (nodeHttps().Agent)({ keepAlive: true, ...tlsOptions }) : new (nodeHttp().Agent)({ keepAlive: true });
  }
  const connection = { agent, tlsOptions };
  connections.set(key, connection);
  return connection;
}

/** One request, never following a redirect: the caller decides which redirects git would follow. */
export async function sendHttpRequest(url: string, request: HttpRequest, settings: NetworkSettings): Promise<HttpResponse> {
  const target = new URL(url);
  // Credentials go in headers the caller chose, never from a user name in an address (a redirect's, say).
  target.username = target.password = '';
  const secure = target.protocol === 'https:';
  const headers: Record<string, string> = {};
  for (const [name, value] of settings.extraHeaders) headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  Object.assign(headers, request.headers);
  const { agent, tlsOptions } = await connectionFor(secure, settings);
  request.signal?.throwIfAborted();
  return new Promise<HttpResponse>((resolve, reject) => {
    const outgoing = (secure ? nodeHttps() : nodeHttp()).request(target, {
      method: request.method,
      headers,
      agent,
      signal: request.signal,
      ...(secure ? tlsOptions : {}),
    });
    // https-proxy-agent hands a refused tunnel's answer on as the response; this tells it apart.
    let tunnelRefused = false;
    outgoing.once('proxyConnect', (answer: { statusCode: number }) => (tunnelRefused = answer.statusCode !== 200));
    outgoing.once('error', reject);
    outgoing.once('response', (incoming) => resolve(responseOf(incoming, tunnelRefused)));
    const body = request.body;
    if (body === undefined || Buffer.isBuffer(body)) outgoing.end(body);
    // An error of the body's source (or of the connection) ends the request with it.
    else pipeline(Readable.from(body), outgoing).catch(reject);
  });
}

function responseOf(incoming: http.IncomingMessage, fromProxy: boolean): HttpResponse {
  const status = incoming.statusCode ?? 0;
  return {
    status,
    fromProxy,
    ok: status >= 200 && status < 300,
    header(name) {
      const value = incoming.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    body: incoming,
    discard() {
      incoming.destroy();
    },
  };
}

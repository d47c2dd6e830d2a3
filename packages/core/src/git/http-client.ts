import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { Dispatcher } from 'undici';
import type { NetworkSettings } from './network-settings.js';

/**
 * Sends HTTP requests the way the user's network needs them: through their proxy, trusting
 * their certificate authorities, with git's extra headers. undici's own fetch is used because
 * Node's built-in one takes no proxy or certificate settings. Connections are pooled per set
 * of settings; idle ones do not keep the process alive.
 */
const importUndici = () => import('undici');
type Undici = Awaited<ReturnType<typeof importUndici>>;
export type HttpResponse = Awaited<ReturnType<Undici['fetch']>>;

/** Loaded on the first request: about 60 ms that commands which never reach a remote do not pay. */
let undici: Promise<Undici> | null = null;
const loadUndici = () => (undici ??= importUndici());

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

const dispatchers = new Map<string, Dispatcher>();

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

function dispatcherFor({ Agent, ProxyAgent }: Undici, settings: NetworkSettings): Dispatcher {
  const certificates = createHash('sha256').update(settings.extraCertificates.join('\n')).digest('hex');
  const key = JSON.stringify([settings.proxy, settings.verifyCertificates, certificates]);
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const secureContext = secureContextFor(settings.extraCertificates);
    const connect = { ...(secureContext ? { secureContext } : {}), rejectUnauthorized: settings.verifyCertificates };
    dispatcher = settings.proxy ? new ProxyAgent({ uri: settings.proxy, requestTls: connect, proxyTls: connect }) : new Agent({ connect });
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/** One request, never following a redirect: the caller decides which redirects git would follow. */
export async function sendHttpRequest(url: string, request: HttpRequest, settings: NetworkSettings): Promise<HttpResponse> {
  const client = await loadUndici();
  const headers: Record<string, string> = {};
  for (const [name, value] of settings.extraHeaders) headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  Object.assign(headers, request.headers);
  const streamed = request.body instanceof ReadableStream;
  return client.fetch(url, {
    method: request.method,
    headers,
    body: request.body as never,
    ...(streamed ? { duplex: 'half' as const } : {}),
    redirect: 'manual',
    signal: request.signal,
    dispatcher: dispatcherFor(client, settings),
  });
}

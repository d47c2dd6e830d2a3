import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { Agent, fetch as undiciFetch, ProxyAgent, type Dispatcher } from 'undici';
import type { NetworkSettings } from './network-settings.js';

/**
 * Sends HTTP requests the way the user's network needs them: through their proxy, trusting
 * their certificate authorities, with git's extra headers. undici's own fetch is used because
 * Node's built-in one takes no proxy or certificate settings. Connections are pooled per set
 * of settings; idle ones do not keep the process alive.
 */
export type HttpResponse = Awaited<ReturnType<typeof undiciFetch>>;

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

const dispatchers = new Map<string, Dispatcher>();

function dispatcherFor(settings: NetworkSettings): Dispatcher {
  const certificates = createHash('sha256').update(settings.extraCertificates.join('\n')).digest('hex');
  const key = JSON.stringify([settings.proxy, settings.verifyCertificates, certificates]);
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    // A custom list replaces Node's roots, so they are kept and the user's are added to them.
    const ca = settings.extraCertificates.length > 0 ? [...tls.rootCertificates, ...settings.extraCertificates] : undefined;
    const connect = { ...(ca ? { ca } : {}), rejectUnauthorized: settings.verifyCertificates };
    dispatcher = settings.proxy ? new ProxyAgent({ uri: settings.proxy, requestTls: connect, proxyTls: connect }) : new Agent({ connect });
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/** One request, never following a redirect: the caller decides which redirects git would follow. */
export function sendHttpRequest(url: string, request: HttpRequest, settings: NetworkSettings): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of settings.extraHeaders) headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  Object.assign(headers, request.headers);
  const streamed = request.body instanceof ReadableStream;
  return undiciFetch(url, {
    method: request.method,
    headers,
    body: request.body as never,
    ...(streamed ? { duplex: 'half' as const } : {}),
    redirect: 'manual',
    signal: request.signal,
    dispatcher: dispatcherFor(settings),
  });
}

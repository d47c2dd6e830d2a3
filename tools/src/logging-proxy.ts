import http from 'node:http';
import net, { type Socket } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 that records what went through it: HTTPS as CONNECT tunnels,
 * plain HTTP as absolute-URL requests. Tests use it to prove traffic took the proxy, and that
 * NO_PROXY hosts did not. Optional Basic credentials stand for a proxy that wants a login.
 */
export interface ProxiedRequest {
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise */
  target: string;
  /** whether a Proxy-Authorization header came with it */
  authorized: boolean;
}

export interface LoggingProxy {
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  stop(): Promise<void>;
}

export async function startLoggingProxy(options: { auth?: { username: string; password: string } } = {}): Promise<LoggingProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const expected = options.auth ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` : null;
  const allowed = (header: string | undefined) => expected === null || header === expected;

  const server = http.createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', target: request.url ?? '', authorized: !!request.headers['proxy-authorization'] });
    if (!allowed(request.headers['proxy-authorization'])) {
      response.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(request.url ?? '');
    } catch {
      response.writeHead(400).end('absolute URL expected\n');
      return;
    }
    const headers = { ...request.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      { host: target.hostname, port: target.port || 80, path: `${target.pathname}${target.search}`, method: request.method, headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    // As a real proxy does, a remote it cannot reach is answered with 502 Bad Gateway.
    upstream.on('error', () => (response.headersSent ? response.destroy() : response.writeHead(502).end('cannot reach the remote\n')));
    request.pipe(upstream);
  });
  server.on('connect', (request: http.IncomingMessage, client: Socket, head: Buffer) => {
    requests.push({ method: 'CONNECT', target: request.url ?? '', authorized: !!request.headers['proxy-authorization'] });
    if (!allowed(request.headers['proxy-authorization'])) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n\r\n');
      return;
    }
    const [host, port] = (request.url ?? '').split(/:(?=\d+$)/);
    let established = false;
    const upstream = net.connect(Number(port), host!.replace(/^\[|\]$/g, ''), () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => (established ? client.destroy() : client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')));
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

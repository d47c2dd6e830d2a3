import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to the requests it relays. Faults can be limited to one Git service
 * (`upload-pack` is fetching, `receive-pack` is pushing; `info/refs` asks either for refs).
 */
export type Fault =
  | { kind: 'none' }
  /** answer with this status instead of relaying (500: the server broke; 401: the token expired) */
  | { kind: 'status'; status: number; only?: GitService }
  /** relay, then cut the connection after this many bytes of the answer (a reset in the middle of a pack) */
  | { kind: 'reset-answer'; afterBytes: number; only?: GitService }
  /** cut the connection after this many bytes of the request have arrived (a reset in the middle of an upload) */
  | { kind: 'reset-request'; afterBytes: number; only?: GitService }
  /** relay the answer in small pieces with a pause between them */
  | { kind: 'slow'; bytesPerChunk: number; pauseMs: number; only?: GitService }
  /** accept the request and never answer */
  | { kind: 'stall'; only?: GitService };

export type GitService = 'info-refs' | 'upload-pack' | 'receive-pack';

export interface FaultProxy {
  /** the proxy's address: use `${baseUrl}/<repo>.git` where the Git server's URL would go */
  readonly baseUrl: string;
  /** requests that met a fault */
  readonly faulted: number;
  setFault(fault: Fault): void;
  /** stops listening, so that connections are refused, until `resume` */
  refuse(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

function serviceOf(request: http.IncomingMessage): GitService | null {
  const url = request.url ?? '';
  if (url.includes('/info/refs')) return 'info-refs';
  if (url.endsWith('/git-upload-pack')) return 'upload-pack';
  if (url.endsWith('/git-receive-pack')) return 'receive-pack';
  return null;
}

/**
 * A loopback HTTP proxy in front of the test Git server that injects network faults, so the
 * fault suite exercises the real client against refused connections, resets, slowness, server
 * errors and expired credentials.
 */
export async function startFaultProxy(target: string, options: { port?: number } = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  let fault: Fault = { kind: 'none' };
  let faulted = 0;
  const sockets = new Set<Socket>();

  const applies = (request: http.IncomingMessage) => fault.kind !== 'none' && (!('only' in fault) || !fault.only || fault.only === serviceOf(request));

  const server = http.createServer((request, response) => {
    const active = applies(request) ? fault : ({ kind: 'none' } as Fault);
    if (active.kind !== 'none') faulted += 1;
    if (active.kind === 'status') {
      request.resume();
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'text/plain' };
      if (active.status === 401) headers['WWW-Authenticate'] = 'Basic realm="planalign-sync-test"';
      response.writeHead(active.status, headers);
      response.end(`fault injected: HTTP ${active.status}\n`);
      return;
    }
    if (active.kind === 'stall') {
      request.resume();
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (active.kind === 'reset-answer') {
            const room = active.afterBytes - sent;
            if (room <= 0) return;
            sent += chunk.length;
            response.write(chunk.subarray(0, room));
            if (sent >= active.afterBytes) {
              answer.destroy();
              response.socket?.destroy();
            }
            return;
          }
          if (active.kind === 'slow') {
            answer.pause();
            void (async () => {
              for (let offset = 0; offset < chunk.length; offset += active.bytesPerChunk) {
                response.write(chunk.subarray(offset, offset + active.bytesPerChunk));
                await new Promise((resolve) => setTimeout(resolve, active.pauseMs));
              }
              answer.resume();
            })();
            return;
          }
          response.write(chunk);
        });
        answer.on('end', () => {
          if (active.kind !== 'slow') {
            if (!response.destroyed) response.end();
            return;
          }
          // The last pieces may still be on their way.
          const finish = () => (answer.isPaused() ? setTimeout(finish, active.pauseMs) : response.end());
          finish();
        });
      },
    );
    forward.on('error', () => response.socket?.destroy());
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      if (active.kind === 'reset-request') {
        received += chunk.length;
        if (received >= active.afterBytes) {
          forward.destroy();
          request.socket.destroy();
          return;
        }
      }
      forward.write(chunk);
    });
    request.on('end', () => forward.end());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number) => new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  const port = await listen(options.port ?? 0);

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    get faulted() {
      return faulted;
    },
    setFault(next) {
      fault = next;
    },
    refuse: close,
    resume: async () => {
      await listen(port);
    },
    stop: close,
  };
}

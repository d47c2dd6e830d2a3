import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real smart-HTTP Git server on 127.0.0.1 for tests, the demo and benchmarks:
 * `git http-backend` run as a CGI program behind node:http, with optional Basic auth. Its
 * command line (`tools/src/bin/git-server.ts`) serves repositories until Ctrl-C. It depends on
 * nothing of planalign-sync, so every package (core included) can test against it.
 */
export interface GitServerOptions {
  /** folder holding the bare repositories; default: a new temporary folder */
  projectRoot?: string;
  /** default 0: any free port */
  port?: number;
  /** when set, every request needs these HTTP Basic credentials */
  auth?: { username: string; password: string };
  /**
   * credentials that may read but not write, as a host's read-only token: accepted for fetching,
   * answered 403 for pushing (receive-pack, its ref listing included)
   */
  readOnlyAuth?: { username: string; password: string };
  /** a delay before each answer, standing for a slow network */
  latencyMs?: number;
  /** told when `git http-backend` fails, with its exit status and what it wrote to stderr */
  onBackendError?: (report: string) => void;
}

/** One request body the server took in: how it was framed and how large it was. */
export interface ReceivedBody {
  path: string;
  /** the Content-Length header, or null for a chunked upload */
  contentLength: number | null;
  bytes: number;
}

export interface GitServer {
  readonly baseUrl: string;
  readonly projectRoot: string;
  /** how many requests were served */
  readonly requests: number;
  /** the bodies of POST requests, oldest first */
  readonly receivedBodies: readonly ReceivedBody[];
  createRepo(name: string, options?: { defaultBranch?: string }): Promise<string>;
  repoPath(name: string): string;
  setAuth(auth: { username: string; password: string } | undefined): void;
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

function checkAuth(header: string | undefined, auth: { username: string; password: string }): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return decoded.slice(0, colon) === auth.username && decoded.slice(colon + 1) === auth.password;
}

/** Splits the CGI program's header block from its body and relays both. */
function relayCgiResponse(backend: ChildProcess, response: http.ServerResponse): void {
  let pending = Buffer.alloc(0);
  let headersSent = false;
  backend.stdout!.on('data', (chunk: Buffer) => {
    if (headersSent) {
      response.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    let end = pending.indexOf('\r\n\r\n');
    let separator = 4;
    if (end < 0) {
      end = pending.indexOf('\n\n');
      separator = 2;
    }
    if (end < 0) return;
    let status = 200;
    for (const line of pending.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    headersSent = true;
    response.write(pending.subarray(end + separator));
  });
  backend.stdout!.on('end', () => {
    if (!headersSent) response.writeHead(502);
    response.end();
  });
}

export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const projectRoot = options.projectRoot ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-git-server-')));
  await fsp.mkdir(projectRoot, { recursive: true });
  let auth = options.auth;
  let requests = 0;
  const receivedBodies: ReceivedBody[] = [];
  let latencyMs = options.latencyMs ?? 0;
  const sockets = new Set<Socket>();
  const backends = new Set<ChildProcess>();

  const server = http.createServer((request, response) => {
    if (latencyMs > 0) setTimeout(() => serve(request, response), latencyMs);
    else serve(request, response);
  });

  function serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    requests += 1;
    const readOnly = options.readOnlyAuth && checkAuth(request.headers.authorization, options.readOnlyAuth);
    if (readOnly && (request.url ?? '').includes('git-receive-pack')) {
      response.writeHead(403, { 'Content-Type': 'text/plain' });
      response.end('This token may not write to the repository\n');
      return;
    }
    if (auth && !readOnly && !checkAuth(request.headers.authorization, auth)) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="planalign-sync-test"', 'Content-Type': 'text/plain' });
      response.end('Authentication required\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: request.method ?? 'GET',
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      REMOTE_USER: auth?.username ?? 'anonymous',
      REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
      GIT_HTTP_MAX_REQUEST_BUFFER: '1000M',
      ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
      ...(request.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(request.headers['content-encoding']) } : {}),
      // Without a length, http-backend reads the body until end of input, which is what a chunked request needs.
      ...(request.headers['content-length'] ? { CONTENT_LENGTH: String(request.headers['content-length']) } : {}),
    };
    const backend = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    backends.add(backend);
    backend.on('close', () => backends.delete(backend));
    backend.on('error', () => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
    backend.stdin.on('error', () => undefined);
    let stderr = '';
    backend.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    backend.on('exit', (code, signal) => {
      if ((code !== 0 || stderr.trim()) && options.onBackendError) {
        options.onBackendError(`${request.method} ${url.pathname}: git http-backend exited ${signal ?? code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      }
    });
    if (request.method === 'POST') {
      const body: ReceivedBody = {
        path: url.pathname,
        contentLength: request.headers['content-length'] ? Number(request.headers['content-length']) : null,
        bytes: 0,
      };
      receivedBodies.push(body);
      request.on('data', (chunk: Buffer) => {
        body.bytes += chunk.length;
      });
    }
    request.pipe(backend.stdin);
    relayCgiResponse(backend, response);
  }
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    projectRoot,
    get requests() {
      return requests;
    },
    receivedBodies,
    repoPath: (name) => path.join(projectRoot, `${name}.git`),
    async createRepo(name, repoOptions = {}) {
      const repo = path.join(projectRoot, `${name}.git`);
      const branch = repoOptions.defaultBranch ?? 'main';
      const init = spawnSync('git', ['init', '-q', '--bare', `--initial-branch=${branch}`, repo], { encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`git init --bare failed: ${init.stderr}`);
      spawnSync('git', ['-C', repo, 'config', 'http.receivepack', 'true']);
      // As GitHub does: every object pushed is checked, so a malformed tree is refused.
      spawnSync('git', ['-C', repo, 'config', 'receive.fsckObjects', 'true']);
      return `${baseUrl}/${name}.git`;
    },
    setAuth(next) {
      auth = next;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async stop() {
      for (const backend of backends) backend.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Serves the repositories in `projectRoot` (default: a new temporary folder) on `port`, first
 * creating `repos` and printing their URLs, until SIGINT or SIGTERM; resolves once stopped.
 */
export async function serveGitRepositories(options: { projectRoot?: string; port: number; repos: readonly string[] }): Promise<void> {
  const server = await startGitServer({
    projectRoot: options.projectRoot,
    port: options.port,
    onBackendError: (report) => process.stderr.write(`${report}\n`),
  });
  process.stdout.write(`Git server listening on ${server.baseUrl}\n`);
  for (const name of options.repos) process.stdout.write(`${await server.createRepo(name)}\n`);
  let stopped = (): void => {};
  const stop = () => stopped();
  // Listening until the server is stopped: a second signal (Ctrl-C reaches npm too, which passes it on) is not fatal.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await new Promise<void>((resolve) => (stopped = resolve));
    await server.stop();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where Debian installs them; a non-root PATH may lack /usr/sbin. */
const programPath = (name: string): string | null => {
  for (const dir of ['/usr/sbin', '/usr/bin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
};

/**
 * What this server needs that a machine with only Node and git lacks (nginx, fcgiwrap, openssl):
 * the tests behind it are skipped, saying so, where these are missing, unless
 * PLANALIGN_REQUIRE_NGINX=1 (as in CI) makes the missing programs a failure.
 */
export function nginxGitServerMissing(): string[] {
  if (process.env.PLANALIGN_REQUIRE_NGINX === '1') return [];
  return ['nginx', 'fcgiwrap', 'openssl'].filter((name) => !programPath(name));
}

/**
 * A Git server the way many companies run one: nginx in front, fcgiwrap running
 * `git http-backend`, with Basic auth from an htpasswd file, optional TLS with the company's
 * own certificate, and redirects of moved repositories. Debian's nginx and fcgiwrap packages
 * (which .ci/run installs) and native git do the work; this module only writes their settings,
 * starts them on 127.0.0.1 and stops them.
 */
export interface NginxGitServerOptions {
  /** TLS certificate and key (PEM); without them the server speaks plain HTTP */
  tls?: { certFile: string; keyFile: string };
  /** when set, every Git request needs these Basic credentials */
  auth?: { username: string; password: string };
  /** path prefixes answered with a redirect to another prefix: `{ from: '/old', to: '/new', status: 301 }` */
  redirects?: { from: string; to: string; status: 301 | 302 | 307 | 308; onlyPost?: boolean }[];
  /** a header every request must carry (a gateway that wants git's http.extraHeader); others get 403 */
  requireHeader?: { name: string; value: string };
}

export interface NginxGitServer {
  readonly baseUrl: string;
  readonly projectRoot: string;
  /** one line per request nginx served: method, path, status */
  accessLog(): Promise<string[]>;
  createRepo(name: string, options?: { defaultBranch?: string }): Promise<string>;
  repoPath(name: string): string;
  /** installs a pre-receive hook (a shell script body) in a repository */
  setPreReceiveHook(name: string, script: string): Promise<void>;
  stop(): Promise<void>;
}

const HTTP_BACKEND = () => path.join(spawnSync('git', ['--exec-path'], { encoding: 'utf8' }).stdout.trim(), 'git-http-backend');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** The crypt(3) line htpasswd writes, made by openssl (no npm package needed for a test server). */
function htpasswdLine(username: string, password: string): string {
  const hash = spawnSync('openssl', ['passwd', '-apr1', '-stdin'], { input: password, encoding: 'utf8' });
  if (hash.status !== 0) throw new Error(`openssl passwd failed: ${hash.stderr}`);
  return `${username}:${hash.stdout.trim()}\n`;
}

function nginxConfig(dir: string, projectRoot: string, port: number, options: NginxGitServerOptions): string {
  const redirects = (options.redirects ?? []).map(({ from, to, status, onlyPost }) => {
    const target = `${to}/$1$is_args$args`;
    return onlyPost
      ? `    location ~ ^${from}/(.*)$ {\n      if ($request_method = POST) { return ${status} $scheme://$http_host${target}; }\n      rewrite ^${from}/(.*)$ ${to}/$1 last;\n    }`
      : `    location ~ ^${from}/(.*)$ { return ${status} $scheme://$http_host${target}; }`;
  });
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  proxy_temp_path ${dir}/tmp/proxy;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port}${options.tls ? ' ssl' : ''};
${options.tls ? `    ssl_certificate ${options.tls.certFile};\n    ssl_certificate_key ${options.tls.keyFile};\n` : ''}${redirects.join('\n')}
    location / {
${options.requireHeader ? `      if ($http_${options.requireHeader.name.toLowerCase().replace(/-/g, '_')} != "${options.requireHeader.value}") { return 403; }\n` : ''}${options.auth ? `      auth_basic "git";\n      auth_basic_user_file ${dir}/htpasswd;\n` : ''}      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME ${HTTP_BACKEND()};
      fastcgi_param GIT_PROJECT_ROOT ${projectRoot};
      fastcgi_param GIT_HTTP_EXPORT_ALL 1;
      fastcgi_param PATH_INFO $uri;
      fastcgi_param REMOTE_USER $remote_user;
      fastcgi_param GIT_PROTOCOL $http_git_protocol;
      fastcgi_param PATH ${process.env.PATH ?? '/usr/bin:/bin'};
      fastcgi_pass unix:${dir}/fcgiwrap.sock;
    }
  }
}
`;
}

export async function startNginxGitServer(options: NginxGitServerOptions = {}): Promise<NginxGitServer> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-nginx-'));
  const projectRoot = path.join(dir, 'repos');
  await fsp.mkdir(path.join(dir, 'tmp'), { recursive: true });
  await fsp.mkdir(projectRoot);
  if (options.auth) await fsp.writeFile(path.join(dir, 'htpasswd'), htpasswdLine(options.auth.username, options.auth.password));
  const port = await freePort();
  await fsp.writeFile(path.join(dir, 'nginx.conf'), nginxConfig(dir, projectRoot, port, options));

  const children: ChildProcess[] = [];
  const start = (command: string, args: string[]) => {
    // Its own process group, so stopping it stops the workers it forked too.
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on('error', (error) => (stderr += String(error)));
    children.push(child);
    return () => stderr;
  };
  const sbin = async (name: string) => programPath(name) ?? name;
  const fcgiStderr = start(await sbin('fcgiwrap'), ['-c', '4', '-s', `unix:${path.join(dir, 'fcgiwrap.sock')}`]);
  await waitFor(
    async () =>
      fsp.access(path.join(dir, 'fcgiwrap.sock')).then(
        () => true,
        () => false,
      ),
    `fcgiwrap (${fcgiStderr()})`,
  );
  const nginxStderr = start(await sbin('nginx'), ['-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  await waitFor(() => canConnect(port), `nginx (${nginxStderr()})`);

  const killAll = () => {
    for (const child of children) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  // The servers run in their own process groups, so a test process that ends without stop() must still take them along.
  process.once('exit', killAll);

  const baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const repoPath = (name: string) => path.join(projectRoot, `${name}.git`);
  return {
    baseUrl,
    projectRoot,
    repoPath,
    async accessLog() {
      const text = await fsp.readFile(path.join(dir, 'access.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => /"(\S+) (\S+) [^"]*" (\d{3})/.exec(line)?.slice(1).join(' ') ?? line);
    },
    async createRepo(name, repoOptions = {}) {
      const repo = repoPath(name);
      await fsp.mkdir(path.dirname(repo), { recursive: true });
      const init = spawnSync('git', ['init', '-q', '--bare', `--initial-branch=${repoOptions.defaultBranch ?? 'main'}`, repo], { encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`git init --bare failed: ${init.stderr}`);
      spawnSync('git', ['-C', repo, 'config', 'http.receivepack', 'true']);
      // As GitHub does: every object pushed is checked, so a malformed tree is refused.
      spawnSync('git', ['-C', repo, 'config', 'receive.fsckObjects', 'true']);
      return `${baseUrl}/${name}.git`;
    },
    async setPreReceiveHook(name, script) {
      const hook = path.join(repoPath(name), 'hooks', 'pre-receive');
      await fsp.writeFile(hook, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    },
    async stop() {
      const exited = children.map((child) =>
        child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null,
      );
      killAll();
      process.removeListener('exit', killAll);
      await Promise.all(exited);
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

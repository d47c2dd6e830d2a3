import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoggingProxy, type LoggingProxy } from '@planalign/sync-tools/logging-proxy';
import { nginxGitServerMissing, startNginxGitServer, type NginxGitServer } from '@planalign/git-test-server/nginx-git-server';
import { makeTestCertificates, type TestCertificates } from '@planalign/git-test-server/test-certificates';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { runPlanalign } from '@planalign/sync-tools/cli-runner';
import { remoteFiles, remoteHead, runCli, runJson, syncedTree, tempDir } from './harness.js';

/**
 * planalign-sync against a Git server run the way companies run one (nginx + fcgiwrap +
 * git-http-backend, Basic auth, a certificate from a private authority, redirects of moved
 * repositories, a pre-receive hook, a gateway wanting an extra header), through a forward
 * proxy, with native git beside it as the reference: where git works, sync must work too.
 */
const USER = { username: 'alice', password: 's3cret-pass' };

const missing = nginxGitServerMissing();
if (missing.length > 0) {
  process.stderr.write(
    `Skipping the tests behind nginx: ${missing.join(', ')} not installed (apt-get install nginx fcgiwrap openssl; .ci/run installs them).\n`,
  );
}

describe.skipIf(missing.length > 0)('behind nginx + fcgiwrap + git-http-backend', () => {
  let certs: TestCertificates;
  let server: NginxGitServer;
  let proxy: LoggingProxy;
  let port: string;

  beforeAll(async () => {
    certs = await makeTestCertificates(await tempDir('net-ca'));
    server = await startNginxGitServer({
      tls: certs,
      auth: USER,
      redirects: [
        { from: '/moved301', to: '', status: 301 },
        { from: '/moved307', to: '', status: 307 },
        { from: '/postmoved', to: '', status: 307, onlyPost: true },
      ],
    });
    port = new URL(server.baseUrl).port;
    proxy = await startLoggingProxy();
  });

  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
  });

  /** This machine's own certificate and proxy variables would hide what each test sets. */
  const CLEAN_NETWORK_ENV: NodeJS.ProcessEnv = Object.fromEntries(
    [
      'GIT_SSL_CAINFO',
      'GIT_SSL_NO_VERIFY',
      'NODE_EXTRA_CA_CERTS',
      'SSL_CERT_FILE',
      'SSL_CERT_DIR',
      'CURL_CA_BUNDLE',
      'HTTPS_PROXY',
      'https_proxy',
      'HTTP_PROXY',
      'http_proxy',
      'ALL_PROXY',
      'all_proxy',
      'NO_PROXY',
      'no_proxy',
    ].map((name) => [name, undefined]),
  );

  /** A HOME of its own (with an optional .gitconfig), so only the settings a test writes apply. */
  async function home(gitconfig = ''): Promise<string> {
    const dir = await tempDir('net-home');
    await fsp.writeFile(path.join(dir, '.gitconfig'), gitconfig);
    return dir;
  }

  /** The environment of a run: clean network variables, a HOME, and what the test adds. */
  function envWith(homeDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...CLEAN_NETWORK_ENV, HOME: homeDir, ...extra };
  }

  async function machine(name: string, withWorkspaces: boolean): Promise<string> {
    const root = path.join(await tempDir(`net-${name}`), 'workspaces');
    if (withWorkspaces) await generateWorkspaces({ root, ...PRESETS.demo });
    else await fsp.mkdir(root, { recursive: true });
    return root;
  }

  /** Native git as a child process; not spawnSync, which would stall the proxy running in this process. */
  function nativeGit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
  }

  const withoutSettingsFile = async (root: string) => {
    const tree = await syncedTree(root);
    tree.delete('.planalign-sync.yaml');
    return tree;
  };

  // Node itself reads NODE_EXTRA_CA_CERTS, so tests of other settings get past TLS with it even
  // in a build that would not read git's own certificate settings.
  const token = { PLANALIGN_SYNC_TOKEN: USER.password, PLANALIGN_SYNC_USERNAME: USER.username };
  const withUser = (url: string) => url.replace('https://', `https://${USER.username}:${USER.password}@`);

  describe('a server with a certificate from a private authority', () => {
    it('is refused without that authority, as by native git, and trusted through GIT_SSL_CAINFO, http.sslCAInfo, NODE_EXTRA_CA_CERTS and SSL_CERT_FILE', async () => {
      const url = await server.createRepo('tls');
      const root = await machine('tls', true);
      const bare = envWith(await home(), { ...token });

      const refused = await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: bare });
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('http.sslCAInfo');
      expect((await nativeGit(['ls-remote', withUser(url)], bare)).code).not.toBe(0);

      expect((await nativeGit(['ls-remote', withUser(url)], { ...bare, GIT_SSL_CAINFO: certs.caFile })).code).toBe(0);
      expect((await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: { ...bare, GIT_SSL_CAINFO: certs.caFile } })).code).toBe(0);
      const push = await runCli(['--root', root, 'sync', 'push'], { env: { ...bare, GIT_SSL_CAINFO: certs.caFile } });
      expect(push.code, push.stderr).toBe(0);
      expect(remoteFiles(server.repoPath('tls')).length).toBeGreaterThan(0);

      const viaGitConfig = envWith(await home(`[http]\n\tsslCAInfo = ${certs.caFile}\n`), { ...token });
      for (const env of [viaGitConfig, { ...bare, NODE_EXTRA_CA_CERTS: certs.caFile }, { ...bare, SSL_CERT_FILE: certs.caFile }]) {
        const pull = await runCli(['--root', root, 'sync', 'pull'], { env });
        expect(pull.code, pull.stderr).toBe(0);
      }
    });

    it("turns checks off only when git's http.sslVerify is false, and says so", async () => {
      const url = await server.createRepo('noverify');
      const root = await machine('noverify', true);
      const env = envWith(await home('[http]\n\tsslVerify = false\n'), { ...token });
      const init = await runCli(['--root', root, 'sync', 'init', '--remote', url], { env });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stderr).toContain('certificate checks are off');
    });
  });

  describe('a moved repository', () => {
    it('follows a 301 and a 307 on the first request only, and sends the uploads to the new place, like native git', async () => {
      const url = await server.createRepo('redir');
      const moved301 = url.replace('/redir.git', '/moved301/redir.git');
      const moved307 = url.replace('/redir.git', '/moved307/redir.git');
      const env = envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile });
      const a = await machine('redir-a', true);
      const b = await machine('redir-b', false);

      expect((await runCli(['--root', a, 'sync', 'init', '--remote', moved301], { env })).code).toBe(0);
      const push = await runCli(['--root', a, 'sync', 'push'], { env });
      expect(push.code, push.stderr).toBe(0);
      const init = await runCli(['--root', b, 'sync', 'init', '--remote', moved307], { env });
      expect(init.code, init.stderr).toBe(0);
      expect(await withoutSettingsFile(b)).toEqual(await withoutSettingsFile(a));

      const log = await server.accessLog();
      expect(log).toContain('POST /redir.git/git-receive-pack 200');
      expect(log).toContain('POST /redir.git/git-upload-pack 200');
      expect(log.filter((line) => line.startsWith('POST /moved'))).toEqual([]);
      expect(log.some((line) => line.startsWith('GET /moved301/redir.git/info/refs') && line.endsWith(' 301'))).toBe(true);
      expect(log.some((line) => line.startsWith('GET /moved307/redir.git/info/refs') && line.endsWith(' 307'))).toBe(true);

      const clone = path.join(await tempDir('net-redir-clone'), 'clone');
      expect((await nativeGit(['clone', '-q', withUser(moved307), clone], { ...env, GIT_SSL_CAINFO: certs.caFile })).code).toBe(0);
    });

    it('refuses a redirect of an upload, naming the new address, and changes nothing on the remote', async () => {
      const url = await server.createRepo('postonly');
      const env = envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile });
      const root = await machine('postonly', true);
      expect((await runCli(['--root', root, 'sync', 'init', '--remote', url.replace('/postonly.git', '/postmoved/postonly.git')], { env })).code).toBe(0);
      const push = await runCli(['--root', root, 'sync', 'push'], { env });
      expect(push.code).toBe(2);
      expect(push.stderr).toContain('redirected the receive-pack request');
      expect(push.stderr).toContain('/postonly.git/git-receive-pack');
      expect(remoteHead(server.repoPath('postonly'))).toBeNull();
    });
  });

  describe('a forward proxy', () => {
    it('carries the traffic when HTTPS_PROXY, https_proxy or http.proxy names it, and is bypassed for NO_PROXY hosts', async () => {
      const url = await server.createRepo('proxied');
      const root = await machine('proxied', true);
      const base = envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile });
      const tunnels = () => proxy.requests.filter((request) => request.method === 'CONNECT' && request.target === `127.0.0.1:${port}`).length;

      let before = tunnels();
      expect((await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: { ...base, HTTPS_PROXY: proxy.url } })).code).toBe(0);
      expect((await runCli(['--root', root, 'sync', 'push'], { env: { ...base, HTTPS_PROXY: proxy.url } })).code).toBe(0);
      expect(tunnels()).toBeGreaterThan(before);
      expect(remoteFiles(server.repoPath('proxied')).length).toBeGreaterThan(0);

      before = tunnels();
      expect((await runCli(['--root', root, 'sync', 'pull'], { env: { ...base, https_proxy: proxy.url } })).code).toBe(0);
      expect(tunnels()).toBeGreaterThan(before);

      before = tunnels();
      const gitProxy = { ...base, HOME: await home(`[http]\n\tproxy = ${proxy.url}\n`) };
      expect((await runCli(['--root', root, 'sync', 'pull'], { env: gitProxy })).code).toBe(0);
      expect(tunnels()).toBeGreaterThan(before);

      before = tunnels();
      const bypass = await runCli(['--root', root, 'sync', 'pull'], { env: { ...base, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
      expect(bypass.code, bypass.stderr).toBe(0);
      expect(tunnels()).toBe(before);

      // Native git goes through the same proxy under the same variables.
      before = tunnels();
      expect((await nativeGit(['ls-remote', withUser(url)], { ...base, GIT_SSL_CAINFO: certs.caFile, https_proxy: proxy.url })).code).toBe(0);
      expect(tunnels()).toBeGreaterThan(before);
    });

    it('a proxy that wants a login gets it from the proxy URL, and without it the error says where to put it', async () => {
      const guarded = await startLoggingProxy({ auth: { username: 'proxyuser', password: 'proxy-pass' } });
      try {
        const url = await server.createRepo('proxylogin');
        const root = await machine('proxylogin', true);
        const base = envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile });
        const refused = await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: { ...base, HTTPS_PROXY: guarded.url } });
        expect(refused.code).toBe(3);
        // the proxy is named with where it was set, and the token, which the remote never saw, is not blamed
        expect(refused.stderr).toContain(`The proxy ${guarded.url} (set by HTTPS_PROXY) asked for a login (HTTP 407)`);
        expect(refused.stderr).toContain('NAME:PASSWORD@host:port');
        expect(refused.stderr).not.toContain('sync login');
        const asJson = await runJson(['--root', root, 'sync', 'init', '--remote', url], { env: { ...base, HTTPS_PROXY: guarded.url } });
        expect(asJson.body.error).toMatchObject({ code: 'proxy_auth_failed', next: { action: 'proxy_login' } });
        // a login given and refused is said to be that one, never repeated
        const wrong = await runCli(['--root', root, 'sync', 'init', '--remote', url], {
          env: { ...base, HTTPS_PROXY: guarded.url.replace('http://', 'http://proxyuser:not-the-pass@') },
        });
        expect(wrong.code).toBe(3);
        expect(wrong.stderr).toContain('refused the login given in HTTPS_PROXY (HTTP 407)');
        expect(wrong.stderr + wrong.stdout).not.toContain('not-the-pass');
        const withLogin = guarded.url.replace('http://', 'http://proxyuser:proxy-pass@');
        const init = await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: { ...base, HTTPS_PROXY: withLogin } });
        expect(init.code, init.stderr).toBe(0);
        expect(guarded.requests.some((request) => request.method === 'CONNECT' && request.authorized)).toBe(true);
        expect(refused.stderr + init.stderr + init.stdout).not.toContain('proxy-pass');
      } finally {
        await guarded.stop();
      }
    });

    it('an unreachable proxy is a network error that names the remote', async () => {
      const url = await server.createRepo('deadproxy');
      const root = await machine('deadproxy', true);
      const run = await runCli(['--root', root, 'sync', 'init', '--remote', url], {
        env: envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile, HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' }),
      });
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('Could not reach the proxy http://127.0.0.1:9 (set by HTTPS_PROXY) on the way to https://');
      // doctor's line says so too, not that the remote is out of reach
      await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile }) });
      const doctor = await runCli(['--root', root, 'sync', 'doctor'], {
        env: envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile, HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' }),
      });
      expect(doctor.stdout).toMatch(/✗ .*Could not reach the proxy http:\/\/127\.0\.0\.1:9 \(set by HTTPS_PROXY\)/);
    });

    it('an http:// remote goes through HTTP_PROXY as absolute-URL requests, the way native git sends them', async () => {
      const plain = await startNginxGitServer({});
      try {
        const url = await plain.createRepo('plainproxied');
        const a = await machine('plain-a', true);
        const b = await machine('plain-b', false);
        const env = envWith(await home(), { HTTP_PROXY: proxy.url, NO_PROXY: '' });
        const through = (method: string) =>
          proxy.requests.filter((request) => request.method === method && request.target.startsWith(`${plain.baseUrl}/plainproxied.git/`)).length;

        expect((await runCli(['--root', a, 'sync', 'init', '--remote', url], { env })).code).toBe(0);
        const push = await runCli(['--root', a, 'sync', 'push'], { env });
        expect(push.code, push.stderr).toBe(0);
        expect(through('GET')).toBeGreaterThan(0);
        expect(through('POST')).toBeGreaterThan(0);
        expect(proxy.requests.some((request) => request.method === 'CONNECT' && request.target === new URL(plain.baseUrl).host)).toBe(false);
        const init = await runCli(['--root', b, 'sync', 'init', '--remote', url], { env });
        expect(init.code, init.stderr).toBe(0);
        expect(await withoutSettingsFile(b)).toEqual(await withoutSettingsFile(a));

        const before = through('GET');
        expect((await nativeGit(['ls-remote', url], { ...env, http_proxy: proxy.url })).code).toBe(0);
        expect(through('GET')).toBeGreaterThan(before);

        // the variables read as curl reads them for native git: a CIDR range bypasses the proxy, an
        // address suffix or a range of length 0 does not; a lower-case variable set empty wins over
        // the upper-case one (no_proxy over NO_PROXY; http_proxy, meaning no proxy, over ALL_PROXY)
        const lowerCase = { http_proxy: proxy.url };
        for (const [variables, bypassed] of [
          [{ ...lowerCase, NO_PROXY: '127.0.0.0/8' }, true],
          [{ ...lowerCase, NO_PROXY: '.0.0.1' }, false],
          [{ ...lowerCase, NO_PROXY: '127.0.0.0/0' }, false],
          [{ ...lowerCase, NO_PROXY: '127.0.0.1', no_proxy: '' }, false],
          [{ HTTP_PROXY: undefined, http_proxy: '', ALL_PROXY: proxy.url }, true],
        ] as const) {
          const counted = through('GET');
          const pull = await runCli(['--root', a, 'sync', 'pull'], { env: { ...env, HTTP_PROXY: undefined, ...variables } });
          expect(pull.code, pull.stderr).toBe(0);
          const bySync = through('GET') - counted;
          expect((await nativeGit(['ls-remote', url], { ...env, HTTP_PROXY: undefined, ...variables })).code).toBe(0);
          const byGit = through('GET') - counted - bySync;
          expect([bySync === 0, byGit === 0], JSON.stringify(variables)).toEqual([bypassed, bypassed]);
        }

        // a proxy that is not there is named, with the variable that set it
        const dead = await runCli(['--root', a, 'sync', 'pull'], { env: { ...env, HTTP_PROXY: undefined, http_proxy: 'http://127.0.0.1:9' } });
        expect(dead.code).toBe(4);
        expect(dead.stderr).toContain(`Could not reach the proxy http://127.0.0.1:9 (set by http_proxy) on the way to ${url}`);
      } finally {
        await plain.stop();
      }
    });

    it('a proxy that cannot reach the remote (502 to the tunnel) is named as the cause, where native git fails too', async () => {
      const unreachable = 'https://127.0.0.1:9/nothing.git';
      const root = await machine('badgateway', true);
      const env = envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile, HTTPS_PROXY: proxy.url, NO_PROXY: '' });
      const run = await runCli(['--root', root, 'sync', 'init', '--remote', unreachable], { env });
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(
        `The proxy ${proxy.url} (set by HTTPS_PROXY) would not connect to https://127.0.0.1:9/nothing.git (HTTP 502: it could not reach the remote)`,
      );
      expect(proxy.requests.some((request) => request.method === 'CONNECT' && request.target === '127.0.0.1:9')).toBe(true);
      const git = await nativeGit(['ls-remote', unreachable], env);
      expect(git.code).not.toBe(0);
      expect(git.stderr).toContain('502');
    });
  });

  describe("the server's own words", () => {
    it("a pre-receive hook's refusal reaches the user on stderr and in --json, with credentials stripped", async () => {
      const url = await server.createRepo('hooked');
      await server.setPreReceiveHook(
        'hooked',
        'echo "GH006: Protected branch update failed for refs/heads/main." >&2\necho "Ask an admin, see https://bot:hook-secret@rules.example/protect" >&2\nexit 1',
      );
      const env = envWith(await home(), { ...token, NODE_EXTRA_CA_CERTS: certs.caFile });
      const root = await machine('hooked', true);
      expect((await runCli(['--root', root, 'sync', 'init', '--remote', url], { env })).code).toBe(0);
      const push = await runCli(['--root', root, 'sync', 'push'], { env });
      expect(push.code).toBe(1);
      expect(push.stderr).toContain('pre-receive hook declined');
      expect(push.stderr).toContain('GH006: Protected branch update failed for refs/heads/main.');
      expect(push.stderr).toContain('https://rules.example/protect');
      expect(push.stderr).not.toContain('hook-secret');
      const json = await runJson(['--root', root, 'sync', 'push'], { env });
      expect(json.code).toBe(1);
      expect(json.body.error.message).toContain('GH006: Protected branch update failed');
      expect(JSON.stringify(json.body)).not.toContain('hook-secret');
      expect(remoteHead(server.repoPath('hooked'))).toBeNull();
    });
  });

  describe('user names and credentials', () => {
    it('a user name in the URL (as Azure DevOps and Bitbucket give it) goes with the token', async () => {
      const url = (await server.createRepo('username')).replace('https://', `https://${USER.username}@`);
      const root = await machine('username', true);
      const env = envWith(await home(), { PLANALIGN_SYNC_TOKEN: USER.password, NODE_EXTRA_CA_CERTS: certs.caFile });
      const init = await runCli(['--root', root, 'sync', 'init', '--remote', url], { env });
      expect(init.code, init.stderr).toBe(0);
      const push = await runCli(['--root', root, 'sync', 'push'], { env });
      expect(push.code, push.stderr).toBe(0);
      expect(remoteFiles(server.repoPath('username')).length).toBeGreaterThan(0);
      expect(push.stdout + push.stderr).not.toContain(USER.password);
    });

    it("git's credential helper: fill, approve after success, reject after a 401, and every command exits as soon as it is done", async () => {
      const url = await server.createRepo('helper');
      const origin = `https://127.0.0.1:${port}`;
      const root = await machine('helper', true);

      // A helper that knows the password, then `store`, which is told to keep what worked.
      const knowing = `!f() { test "$1" = get && printf 'username=${USER.username}\\npassword=${USER.password}\\n'; }; f`;
      const approving = await home(`[credential]\n\thelper = "${knowing}"\n\thelper = store\n`);
      const env = envWith(approving, { NODE_EXTRA_CA_CERTS: certs.caFile });
      for (const args of [
        ['sync', 'init', '--remote', url],
        ['sync', 'push'],
        ['sync', 'status'],
      ]) {
        const run = await runPlanalign(['--root', root, ...args], { env });
        expect(run.code, run.stderr).toBe(0);
        expect(run.seconds, `${args.join(' ')} took ${run.seconds} s`).toBeLessThan(15);
      }
      expect(remoteFiles(server.repoPath('helper')).length).toBeGreaterThan(0);
      expect(await fsp.readFile(path.join(approving, '.git-credentials'), 'utf8')).toContain(`${USER.username}:${USER.password}@127.0.0.1%3a${port}`);

      // `store` alone, filled from its file; a wrong password is rejected (erased) after the 401.
      const stored = await home('[credential]\n\thelper = store\n');
      await fsp.writeFile(path.join(stored, '.git-credentials'), `${origin.replace('https://', `https://${USER.username}:${USER.password}@`)}\n`);
      const status = await runPlanalign(['--root', root, 'sync', 'pull'], { env: envWith(stored, { NODE_EXTRA_CA_CERTS: certs.caFile }) });
      expect(status.code, status.stderr).toBe(0);
      expect(status.seconds).toBeLessThan(15);

      await fsp.writeFile(path.join(stored, '.git-credentials'), `${origin.replace('https://', `https://${USER.username}:wrong-pass@`)}\n`);
      const refused = await runPlanalign(['--root', root, 'sync', 'pull'], { env: envWith(stored, { NODE_EXTRA_CA_CERTS: certs.caFile }) });
      expect(refused.code).toBe(3);
      expect(refused.seconds).toBeLessThan(15);
      expect(await fsp.readFile(path.join(stored, '.git-credentials'), 'utf8')).not.toContain('wrong-pass');
      expect(refused.stdout + refused.stderr).not.toContain('wrong-pass');
    });
  });

  describe("git's http.extraHeader", () => {
    it('is sent on every request, from the general and the URL-specific setting, as native git sends it', async () => {
      const gated = await startNginxGitServer({ requireHeader: { name: 'X-Gateway-Key', value: 'open-sesame' } });
      try {
        const url = await gated.createRepo('gated');
        const a = await machine('gated-a', true);
        const b = await machine('gated-b', false);
        const without = envWith(await home());
        expect((await runCli(['--root', a, 'sync', 'init', '--remote', url], { env: without })).code).toBe(3);
        expect((await nativeGit(['ls-remote', url], without)).code).not.toBe(0);

        const general = envWith(await home('[http]\n\textraHeader = X-Other: 1\n\textraHeader = X-Gateway-Key: open-sesame\n'));
        expect((await nativeGit(['ls-remote', url], general)).code).toBe(0);
        expect((await runCli(['--root', a, 'sync', 'init', '--remote', url], { env: general })).code).toBe(0);
        const push = await runCli(['--root', a, 'sync', 'push'], { env: general });
        expect(push.code, push.stderr).toBe(0);

        const specific = envWith(await home(`[http "${gated.baseUrl}/"]\n\textraHeader = X-Gateway-Key: open-sesame\n`));
        const init = await runCli(['--root', b, 'sync', 'init', '--remote', url], { env: specific });
        expect(init.code, init.stderr).toBe(0);
        expect(await withoutSettingsFile(b)).toEqual(await withoutSettingsFile(a));
      } finally {
        await gated.stop();
      }
    });
  });
});

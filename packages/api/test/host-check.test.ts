import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editScenario } from '@planalign/sync-tools/workspace-generator';
import { startApiProcess } from '@planalign/sync-tools/api-process';
import { startApiServer } from '../src/server.js';
import { hostName } from '../src/host-check.js';
import { syncedPair } from './http-helpers.js';

interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * A request with a `Host` header of our choosing, as a browser sends it after DNS rebinding:
 * same-origin in the browser's eyes, so Origin and Sec-Fetch-Site say nothing is wrong.
 */
function requestAs(base: string, host: string, method: string, route: string, body?: unknown): Promise<RawAnswer> {
  const target = new URL(route, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        path: target.pathname + target.search,
        method,
        setHost: false,
        headers: {
          Host: host,
          Origin: `http://${host}`,
          'Sec-Fetch-Site': 'same-origin',
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (response) => {
        const contentType = String(response.headers['content-type'] ?? '');
        // An event stream never ends by itself: its status and type are the answer.
        if (contentType.startsWith('text/event-stream')) {
          response.destroy();
          return resolve({ status: response.statusCode!, contentType, body: '' });
        }
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, contentType, body: text }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Every file under a folder with its content's hash, `.git` included: "nothing changed" means this is equal. */
async function snapshot(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        files[path.relative(folder, full)] = createHash('sha1')
          .update(await fsp.readFile(full))
          .digest('hex');
    }
  };
  await walk(folder);
  return files;
}

const remoteRefs = (bare: string) => spawnSync('git', ['-C', bare, 'for-each-ref', '--format=%(refname) %(objectname)'], { encoding: 'utf8' }).stdout;

describe('the API answers only to its own host names', () => {
  let pair: Awaited<ReturnType<typeof syncedPair>>;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  let port: string;
  let workspaceId: string;
  let scenarioId: string;
  let version: string;
  let staticDir: string;

  beforeAll(async () => {
    pair = await syncedPair('hosts');
    workspaceId = pair.generated.workspaceIds[0];
    scenarioId = (await fsp.readdir(path.join(pair.machineB, workspaceId, 'scenarios')))[0];
    // Work that a push would send: if any refused push ran, the remote would move.
    await editScenario(pair.machineB, workspaceId, scenarioId, { description: 'not for evil.example' });
    staticDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-dashboard-'));
    await fsp.mkdir(path.join(staticDir, 'assets'));
    await fsp.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Sync</title>');
    await fsp.writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    api = await startApiServer({ root: pair.machineB, staticDir, pullOnStart: false });
    port = new URL(api.url).port;
    const versions = await requestAs(api.url, `127.0.0.1:${port}`, 'GET', `/api/sync/workspaces/${workspaceId}/scenarios/${scenarioId}/versions`);
    version = JSON.parse(versions.body).versions[0].version;
  });

  afterAll(async () => {
    await api?.close();
    await pair?.git.stop();
  });

  /** One request of each kind: reading state, reading file contents, events, changing state, the dashboard. */
  const routes = () => [
    { method: 'GET', route: '/api/sync/status' },
    { method: 'GET', route: '/api/sync/workspaces' },
    { method: 'GET', route: '/api/sync/conflicts' },
    { method: 'GET', route: '/api/sync/conflicts/show?path=x.json' },
    { method: 'GET', route: `/api/sync/workspaces/${workspaceId}/scenarios/${scenarioId}/diff?from=${version}` },
    { method: 'GET', route: '/api/sync/events' },
    { method: 'GET', route: '/api/openapi.json' },
    { method: 'POST', route: '/api/sync/push', body: { message: 'from a rebound page' } },
    { method: 'PUT', route: '/api/sync/config', body: { remote: 'http://attacker.example/loot.git' } },
    { method: 'GET', route: '/api/sync/auth' },
    { method: 'POST', route: '/api/sync/auth', body: { token: 'from-a-rebound-page' } },
    { method: 'DELETE', route: '/api/sync/auth' },
    { method: 'GET', route: '/' },
    { method: 'GET', route: '/assets/app.js' },
  ];

  it('refuses every kind of route for a rebound name (403 naming the setting), and nothing changes', async () => {
    const rootBefore = await snapshot(pair.machineB);
    const remoteBefore = remoteRefs(pair.git.repoPath('hosts'));
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      for (const { method, route, body } of routes()) {
        const answer = await requestAs(api.url, host, method, route, body);
        expect({ host, route, status: answer.status }).toEqual({ host, route, status: 403 });
        const error = JSON.parse(answer.body).error;
        expect(error.code).toBe('host_not_allowed');
        expect(error.message).toContain('PLANALIGN_SYNC_API_ALLOWED_HOSTS');
        expect(answer.body).not.toContain('Q4');
      }
    }
    expect(await snapshot(pair.machineB)).toEqual(rootBefore);
    expect(remoteRefs(pair.git.repoPath('hosts'))).toBe(remoteBefore);
  });

  it('answers the same requests for localhost and 127.0.0.1, with or without the port', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost', 'LOCALHOST.']) {
      for (const { method, route } of routes().filter((r) => r.method === 'GET')) {
        const answer = await requestAs(api.url, host, method, route);
        // A file that is not in conflict is a request error, not a refusal.
        const expected = route.startsWith('/api/sync/conflicts/show') ? 422 : 200;
        expect({ host, route, status: answer.status }).toEqual({ host, route, status: expected });
      }
    }
    const events = await requestAs(api.url, `localhost:${port}`, 'GET', '/api/sync/events');
    expect(events.contentType).toContain('text/event-stream');
    const page = await requestAs(api.url, `127.0.0.1:${port}`, 'GET', '/');
    expect(page.body).toContain('<title>Sync</title>');

    const saved = await requestAs(api.url, `127.0.0.1:${port}`, 'PUT', '/api/sync/config', { conflict_strategy: 'keep-local' });
    expect(saved.status).toBe(200);
    expect(await fsp.readFile(path.join(pair.machineB, '.planalign-sync.yaml'), 'utf8')).toContain('keep-local');
    const pushed = await requestAs(api.url, `localhost:${port}`, 'POST', '/api/sync/push', { message: 'from the dashboard' });
    expect(pushed.status).toBe(200);
    const remoteScenario = spawnSync('git', ['-C', pair.git.repoPath('hosts'), 'show', `main:${workspaceId}/scenarios/${scenarioId}/scenario.json`], {
      encoding: 'utf8',
    }).stdout;
    expect(remoteScenario).toContain('not for evil.example');
  });

  it('answers [::1] when it listens on IPv6 loopback', async () => {
    const v6 = await startApiServer({ root: pair.machineB, host: '::1', pullOnStart: false }).catch(() => null);
    if (!v6) return; // a machine without IPv6 loopback cannot listen there at all
    try {
      const v6Port = new URL(v6.url).port;
      expect((await requestAs(v6.url, `[::1]:${v6Port}`, 'GET', '/api/sync/status?offline=true')).status).toBe(200);
      expect((await requestAs(v6.url, `evil.example:${v6Port}`, 'GET', '/api/sync/status?offline=true')).status).toBe(403);
    } finally {
      await v6.close();
    }
  });

  it('answers names given in PLANALIGN_SYNC_API_ALLOWED_HOSTS or --allowed-hosts to the real binary, and no others', async () => {
    const server = await startApiProcess({
      root: pair.machineB,
      args: ['--no-pull-on-start', '--no-ui', '--allowed-hosts', 'studio.corp.example'],
      env: { PLANALIGN_SYNC_API_ALLOWED_HOSTS: 'planner-laptop, sync.internal:8765' },
    });
    try {
      const serverPort = new URL(server.url).port;
      for (const host of [`planner-laptop:${serverPort}`, 'sync.internal', `studio.corp.example:${serverPort}`, `localhost:${serverPort}`]) {
        expect({ host, status: (await requestAs(server.url, host, 'GET', '/api/sync/status?offline=true')).status }).toEqual({ host, status: 200 });
      }
      const refused = await requestAs(server.url, `evil.example:${serverPort}`, 'GET', '/api/sync/status?offline=true');
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error.message).toMatch(/planner-laptop.*sync\.internal.*studio\.corp\.example/);
    } finally {
      await server.stop();
    }
  });

  it('allows the address it listens on beyond loopback (with its token), and still refuses other names', async () => {
    const wide = await startApiServer({ root: pair.machineB, host: '0.0.0.0', token: 'api-token-456', pullOnStart: false });
    try {
      const widePort = new URL(wide.url).port;
      const withToken = async (host: string) =>
        new Promise<number>((resolve, reject) => {
          http
            .get(
              {
                host: '127.0.0.1',
                port: widePort,
                path: '/api/sync/status?offline=true',
                setHost: false,
                headers: { Host: host, Authorization: 'Bearer api-token-456' },
              },
              (response) => {
                response.resume();
                resolve(response.statusCode!);
              },
            )
            .on('error', reject);
        });
      expect(await withToken(`${os.hostname()}:${widePort}`)).toBe(200);
      expect(await withToken(`evil.example:${widePort}`)).toBe(403);
    } finally {
      await wide.close();
    }
  });
});

describe('reading a Host header', () => {
  it('takes the name without port, brackets, case or final dot, and rejects what is not a name', () => {
    expect(hostName('LocalHost:8765')).toBe('localhost');
    expect(hostName('[::1]:8765')).toBe('::1');
    expect(hostName('localhost.')).toBe('localhost');
    expect(hostName('127.0.0.1')).toBe('127.0.0.1');
    expect(hostName('[::1')).toBeNull();
    expect(hostName('localhost:80:80')).toBeNull();
    expect(hostName('evil.example/localhost')).toBeNull();
    expect(hostName('')).toBeNull();
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncService } from '@planalign/sync-core';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { startApiServer } from '../src/server.js';
import { call, syncedPair } from './http-helpers.js';

const remoteRefs = (bare: string) => spawnSync('git', ['-C', bare, 'for-each-ref', '--format=%(refname) %(objectname)'], { encoding: 'utf8' }).stdout;

/** A POST naming the server by another host, as a page that rebound its name to 127.0.0.1 would send it. */
function postAs(base: string, host: string, route: string): Promise<number> {
  const target = new URL(route, base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        setHost: false,
        headers: { Host: host, 'Content-Type': 'application/json', 'Content-Length': 2 },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    request.on('error', reject);
    request.end('{}');
  });
}

/** Archiving over real HTTP: the API serves machine B; machine A syncs through the core; native git reads the remote. */
describe('archive routes over real HTTP', () => {
  let git: GitServer;
  let machineA: string;
  let machineB: string;
  let bare: string;
  let workspace: string;
  let name: string;
  let api: Awaited<ReturnType<typeof startApiServer>>;

  beforeAll(async () => {
    const pair = await syncedPair('archive-api');
    ({ git, machineA, machineB } = pair);
    bare = git.repoPath('archive-api');
    workspace = pair.generated.workspaceIds[1];
    name = JSON.parse(await fsp.readFile(path.join(machineB, workspace, 'workspace.json'), 'utf8')).name;
    api = await startApiServer({ root: machineB, pullOnStart: false });
  });

  afterAll(async () => {
    await api?.close();
    await git?.stop();
  });

  it('refuses to archive for another site, another host name, without JSON or without the token, changing nothing', async () => {
    const route = `/api/sync/workspaces/${workspace}/archive`;
    const refs = remoteRefs(bare);
    expect((await call(api.url, 'POST', route, {}, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await call(api.url, 'POST', route, undefined)).status).toBe(415);
    expect(await postAs(api.url, `evil.example:${new URL(api.url).port}`, route)).toBe(403);
    const guarded = await startApiServer({ root: machineB, pullOnStart: false, token: 'archive-token' });
    try {
      expect((await call(guarded.url, 'POST', route, {})).status).toBe(401);
      expect((await call(guarded.url, 'GET', '/api/sync/archive')).status).toBe(401);
    } finally {
      await guarded.close();
    }
    expect(remoteRefs(bare)).toBe(refs);
    expect(existsSync(path.join(machineB, workspace, 'workspace.json'))).toBe(true);
  });

  it('archives a workspace, lists it, and brings it back by name; the other machine follows both', async () => {
    const before = await fsp.readFile(path.join(machineB, workspace, 'workspace.json'));
    expect((await call(api.url, 'GET', '/api/sync/archive')).body).toMatchObject({ archived: [], remote_reachable: true });

    const archived = await call(api.url, 'POST', `/api/sync/workspaces/${workspace}/archive`, {});
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    expect(archived.body).toMatchObject({ id: workspace, name, archived: true, ref: `refs/planalign/archive/${workspace}` });
    expect(existsSync(path.join(machineB, workspace, 'workspace.json'))).toBe(false);
    expect(remoteRefs(bare)).toContain(`refs/planalign/archive/${workspace} ${archived.body.archived_commit}`);
    const list = await call(api.url, 'GET', '/api/sync/archive');
    expect(list.body.archived).toEqual([expect.objectContaining({ id: workspace, name, commit: archived.body.archived_commit })]);
    expect((await call(api.url, 'GET', '/api/sync/workspaces')).body.map((w: { id: string }) => w.id)).not.toContain(workspace);
    // The settings are not the way to change what is archived.
    expect((await call(api.url, 'PUT', '/api/sync/config', { archived: {} })).status).toBe(422);
    await new SyncService(machineA).pull();
    expect(existsSync(path.join(machineA, workspace, 'workspace.json'))).toBe(false);

    const unknown = await call(api.url, 'POST', '/api/sync/workspaces/no-such-workspace/unarchive', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.next).toEqual({ action: 'list_archived' });
    const back = await call(api.url, 'POST', `/api/sync/workspaces/${encodeURIComponent(name)}/unarchive`, {});
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ id: workspace, archived: false });
    expect(await fsp.readFile(path.join(machineB, workspace, 'workspace.json'))).toEqual(before);
    expect((await call(api.url, 'GET', '/api/sync/archive?offline=true')).body.archived).toEqual([]);
    await new SyncService(machineA).pull();
    expect(await fsp.readFile(path.join(machineA, workspace, 'workspace.json'))).toEqual(before);
    expect(remoteRefs(bare)).not.toContain('refs/planalign/');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const document = (await call(api.url, 'GET', '/api/openapi.json')).body;
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/sync/archive', '/api/sync/workspaces/{id}/archive', '/api/sync/workspaces/{id}/unarchive']),
    );
    expect(document.components.schemas.ArchiveList.properties.archived.items.properties).toHaveProperty('ref');
  });
});

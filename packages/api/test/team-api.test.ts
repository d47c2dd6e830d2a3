import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncService, TeamService } from '@planalign/sync-core';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { editScenario } from '@planalign/sync-tools/workspace-generator';
import { startApiServer } from '../src/server.js';
import { call, syncedPair, tempRoot } from './http-helpers.js';

/** Two machines of a team on one remote; the API serves machine B, a third root imports by link. */
describe('team routes over real HTTP', () => {
  let git: GitServer;
  let machineA: string;
  let machineB: string;
  let workspace: string;
  let scenario: string;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  const base = () => `/api/sync/workspaces/${workspace}`;
  const scenarioJson = async (root: string) => JSON.parse(await fsp.readFile(path.join(root, workspace, 'scenarios', scenario, 'scenario.json'), 'utf8'));

  beforeAll(async () => {
    const pair = await syncedPair('team-api');
    ({ git, machineA, machineB } = pair);
    workspace = pair.generated.workspaceIds[0];
    scenario = (await fsp.readdir(path.join(machineA, workspace, 'scenarios'))).sort()[0];
    await new TeamService(machineA).setAuthor({ name: 'Ana Lima', email: 'ana@example.com' });
    await editScenario(machineA, workspace, scenario, { description: 'Ana: first review' });
    await new SyncService(machineA).push();
    api = await startApiServer({ root: machineB, pullOnStart: false });
    expect((await call(api.url, 'POST', '/api/sync/pull', {})).status).toBe(200);
  });

  afterAll(async () => {
    await api?.close();
    await git?.stop();
  });

  it('sets the author, and branches: create, push, list with who changed it, switch back', async () => {
    const author = await call(api.url, 'PUT', '/api/sync/author', { name: 'Bea Costa', email: 'bea@example.com' });
    expect(author.status).toBe(200);
    expect(author.body).toEqual({ name: 'Bea Costa', email: 'bea@example.com', configured: true });

    const created = await call(api.url, 'POST', `${base()}/branches`, { name: 'what-if' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    await editScenario(machineB, workspace, scenario, { description: 'Bea: what if growth doubles' });
    const status = await call(api.url, 'GET', '/api/sync/status?offline=true');
    expect(status.body.workspaces.find((w: { id: string }) => w.id === workspace)).toMatchObject({ branch: 'what-if', state: 'push_needed', changes: 1 });
    const push = await call(api.url, 'POST', '/api/sync/push', {});
    expect(push.status, JSON.stringify(push.body)).toBe(200);
    expect(push.body.branches).toEqual([{ workspace_id: workspace, branch: 'what-if', pushed: true, files_changed: 0, error: null }]);

    const list = await call(api.url, 'GET', `${base()}/branches`);
    expect(list.status).toBe(200);
    expect(list.body.current).toBe('what-if');
    expect(list.body.branches.map((b: { name: string }) => b.name)).toEqual(['main', 'what-if']);
    expect(list.body.branches[1]).toMatchObject({ where: 'both', ahead: 0, last_changed_by: { name: 'Bea Costa' } });
    expect(list.body.branches[0]).toMatchObject({ last_changed_by: { name: 'Ana Lima' } });

    const back = await call(api.url, 'POST', `${base()}/branches/main/switch`, {});
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect((await scenarioJson(machineB)).description).toBe('Ana: first review');
  });

  it('merges a branch back: 409 under ask-user, a strategy settles it', async () => {
    await editScenario(machineB, workspace, scenario, { description: 'Bea: main line edit' });
    await call(api.url, 'PUT', '/api/sync/config', { conflict_strategy: 'ask-user' });
    const stopped = await call(api.url, 'POST', `${base()}/branches/what-if/merge`, {});
    expect(stopped.status).toBe(409);
    expect(stopped.body.error.conflicting_files).toEqual([`${workspace}/scenarios/${scenario}/scenario.json`]);
    expect((await scenarioJson(machineB)).description).toBe('Bea: main line edit');
    const merged = await call(api.url, 'POST', `${base()}/branches/what-if/merge`, { strategy: 'keep-remote' });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body.resolved_conflicts[0]).toMatchObject({ winner: 'remote', strategy: 'keep-remote' });
    expect((await scenarioJson(machineB)).description).toBe('Bea: what if growth doubles');
    expect((await call(api.url, 'POST', '/api/sync/push', {})).status).toBe(200);
  });

  it('lists contributors, scenario versions, a diff, and restores a version', async () => {
    const history = await call(api.url, 'GET', `${base()}/history`);
    expect(history.status).toBe(200);
    const names = history.body.contributors.map((c: { author: { name: string } }) => c.author.name);
    expect(names).toEqual(expect.arrayContaining(['Ana Lima', 'Bea Costa']));
    expect(history.body.changes[0].author.name).toBe('Bea Costa');

    const scenarios = await call(api.url, 'GET', `${base()}/scenarios`);
    expect(scenarios.status).toBe(200);
    expect(scenarios.body.scenarios.map((s: { id: string }) => s.id)).toContain(scenario);
    const versions = await call(api.url, 'GET', `${base()}/scenarios/${scenario}/versions`);
    expect(versions.status).toBe(200);
    const anaVersion = versions.body.versions.find((v: { author: { name: string } }) => v.author.name === 'Ana Lima');
    const diff = await call(api.url, 'GET', `${base()}/scenarios/${scenario}/diff?from=${anaVersion.version}`);
    expect(diff.status).toBe(200);
    expect(diff.body.changes).toContainEqual(expect.objectContaining({ file: 'scenario.json', key: 'description', after: 'Bea: what if growth doubles' }));

    const restored = await call(api.url, 'POST', `${base()}/scenarios/${scenario}/restore`, { version: anaVersion.version });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.backups).toHaveLength(1);
    expect((await scenarioJson(machineB)).description).toBe('Ana: first review');
    expect((await call(api.url, 'GET', `${base()}/scenarios/${scenario}/diff?from=${anaVersion.version}`)).body.changes).toEqual([]);
  });

  it('shares a link that another root imports through its own API', async () => {
    const share = await call(api.url, 'GET', `${base()}/share`);
    expect(share.status).toBe(200);
    expect(share.body).toMatchObject({ workspace_id: workspace, on_remote: true });
    const fresh = await tempRoot('team-import');
    const other = await startApiServer({ root: fresh, pullOnStart: false });
    try {
      const leaky = share.body.link.replace('remote=http%3A%2F%2F', 'remote=http%3A%2F%2Fx%3As3cret%40');
      const refused = await call(other.url, 'POST', '/api/sync/import', { source: leaky });
      expect(refused.status).toBe(422);
      expect(JSON.stringify(refused.body)).not.toContain('s3cret');
      const imported = await call(other.url, 'POST', '/api/sync/import', { source: share.body.link });
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
      expect(imported.body).toMatchObject({ workspace_id: workspace, merged: false });
      expect((await fsp.readdir(fresh)).filter((f) => !f.startsWith('.'))).toEqual([workspace]);
    } finally {
      await other.close();
    }
  });

  it('answers bad input with its status', async () => {
    expect((await call(api.url, 'POST', `${base()}/branches`, { name: 5 })).status).toBe(422);
    expect((await call(api.url, 'POST', `${base()}/branches`, { name: '../up' })).status).toBe(422);
    expect((await call(api.url, 'GET', '/api/sync/workspaces/no-such-workspace/branches')).status).toBe(404);
    expect((await call(api.url, 'DELETE', `${base()}/branches/main`)).status).toBe(422);
    expect((await call(api.url, 'DELETE', `${base()}/branches/never-made`)).status).toBe(404);
    expect((await call(api.url, 'POST', `${base()}/branches/nope/switch`, {})).status).toBe(404);
    expect((await call(api.url, 'POST', `${base()}/scenarios/${scenario}/restore`, { version: 'zz' })).status).toBe(422);
    expect((await call(api.url, 'POST', `${base()}/scenarios/${scenario}/restore`, { version: 'abcdef1234' })).status).toBe(404);
    expect((await call(api.url, 'GET', `${base()}/scenarios/${scenario}/diff`)).status).toBe(422);
    expect((await call(api.url, 'PUT', '/api/sync/author', { name: 'Eve <evil>' })).status).toBe(422);
    expect((await call(api.url, 'POST', '/api/sync/import', { source: 'not a url' })).status).toBe(422);
  });
});

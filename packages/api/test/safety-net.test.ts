import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncService } from '@planalign/sync-core';
import { editScenario } from '@planalign/sync-tools/workspace-generator';
import { startApiServer } from '../src/server.js';
import { call, syncedPair } from './http-helpers.js';

const remoteFolders = (repository: string) =>
  spawnSync('git', ['-C', repository, 'ls-tree', '--name-only', 'main'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);

describe('the safety net over HTTP', () => {
  it('auto-sync never sends a whole workspace deletion by itself: it waits, says why, and a confirmed push settles it', async () => {
    const { git, machineB, generated } = await syncedPair('held');
    const workspace = generated.workspaceIds[0];
    const name = JSON.parse(await fsp.readFile(path.join(machineB, workspace, 'workspace.json'), 'utf8')).name as string;
    const api = await startApiServer({ root: machineB });
    try {
      expect((await call(api.url, 'PUT', '/api/sync/config', { auto_sync: true })).status).toBe(200);
      await fsp.rm(path.join(machineB, workspace), { recursive: true });
      await expect.poll(async () => (await call(api.url, 'GET', '/api/sync/auto')).body.last_outcome, { timeout: 20_000 }).toBe('held');
      const auto = (await call(api.url, 'GET', '/api/sync/auto')).body;
      expect(auto.held).toContain(`"${name}"`);
      expect(auto.next_run_at).toBeNull();
      expect(remoteFolders(git.repoPath('held'))).toContain(workspace);

      const refused = await call(api.url, 'POST', '/api/sync/push', {});
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'deletions_held', next: { action: 'allow_delete' }, workspaces: [{ id: workspace, name }] });
      expect(refused.body.error.message).not.toMatch(/--allow-delete|planalign sync/);
      expect(remoteFolders(git.repoPath('held'))).toContain(workspace);

      const allowed = await call(api.url, 'POST', '/api/sync/push', { allow_delete: true });
      expect(allowed.status).toBe(200);
      expect(remoteFolders(git.repoPath('held'))).not.toContain(workspace);
      expect((await call(api.url, 'GET', '/api/sync/auto')).body.held).toBeNull();
    } finally {
      await api.close();
      await git.stop();
    }
  });

  it('previews a pull without applying it, and refuses a strategy it does not know', async () => {
    const { git, machineA, machineB, generated } = await syncedPair('preview');
    const workspace = generated.workspaceIds[0];
    const scenario = (await fsp.readdir(path.join(machineA, workspace, 'scenarios'))).sort()[0];
    await editScenario(machineA, workspace, scenario, { description: 'from A' });
    await new SyncService(machineA).push();
    const file = path.join(machineB, workspace, 'scenarios', scenario, 'scenario.json');
    const before = await fsp.readFile(file);
    // no pull on start: it would bring A's edit before the preview is asked for, or hold the root while it is
    const api = await startApiServer({ root: machineB, pullOnStart: false });
    try {
      const preview = await call(api.url, 'GET', '/api/sync/preview');
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({ up_to_date: false, conflicts: [], workspaces: [expect.objectContaining({ id: workspace, change: 'changed' })] });
      expect(await fsp.readFile(file)).toEqual(before);
      const wrong = await call(api.url, 'GET', '/api/sync/preview?strategy=coin-toss');
      expect(wrong.status).toBe(422);
      expect(wrong.body.error.message).toContain('strategy');
      const doc = await call(api.url, 'GET', '/api/openapi.json');
      expect(doc.body.paths['/api/sync/preview'].get.responses['200']).toBeDefined();
      expect(doc.body.components.schemas.PushRequest.properties.allow_delete.type).toBe('boolean');
    } finally {
      await api.close();
      await git.stop();
    }
  });
});

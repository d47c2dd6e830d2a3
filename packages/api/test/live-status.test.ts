import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncService } from '@planalign/sync-core';
import { addRun, editScenario } from '@planalign/sync-tools/workspace-generator';
import { startApiServer } from '../src/server.js';
import { call, syncedPair } from './http-helpers.js';

describe('status while the server watches the root', () => {
  it('answers each poll with every change made before it, as a full scan of the root would, auto-sync off', async () => {
    const { git, machineA, machineB, generated } = await syncedPair('live-status');
    const api = await startApiServer({ root: machineA, pullOnStart: false });
    // What a one-shot status, scanning everything, says of the same root.
    const scanned = async () => new SyncService(machineA).status({ offline: true });
    const polled = async () => {
      const response = await call(api.url, 'GET', '/api/sync/status?offline=true');
      expect(response.status).toBe(200);
      return response.body;
    };
    try {
      expect((await polled()).local_changes).toBe(0);
      expect((await call(api.url, 'GET', '/api/sync/auto')).body.watching).toBe(false);

      const workspaceId = generated.workspaceIds[0];
      const scenarios = await fsp.readdir(path.join(machineA, workspaceId, 'scenarios'));
      // Each change is made just before the poll: nothing waits for the watcher to catch up.
      await editScenario(machineA, workspaceId, scenarios[0], { description: 'edited with Studio open' });
      let now = await polled();
      expect(now.local_changes).toBe(1);
      expect(now).toEqual(await scanned());

      await addRun(machineA, workspaceId, scenarios[1], { seed: 7 });
      now = await polled();
      expect(now.local.runs).toBe(generated.runs + 1);
      expect(now).toEqual(await scanned());

      await fsp.rm(path.join(machineA, workspaceId, 'scenarios', scenarios[0]), { recursive: true });
      now = await polled();
      expect(now.local.scenarios).toBe(generated.scenarios - 1);
      expect(now).toEqual(await scanned());

      // Asking the remote too.
      const online = await call(api.url, 'GET', '/api/sync/status');
      expect(online.body).toEqual({ ...(await scanned()), remote_reachable: true });
    } finally {
      await api.close();
      await git.stop();
      for (const root of [machineA, machineB]) await fsp.rm(path.dirname(root), { recursive: true, force: true });
    }
  });
});

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../src/server.js';
import { call, tempRoot } from './http-helpers.js';

/**
 * Studio's server started on a root PlanAlign's own sync set up (flat settings with the token in
 * the URL, its log committed on master): it takes the root over before anything reads it, and the
 * dashboard is told once, among the status warnings.
 */
const TOKEN = 'pat-studio-7e21c0aa4f93';

describe("the API on a root set up by PlanAlign's own sync", () => {
  let root: string;
  let api: Awaited<ReturnType<typeof startApiServer>>;

  beforeAll(async () => {
    root = await tempRoot('planalign');
    await fsp.mkdir(path.join(root, 'w1'), { recursive: true });
    const git = (...args: string[]) => {
      const result = spawnSync('git', ['-c', 'user.name=Plan Align', '-c', 'user.email=planalign@example.test', '-c', 'init.defaultBranch=master', ...args], {
        cwd: root,
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(result.stderr);
    };
    const remote = `https://alice:${TOKEN}@git.example.com/acme/workspaces.git`;
    git('init', '-q');
    git('remote', 'add', 'origin', remote);
    await fsp.writeFile(path.join(root, 'w1', 'workspace.json'), '{"id": "w1", "name": "Q4"}\n');
    await fsp.writeFile(
      path.join(root, '.planalign-sync.yaml'),
      `auto_sync: false\nbranch: main\nconflict_strategy: keep-remote\nenabled: true\nremote: ${remote}\nversion: 1\n`,
    );
    await fsp.writeFile(
      path.join(root, '.planalign-sync-log.json'),
      JSON.stringify(
        [
          {
            timestamp: '2025-11-20T09:15:02.481516Z',
            operation: 'init',
            workspaces_affected: 1,
            scenarios_affected: 0,
            message: `Sync initialized with ${remote}`,
            commit_sha: null,
            success: true,
          },
          {
            timestamp: '2025-11-24T17:40:00.250000Z',
            operation: 'disconnect',
            workspaces_affected: 0,
            scenarios_affected: 0,
            message: 'Sync disconnected. Local workspaces preserved.',
            commit_sha: null,
            success: true,
          },
        ],
        null,
        2,
      ),
    );
    git('add', '-f', '.planalign-sync.yaml', '.planalign-sync-log.json', 'w1/workspace.json');
    git('commit', '-qm', 'Initial PlanAlign workspace sync');
    api = await startApiServer({ root, pullOnStart: false });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves the settings in planalign-sync form, the log with its entries, and tells the dashboard once', async () => {
    const config = await call(api.url, 'GET', '/api/sync/config');
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({
      enabled: true,
      remote: 'https://alice@git.example.com/acme/workspaces.git',
      branch: 'master',
      conflict_strategy: 'keep-remote',
    });

    const status = await call(api.url, 'GET', '/api/sync/status?offline=true');
    expect(status.status).toBe(200);
    expect(status.body.is_initialized).toBe(true);
    expect(status.body.warnings.filter((w: string) => /revoke it on the host/.test(w))).toHaveLength(1);
    const again = await call(api.url, 'GET', '/api/sync/status?offline=true');
    expect(again.body.warnings.join(' ')).not.toMatch(/revoke/);

    const log = await call(api.url, 'GET', '/api/sync/log');
    expect(log.body.map((e: { operation: string }) => e.operation)).toEqual(['init', 'disconnect', 'init']);
    expect(JSON.stringify([config.body, status.body, log.body])).not.toContain(TOKEN);
  });
});

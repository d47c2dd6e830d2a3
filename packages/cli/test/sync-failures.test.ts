import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { nativeGit, readJson, remoteFile, remoteFiles, remoteHead, runCli, runJson, tempDir, writeJson } from './harness.js';

const USER = 'analyst';
const TOKEN = 'tok-3f9a1c77e2d4b5a6';
const auth = { PLANALIGN_SYNC_USERNAME: USER, PLANALIGN_SYNC_TOKEN: TOKEN };

describe('failures leave local work intact', () => {
  let server: GitServer;
  let url: string;
  let root: string;
  let generated: GeneratedRoot;

  beforeAll(async () => {
    server = await startGitServer({ auth: { username: USER, password: TOKEN } });
    url = await server.createRepo('secure', { defaultBranch: 'main' });
    root = path.join(await tempDir('fail'), 'workspaces');
    generated = await generateWorkspaces({ root, ...PRESETS.demo });
    expect((await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: auth })).code).toBe(0);
    expect((await runCli(['--root', root, 'sync', 'push'], { env: auth })).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a wrong token exits 3, names what to do, never prints the token, and changes nothing', async () => {
    const file = path.join(root, generated.workspaceIds[0], 'workspace.json');
    await writeJson(file, { ...(await readJson(file)), description: 'pending edit' });
    const headBefore = remoteHead(server.repoPath('secure'));
    const wrong = 'wrong-token-0000';
    const result = await runCli(['--root', root, 'sync', 'push'], { env: { ...auth, PLANALIGN_SYNC_TOKEN: wrong } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('PLANALIGN_SYNC_TOKEN');
    expect(result.stderr + result.stdout).not.toContain(wrong);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(remoteHead(server.repoPath('secure'))).toBe(headBefore);
    expect((await readJson(file)).description).toBe('pending edit');
    const none = await runCli(['--root', root, 'sync', 'push'], { env: { PLANALIGN_SYNC_TOKEN: '' } });
    expect(none.code).toBe(3);
    const json = await runJson(['--root', root, 'sync', 'push'], { env: { ...auth, PLANALIGN_SYNC_TOKEN: wrong } });
    expect(json.body.error).toMatchObject({ code: 'auth_failed', exit_code: 3, next: { action: 'update_token' } });
    // Status still answers, from the last sync, and says why it could not ask.
    const status = await runJson(['--root', root, 'sync', 'status'], { env: { ...auth, PLANALIGN_SYNC_TOKEN: wrong } });
    expect(status.code).toBe(0);
    expect(status.body.warnings.join(' ')).toMatch(/Showing the state as of the last sync/);
    expect(JSON.stringify(status.body)).not.toContain(wrong);
  });

  it('a remote that is down exits 4, keeps the local commit, and a later push succeeds', async () => {
    const file = path.join(root, generated.workspaceIds[1], 'workspace.json');
    await writeJson(file, { ...(await readJson(file)), description: 'written while offline' });
    const port = Number(new URL(server.baseUrl).port);
    const projectRoot = server.projectRoot;
    await server.stop();
    const offline = await runCli(['--root', root, 'sync', 'push'], { env: auth });
    expect(offline.code).toBe(4);
    expect(offline.stderr).toMatch(/Could not reach the remote/);
    expect((await runJson(['--root', root, 'sync', 'push'], { env: auth })).body.error).toMatchObject({
      code: 'network',
      next: { action: 'check_connection' },
    });
    // The edit is committed locally, not lost.
    expect(nativeGit(root, ['log', '-1', '--format=%s']).stdout).toMatch(/workspace/i);
    expect(nativeGit(root, ['status', '--porcelain']).stdout).toBe('');
    const status = await runJson(['--root', root, 'sync', 'status'], { env: auth });
    expect(status.code).toBe(0);
    expect(status.body.remote_reachable).toBe(false);
    expect(status.body.ahead).toBeGreaterThan(0);

    server = await startGitServer({ projectRoot, port, auth: { username: USER, password: TOKEN } });
    const online = await runCli(['--root', root, 'sync', 'push'], { env: auth });
    expect(online.code).toBe(0);
    const pushed = JSON.parse(remoteFile(server.repoPath('secure'), `${generated.workspaceIds[1]}/workspace.json`)!);
    expect(pushed.description).toBe('written while offline');
    expect(JSON.parse(remoteFile(server.repoPath('secure'), `${generated.workspaceIds[0]}/workspace.json`)!).description).toBe('pending edit');
  });

  it('an init that cannot reach the remote leaves the folder as it was: no .git behind, and the next init starts clean', async () => {
    const fresh = path.join(await tempDir('fail-init'), 'workspaces');
    await generateWorkspaces({ root: fresh, ...PRESETS.demo, databaseBytes: 0 });
    const before = (await fsp.readdir(fresh)).sort();
    const refused = await runCli(['--root', fresh, 'sync', 'init', '--remote', 'http://127.0.0.1:9/nowhere.git']);
    expect(refused.code).toBe(4);
    expect((await fsp.readdir(fresh)).sort()).toEqual(before);
    const doctor = await runCli(['--root', fresh, 'sync', 'doctor']);
    expect(doctor.stdout + doctor.stderr).not.toContain('sync push');
  });

  it('a half-written workspace.json is reported and kept out; everything else syncs', async () => {
    const [broken, healthy] = generated.workspaceIds;
    const brokenFile = path.join(root, broken, 'workspace.json');
    const lastGood = remoteFile(server.repoPath('secure'), `${broken}/workspace.json`);
    await fsp.writeFile(brokenFile, '{"id": "half-writ');
    const healthyFile = path.join(root, healthy, 'workspace.json');
    await writeJson(healthyFile, { ...(await readJson(healthyFile)), description: 'synced despite the broken neighbour' });
    const push = await runJson(['--root', root, 'sync', 'push'], { env: auth });
    expect(push.code).toBe(0);
    expect(push.body.skipped).toEqual([expect.objectContaining({ path: `${broken}/workspace.json`, reason: expect.stringMatching(/not valid JSON/) })]);
    expect(remoteFile(server.repoPath('secure'), `${broken}/workspace.json`)).toBe(lastGood);
    expect(JSON.parse(remoteFile(server.repoPath('secure'), `${healthy}/workspace.json`)!).description).toBe('synced despite the broken neighbour');
    const text = await runCli(['--root', root, 'sync', 'status'], { env: auth });
    expect(text.stdout).toContain(`${broken}/workspace.json`);
    expect(text.stdout).toMatch(/not valid JSON/);
    // The broken bytes are still there for the program that is writing them.
    expect(await fsp.readFile(brokenFile, 'utf8')).toBe('{"id": "half-writ');
    await fsp.writeFile(brokenFile, lastGood!);
  });

  it('concurrent pushes on one root are serialized and all succeed', async () => {
    const ids = generated.workspaceIds;
    await Promise.all(
      ids.map(async (id, i) => {
        const file = path.join(root, id, 'workspace.json');
        await writeJson(file, { ...(await readJson(file)), description: `concurrent ${i}` });
      }),
    );
    const results = await Promise.all([1, 2, 3, 4].map(() => runCli(['--root', root, 'sync', 'push'], { env: auth })));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(nativeGit(root, ['fsck', '--no-progress']).code).toBe(0);
    expect(nativeGit(server.repoPath('secure'), ['fsck', '--no-progress']).code).toBe(0);
    for (const [i, id] of ids.entries()) {
      expect(JSON.parse(remoteFile(server.repoPath('secure'), `${id}/workspace.json`)!).description).toBe(`concurrent ${i}`);
    }
    await expect(fsp.access(path.join(root, '.git', 'planalign-sync', 'sync.lock'))).rejects.toThrow();
  });

  it('a lock left by a killed process does not block the next sync', async () => {
    const lock = path.join(root, '.git', 'planalign-sync', 'sync.lock');
    await fsp.writeFile(
      lock,
      JSON.stringify({ pid: 999_999, host: (await import('node:os')).hostname(), operation: 'push', started_at: new Date().toISOString() }),
    );
    const result = await runCli(['--root', root, 'sync', 'push'], { env: auth });
    expect(result.code).toBe(0);
  });

  it('no token ever lands in a tracked file, the journal or the config', async () => {
    const tracked = remoteFiles(server.repoPath('secure')).map((f) => remoteFile(server.repoPath('secure'), f) ?? '');
    for (const content of tracked) expect(content).not.toContain(TOKEN);
    for (const file of ['config', 'planalign-sync/journal.jsonl', 'planalign-sync/state.json']) {
      const content = await fsp.readFile(path.join(root, '.git', file), 'utf8').catch(() => '');
      expect(content).not.toContain(TOKEN);
    }
    const log = await runCli(['--root', root, '--json', 'sync', 'log'], { env: auth });
    expect(log.stdout).not.toContain(TOKEN);
  });
});

describe('bad input gets a clear message and a distinct exit code', () => {
  it('init without --remote and no terminal exits 2 with usage advice', async () => {
    const root = await tempDir('usage');
    const result = await runCli(['--root', root, 'sync', 'init']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--remote <url>');
  });

  it('a URL with a password is refused and the password is not echoed', async () => {
    const root = await tempDir('secret-url');
    const result = await runCli(['--root', root, 'sync', 'init', '--remote', 'https://me:hunter2-secret@example.com/r.git']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PLANALIGN_SYNC_TOKEN');
    expect(result.stderr).not.toContain('hunter2-secret');
    await expect(fsp.access(path.join(root, '.planalign-sync.yaml'))).rejects.toThrow();
  });

  it('an SSH URL without git on PATH says which https URL to use', async () => {
    const root = await tempDir('ssh');
    const result = await runCli(['--root', root, 'sync', 'init', '--remote', 'git@github.com:acme/workspaces.git'], { env: { PATH: '/nonexistent' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('https://github.com/acme/workspaces.git');
  });

  it('commands on a root without sync exit 6; status still reports it', async () => {
    const root = await tempDir('uninit');
    expect((await runCli(['--root', root, 'sync', 'push'])).code).toBe(6);
    expect((await runCli(['--root', root, 'sync', 'pull'])).code).toBe(6);
    expect((await runCli(['--root', root, 'sync', 'log'])).code).toBe(6);
    const status = await runJson(['--root', root, 'sync', 'status']);
    expect(status.code).toBe(6);
    expect(status.body.is_initialized).toBe(false);
    // a root that is no folder at all (a mistyped --root) is named as such
    const missing = path.join(root, 'no-such-folder');
    const push = await runCli(['--root', missing, 'sync', 'push']);
    expect(push.code).toBe(6);
    expect(push.stderr).toContain(`There is no folder at ${missing}`);
    expect((await runCli(['--root', missing, 'sync', 'status'])).stdout).toContain('There is no folder here');
  });

  it('an invalid setting names the file and the field', async () => {
    const root = await tempDir('settings');
    await fsp.writeFile(path.join(root, '.planalign-sync.yaml'), 'version: 1\nsync:\n  conflict_strategy: newest\n  colour: blue\n');
    await fsp.mkdir(path.join(root, '.git'));
    nativeGit(root, ['init', '-q']);
    const result = await runCli(['--root', root, 'sync', 'push']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('.planalign-sync.yaml');
    expect(result.stderr).toContain('sync.conflict_strategy');
    expect(result.stderr).toContain('sync.colour');
  });

  it('unknown flags and bad values are usage errors (exit 2)', async () => {
    expect((await runCli(['sync', 'push', '--frobnicate'])).code).toBe(2);
    expect((await runCli(['sync', 'log', '--limit', 'zero'])).code).toBe(2);
    expect((await runCli(['sync', 'push', '--strategy', 'coin-flip'])).code).toBe(2);
    // With --json, the same error as JSON on stdout.
    const json = await runJson(['--json', 'sync', 'pull', '--strategy', 'coin-flip']);
    expect(json.code).toBe(2);
    expect(json.body.error).toMatchObject({ code: 'usage', exit_code: 2 });
    expect(json.body.error.message).toContain('coin-flip');
  });

  it('--help and --version succeed', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--root <dir>');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

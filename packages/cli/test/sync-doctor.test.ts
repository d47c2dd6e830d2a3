import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_CHECKS } from '@planalign/sync-core';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { expectFsckClean, gitAsync, nativeGit, runCli, runJson, tempDir } from './harness.js';

const USER = 'planner';
const TOKEN = 'tok-doctor-5e1b9c0a7d3f';
const WRONG = 'tok-wrong-0b8e44c2a19d';
/** No credential helper or proxy of the person running the tests. */
const ISOLATED = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const auth = { ...ISOLATED, PLANALIGN_SYNC_USERNAME: USER, PLANALIGN_SYNC_TOKEN: TOKEN };

/** A process id that was just in use and is not any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

/** `planalign sync doctor` as a person runs it, on a root synced through a server that wants a token. */
describe('planalign sync doctor', () => {
  let server: GitServer;
  let url: string;
  let root: string;
  const doctor = (args: string[] = [], env: NodeJS.ProcessEnv = auth) => runCli(['--root', root, 'sync', 'doctor', ...args], { env });
  const lines = (text: string) => text.trimEnd().split('\n');

  beforeAll(async () => {
    server = await startGitServer({ auth: { username: USER, password: TOKEN } });
    url = await server.createRepo('doctor', { defaultBranch: 'main' });
    root = path.join(await tempDir('doctor'), 'workspaces');
    await generateWorkspaces({ root, ...PRESETS.demo });
    expect((await runCli(['--root', root, 'sync', 'init', '--remote', url], { env: auth })).code).toBe(0);
    expect((await runCli(['--root', root, 'sync', 'push'], { env: auth })).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('finds a synced root healthy, as git fsck does, and exits 0', async () => {
    const result = await doctor();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const printed = lines(result.stdout);
    expect(printed.at(-1)).toBe('Everything sync needs is in order.');
    for (const line of printed.slice(0, -1)) expect(line).toMatch(/^[✓-] /);
    expect(printed.some((line) => line.startsWith('✓ Credentials: ') && line.includes('PLANALIGN_SYNC_TOKEN'))).toBe(true);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    expectFsckClean(root);

    const json = await runJson(['--root', root, 'sync', 'doctor'], { env: auth });
    expect(json.code).toBe(0);
    expect(json.body.healthy).toBe(true);
    expect(json.body.findings.map((finding: { check: string }) => finding.check)).toEqual([...DOCTOR_CHECKS]);
  });

  it('reports a stale lock and leaves it, until --fix-lock removes it', async () => {
    const lock = path.join(root, '.git', 'planalign-sync', 'sync.lock');
    const pid = await deadPid();
    await fsp.writeFile(lock, JSON.stringify({ pid, host: os.hostname(), operation: 'push', started_at: new Date(Date.now() - 3600_000).toISOString() }));
    const result = await doctor();
    expect(result.code).toBe(8);
    const line = lines(result.stdout).find((printed) => printed.startsWith('! Lock: '));
    expect(line).toContain(`process ${pid}`);
    expect(line).toContain('no longer running');
    expect(line).toContain("'planalign sync doctor --fix-lock'");
    expect(lines(result.stdout).at(-1)).toBe('1 check needs attention.');
    expect(existsSync(lock)).toBe(true);

    const fixed = await doctor(['--fix-lock']);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout).toMatch(/^✓ Lock: Removed the stale lock left by a sync \(push, process \d+\)/m);
    expect(existsSync(lock)).toBe(false);
  });

  it('reports an index native git wrote as a split index, which native git still reads', async () => {
    expect(nativeGit(root, ['update-index', '--split-index']).code).toBe(0);
    expect(nativeGit(root, ['status', '--porcelain']).code).toBe(0);
    const result = await runJson(['--root', root, 'sync', 'doctor'], { env: auth });
    expect(result.code).toBe(8);
    const index = result.body.findings.find((finding: { check: string }) => finding.check === 'index');
    expect(index).toMatchObject({ status: 'warning', next: { action: 'rebuild_index' } });
    expect(index.summary).toMatch(/split index/);
    const text = await doctor();
    expect(lines(text.stdout).find((line) => line.startsWith('! Index: '))).toContain("'git update-index --no-split-index'");

    // The advice, followed, is what it takes.
    expect(nativeGit(root, ['update-index', '--no-split-index']).code).toBe(0);
    expect((await doctor()).code).toBe(0);
  });

  it('reports credentials the remote refuses, as native git finds them, without printing a token', async () => {
    const basic = (token: string) => `http.extraHeader=Authorization: Basic ${Buffer.from(`${USER}:${token}`).toString('base64')}`;
    await expect(gitAsync(root, ['-c', basic(WRONG), 'ls-remote', url], ISOLATED)).rejects.toThrow(/could not read Username|Authentication failed|401/i);
    await expect(gitAsync(root, ['-c', basic(TOKEN), 'ls-remote', url], ISOLATED)).resolves.toMatch(/refs\/heads\/main/);

    for (const token of [WRONG, '']) {
      const result = await doctor([], { ...auth, PLANALIGN_SYNC_TOKEN: token });
      expect(result.code).toBe(8);
      const line = lines(result.stdout).find((printed) => printed.startsWith('✗ Credentials: '));
      expect(line).toContain('refused');
      expect(line).toContain('PLANALIGN_SYNC_TOKEN');
      expect(lines(result.stdout).find((printed) => printed.startsWith('✓ Remote: '))).toBeDefined();
      expect(result.stdout + result.stderr).not.toContain(WRONG);
      expect(result.stdout + result.stderr).not.toContain(TOKEN);
    }
    const json = await runJson(['--root', root, 'sync', 'doctor'], { env: { ...auth, PLANALIGN_SYNC_TOKEN: WRONG } });
    expect(json.body.findings.find((finding: { check: string }) => finding.check === 'credentials')).toMatchObject({
      status: 'problem',
      remote: 'origin',
      next: { action: 'update_token', remote: 'origin' },
    });
    expect(JSON.stringify(json.body)).not.toContain(WRONG);
  });

  it('says sync is not set up on a root without it, with exit 8', async () => {
    const bare = path.join(await tempDir('doctor-none'), 'workspaces');
    const result = await runCli(['--root', bare, 'sync', 'doctor'], { env: auth });
    expect(result.code).toBe(8);
    expect(lines(result.stdout)[0]).toBe(
      `✗ Set-up: Sync is not set up for ${bare}. Run 'planalign sync init --remote <url>' first (or pass --root to choose another folder).`,
    );
    expect(existsSync(bare)).toBe(false);
  });
});

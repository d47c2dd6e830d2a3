import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { spawnPlanalign } from '@planalign/sync-tools/cli-runner';
import { readJson, remoteFile, runCli, runJson, isolatedHome, writeJson } from './harness.js';

const TOKEN = 'tok-login-7c2e91d04ab3';
const WRONG = 'tok-wrong-55e0a1f9c6d2';
const READ_ONLY = 'tok-readonly-1e7b3c9d58f0';

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `sync login`, `auth` and `logout` as a person uses them: a home folder of their own, no token
 * in the environment, a remote that wants one. Each command is a new process, so every push
 * after the login stands for a restart.
 */
describe('planalign sync login', () => {
  let server: GitServer;

  beforeAll(async () => {
    server = await startGitServer({ auth: { username: 'planalign-sync', password: TOKEN }, readOnlyAuth: { username: 'planalign-sync', password: READ_ONLY } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** A machine: its own home and configuration folder, its git settings, a root with workspaces. */
  async function machine(name: string, gitconfig: string) {
    const { home, env } = await isolatedHome(`login-${name}`, gitconfig);
    const root = path.join(home, 'workspaces');
    const generated = await generateWorkspaces({ root, ...PRESETS.demo });
    const url = await server.createRepo(name, { defaultBranch: 'main' });
    const cli = (args: string[], input?: string) => runCli(['--root', root, 'sync', ...args], { env, input });
    const json = (args: string[], input?: string) => runJson(['--root', root, 'sync', ...args], { env, input });
    const edit = async (description: string) => {
      const file = path.join(root, generated.workspaceIds[0], 'workspace.json');
      await writeJson(file, { ...(await readJson(file)), description });
    };
    return { home, env, root, url, cli, json, edit, workspace: generated.workspaceIds[0] };
  }

  it('keeps the token in a file only the user can read when no credential helper is set up', async () => {
    const m = await machine('login-file', '');
    const file = path.join(m.home, 'config', 'planalign-sync', 'credentials.json');

    // Bad input: no way to read the token, no remote to give it for, an SSH address.
    const noInput = await m.cli(['login', '--remote', m.url]);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain('--with-token');
    const noRemote = await m.cli(['login', '--with-token'], TOKEN);
    expect(noRemote.code).toBe(2);
    expect(noRemote.stderr).toContain('--remote');
    expect((await m.cli(['login', '--with-token', '--remote', 'git@github.com:you/repo.git'], TOKEN)).code).toBe(2);
    expect((await m.cli(['login', '--with-token', '--remote', m.url], '\n')).code).toBe(2);
    // A token the remote refuses is not kept.
    const wrong = await m.json(['login', '--with-token', '--remote', m.url], WRONG);
    expect(wrong.code).toBe(3);
    expect(wrong.body.error).toMatchObject({ code: 'auth_failed', exit_code: 3 });
    expect(wrong.body.error.message).toMatch(/refused this token for writing.*Nothing was saved/);
    expect(existsSync(file)).toBe(false);
    // So is a token that may read the repository but not write to it.
    const readOnly = await m.json(['login', '--with-token', '--remote', m.url], READ_ONLY);
    expect(readOnly.code).toBe(3);
    expect(readOnly.body.error.message).toMatch(/refused this token for writing/);
    expect(existsSync(file)).toBe(false);

    const login = await m.json(['login', '--with-token', '--remote', m.url], `${TOKEN}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.body).toMatchObject({ source: 'file', location: file });
    expect(JSON.stringify(login.body)).not.toContain(TOKEN);
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fsp.stat(path.dirname(file))).mode & 0o077).toBe(0);
    expect(await fsp.readFile(file, 'utf8')).toContain(TOKEN);

    expect((await m.cli(['init', '--remote', m.url])).code).toBe(0);
    expect((await m.cli(['push'])).code).toBe(0);
    const auth = await m.json(['auth']);
    expect(auth.body).toMatchObject({ source: 'file', location: file });
    // PLANALIGN_SYNC_TOKEN wins when set.
    const fromEnv = await runJson(['--root', m.root, 'sync', 'auth'], { env: { ...m.env, PLANALIGN_SYNC_TOKEN: 'x' } });
    expect(fromEnv.body).toMatchObject({ source: 'environment', location: null });

    // `sync watch` finds it too: a change made while it runs reaches the remote.
    const watch = spawnPlanalign(['--root', m.root, '--json', 'sync', 'watch', '--debounce', '200'], { env: m.env });
    let watched = '';
    watch.stdout!.on('data', (chunk: Buffer) => (watched += chunk));
    watch.stderr!.on('data', (chunk: Buffer) => (watched += chunk));
    try {
      await until(() => watched.includes('"synced"'), 'the first sync of sync watch');
      await m.edit('while watching');
      await until(
        () => (remoteFile(server.repoPath('login-file'), `${m.workspace}/workspace.json`) ?? '').includes('while watching'),
        'the change on the remote',
      );
    } finally {
      watch.kill('SIGTERM');
      await new Promise((resolve) => watch.once('close', resolve));
    }
    expect(watched).not.toContain(TOKEN);

    // Logging in again (without --remote: origin) replaces it; logging out forgets it.
    expect((await m.cli(['login', '--with-token'], TOKEN)).code).toBe(0);
    const logout = await m.json(['logout']);
    expect(logout.code).toBe(0);
    expect(logout.body.source).toBeNull();
    expect(existsSync(file)).toBe(false);
    await m.edit('after logout');
    const refused = await m.cli(['push']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("'planalign sync login --with-token'");
    // status shows the state as of the last sync, and the same way out
    const status = await m.cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('refused the credentials (HTTP 401)');
    expect(status.stdout).toContain("'planalign sync login --with-token'");
    for (const output of [noInput, noRemote, login, refused, status]) expect(JSON.stringify(output)).not.toContain(TOKEN);
  });

  it("goes through Git's credential helper when one is set up (store)", async () => {
    const m = await machine('login-store', '[credential]\n\thelper = store\n');
    const store = path.join(m.home, '.git-credentials');
    expect((await m.cli(['login', '--with-token', '--remote', m.url], WRONG)).code).toBe(3);
    expect(existsSync(store) ? await fsp.readFile(store, 'utf8') : '').toBe('');

    const login = await m.json(['login', '--with-token', '--remote', m.url], TOKEN);
    expect(login.code, login.stderr).toBe(0);
    expect(login.body).toMatchObject({ source: 'credential-helper', location: 'store' });
    expect(await fsp.readFile(store, 'utf8')).toContain(TOKEN);
    expect(existsSync(path.join(m.home, 'config', 'planalign-sync'))).toBe(false);

    expect((await m.cli(['init', '--remote', m.url])).code).toBe(0);
    await m.edit('through the helper');
    expect((await m.cli(['push'])).code).toBe(0);
    expect((await m.json(['auth'])).body).toMatchObject({ source: 'credential-helper', location: 'store' });

    expect((await m.cli(['logout'])).code).toBe(0);
    expect(await fsp.readFile(store, 'utf8')).not.toContain(TOKEN);
    await m.edit('after logout');
    expect((await m.cli(['push'])).code).toBe(3);
  });
});

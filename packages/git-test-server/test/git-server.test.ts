import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../src/git-server.js';

const run = promisify(execFile);
// Asynchronous on purpose: the server answers from this same process.
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });

async function workTree(files: number, bytes: number): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'git-server-test-'));
  await git(dir, 'init', '-q', '-b', 'main');
  for (let i = 0; i < files; i += 1) await fsp.writeFile(path.join(dir, `f${i}.txt`), `${i}`.repeat(Math.max(1, bytes / String(i).length)));
  await git(dir, 'add', '-A');
  await git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'files');
  return dir;
}

describe('loopback smart-HTTP Git server', () => {
  let server: GitServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it.each(['0', '2'])('native git pushes, clones and fetches through it (protocol v%s)', async (version) => {
    server = await startGitServer();
    const url = await server.createRepo('plain');
    const source = await workTree(5, 100);
    await git(source, '-c', `protocol.version=${version}`, 'push', '-q', url, 'main');
    const clone = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'clone-')), 'c');
    await git(os.tmpdir(), '-c', `protocol.version=${version}`, 'clone', '-q', url, clone);
    expect((await fsp.readdir(clone)).filter((f) => f.endsWith('.txt'))).toHaveLength(5);
    expect(server.requests).toBeGreaterThan(2);
  });

  it('a large push (chunked, gzip-encoded requests) arrives whole', async () => {
    server = await startGitServer();
    const url = await server.createRepo('large');
    const source = await workTree(2000, 3000);
    await git(source, 'push', '-q', url, 'main');
    const { stdout } = await git(server.repoPath('large'), 'ls-tree', '-r', '--name-only', 'main');
    expect(stdout.trim().split('\n')).toHaveLength(2000);
    await git(server.repoPath('large'), 'fsck', '--no-progress');
  });

  it('with credentials set, refuses requests without them and accepts the right ones', async () => {
    server = await startGitServer({ auth: { username: 'ann', password: 's3cret' } });
    const url = await server.createRepo('private');
    const source = await workTree(1, 10);
    await expect(git(source, 'push', '-q', url, 'main')).rejects.toThrow();
    const withCredentials = url.replace('http://', 'http://ann:s3cret@');
    await git(source, 'push', '-q', withCredentials, 'main');
    const response = await fetch(`${url}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('stop() frees the port', async () => {
    server = await startGitServer();
    const port = Number(new URL(server.baseUrl).port);
    await server.stop();
    server = undefined;
    await new Promise<void>((resolve, reject) => {
      const probe = net
        .createServer()
        .once('error', reject)
        .listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });
});

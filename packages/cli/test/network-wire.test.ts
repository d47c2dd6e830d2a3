import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { runCli, runJson, syncedTree, tempDir, writeJson } from './harness.js';

/**
 * A real Git server behind a small reverse proxy that can change its answers the way a broken
 * server or middlebox would: an ERR line instead of refs, a SHA-256 repository, junk after the
 * pack, a `00x6` length where a flush might be guessed. Each must stop the pull with a clear
 * message and leave the second machine exactly as it was.
 */
type Mode = 'pass' | 'err-discovery' | 'err-fetch' | 'sha256' | 'junk-after-pack' | 'fake-flush' | 'no-agent';

const pkt = (text: string | Buffer) => {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
};

/** Rewrites the capability list of a ref advertisement (the first ref line, after the NUL). */
function rewriteCapabilities(body: Buffer, change: (caps: string) => string): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  let done = false;
  while (offset < body.length) {
    const length = Number.parseInt(body.toString('latin1', offset, offset + 4), 16);
    if (length === 0) {
      parts.push(Buffer.from('0000'));
      offset += 4;
      continue;
    }
    const payload = body.subarray(offset + 4, offset + length);
    const nul = payload.indexOf(0);
    if (!done && nul >= 0) {
      done = true;
      const caps = payload
        .subarray(nul + 1)
        .toString('latin1')
        .replace(/\n$/, '');
      parts.push(pkt(Buffer.concat([payload.subarray(0, nul + 1), Buffer.from(`${change(caps)}\n`)])));
    } else parts.push(body.subarray(offset, offset + length));
    offset += length;
  }
  return Buffer.concat(parts);
}

let server: GitServer;
let front: http.Server;
let frontUrl: string;
let mode: Mode = 'pass';
const uploadRequests: Buffer[] = [];

beforeAll(async () => {
  server = await startGitServer();
  front = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = request.url ?? '/';
    if (url.endsWith('/git-upload-pack')) uploadRequests.push(body);
    if (mode === 'err-discovery' && url.includes('/info/refs')) {
      response.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' });
      response.end(Buffer.concat([pkt('# service=git-upload-pack\n'), Buffer.from('0000'), pkt('ERR Repository disabled by its administrator\n')]));
      return;
    }
    const upstream = await fetch(`${server.baseUrl}${url}`, {
      method: request.method,
      headers: { 'Content-Type': request.headers['content-type'] ?? 'application/octet-stream' },
      body: request.method === 'POST' ? body : undefined,
    });
    let answer: Buffer = Buffer.from(await upstream.arrayBuffer());
    if (url.includes('/info/refs') && mode === 'sha256') answer = rewriteCapabilities(answer, (caps) => `${caps} object-format=sha256`);
    if (url.includes('/info/refs') && mode === 'no-agent')
      answer = rewriteCapabilities(answer, (caps) =>
        caps
          .split(' ')
          .filter((c) => !c.startsWith('agent='))
          .join(' '),
      );
    if (url.endsWith('/git-upload-pack')) {
      if (mode === 'err-fetch') answer = pkt('ERR upload-pack: not our ref, the branch was rewritten\n');
      if (mode === 'junk-after-pack') answer = Buffer.concat([answer, pkt('junk\n')]);
      // After "0008NAK\n": a length that is not hex, which must not be read as a flush.
      if (mode === 'fake-flush') answer = Buffer.concat([answer.subarray(0, 8), Buffer.from('00x6'), answer.subarray(8)]);
    }
    response.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
    response.end(answer);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  frontUrl = `http://127.0.0.1:${(front.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => front?.close(() => resolve()));
  await server?.stop();
});

/** Everything under .git that a failed pull must leave alone: packs, loose objects, refs. */
async function gitState(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await fsp.readdir(path.join(root, '.git', folder), { withFileTypes: true }).catch(() => [])) {
      const relative = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(relative);
      else found.push(`${relative}:${(await fsp.readFile(path.join(root, '.git', relative))).length}`);
    }
  };
  await walk('objects');
  await walk('refs');
  return found.sort();
}

describe('malformed or refusing answers from the server', () => {
  it('each stops the pull with the reason and writes nothing locally; the pull succeeds once the server is well again', async () => {
    const remote = (await server.createRepo('wire')).replace(server.baseUrl, frontUrl);
    const a = path.join(await tempDir('wire-a'), 'workspaces');
    const b = path.join(await tempDir('wire-b'), 'workspaces');
    await generateWorkspaces({ root: a, ...PRESETS.demo });
    await fsp.mkdir(b, { recursive: true });
    mode = 'pass';
    expect((await runCli(['--root', a, 'sync', 'init', '--remote', remote])).code).toBe(0);
    expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', b, 'sync', 'init', '--remote', remote])).code).toBe(0);

    // A change on A that B has not seen.
    const workspace = (await fsp.readdir(a)).find((name) => /^[0-9a-f-]{36}$/.test(name))!;
    const file = path.join(a, workspace, 'workspace.json');
    await writeJson(file, { ...JSON.parse(await fsp.readFile(file, 'utf8')), description: 'changed on A' });
    expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);

    const filesBefore = await syncedTree(b);
    const gitBefore = await gitState(b);
    const expectations: [Mode, string][] = [
      ['err-discovery', 'Repository disabled by its administrator'],
      ['err-fetch', 'not our ref, the branch was rewritten'],
      ['sha256', 'SHA-256'],
      ['junk-after-pack', 'after the end of the pack'],
      ['fake-flush', 'malformed pkt-line length'],
    ];
    for (const [failing, text] of expectations) {
      mode = failing;
      const pull = await runJson(['--root', b, 'sync', 'pull']);
      expect(pull.code, `${failing}: ${JSON.stringify(pull.body)}`).not.toBe(0);
      expect(pull.body.error.message, failing).toContain(text);
      expect(await gitState(b), failing).toEqual(gitBefore);
      expect(await syncedTree(b), failing).toEqual(filesBefore);
    }
    mode = 'pass';
    const pull = await runCli(['--root', b, 'sync', 'pull']);
    expect(pull.code, pull.stderr).toBe(0);
    expect(JSON.parse(await fsp.readFile(path.join(b, workspace, 'workspace.json'), 'utf8')).description).toBe('changed on A');
  });

  it('a SHA-256 repository made by native git is refused with a clear message, empty or not, and nothing is pushed', async () => {
    const git = (...args: string[]) => {
      const result = spawnSync('git', args, {
        encoding: 'utf8',
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
      });
      expect(result.status, result.stderr).toBe(0);
    };
    const empty = path.join(server.projectRoot, 'sha256-empty.git');
    const filled = path.join(server.projectRoot, 'sha256-filled.git');
    git('init', '-q', '--bare', '--object-format=sha256', empty);
    git('-C', empty, 'config', 'http.receivepack', 'true');
    git('init', '-q', '--bare', '--object-format=sha256', '--initial-branch=main', filled);
    const work = path.join(await tempDir('sha256-work'), 'w');
    git('init', '-q', '--object-format=sha256', '--initial-branch=main', work);
    await fsp.writeFile(path.join(work, 'README.md'), 'hello\n');
    git('-C', work, 'add', '.');
    git('-C', work, 'commit', '-q', '-m', 'first');
    git('-C', work, 'push', '-q', filled, 'main');
    mode = 'pass';

    const a = path.join(await tempDir('sha256-a'), 'workspaces');
    await generateWorkspaces({ root: a, ...PRESETS.demo });
    const filledInit = await runJson(['--root', a, 'sync', 'init', '--remote', `${server.baseUrl}/sha256-filled.git`]);
    expect(filledInit.code).toBe(2);
    expect(filledInit.body.error.message).toContain('SHA-256 repository');

    // git's v0 advertisement of an empty repository names no object format; receive-pack's does.
    const b = path.join(await tempDir('sha256-b'), 'workspaces');
    await generateWorkspaces({ root: b, ...PRESETS.demo });
    await runCli(['--root', b, 'sync', 'init', '--remote', `${server.baseUrl}/sha256-empty.git`]);
    const push = await runJson(['--root', b, 'sync', 'push']);
    expect(push.code).toBe(2);
    expect(push.body.error.message).toContain('SHA-256 repository');
    expect(spawnSync('git', ['-C', empty, 'rev-parse', '--verify', '--quiet', 'refs/heads/main']).status).not.toBe(0);
  });

  it('sends agent= only to a server that advertised its own', async () => {
    const remote = (await server.createRepo('agent')).replace(server.baseUrl, frontUrl);
    const a = path.join(await tempDir('agent-a'), 'workspaces');
    await generateWorkspaces({ root: a, ...PRESETS.demo });
    mode = 'pass';
    expect((await runCli(['--root', a, 'sync', 'init', '--remote', remote])).code).toBe(0);
    expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);

    const cloneWith = async (current: Mode) => {
      mode = current;
      uploadRequests.length = 0;
      const root = path.join(await tempDir(`agent-${current}`), 'workspaces');
      await fsp.mkdir(root, { recursive: true });
      const init = await runCli(['--root', root, 'sync', 'init', '--remote', remote]);
      expect(init.code, init.stderr).toBe(0);
      expect(uploadRequests.length).toBeGreaterThan(0);
      return Buffer.concat(uploadRequests).toString('latin1');
    };
    expect(await cloneWith('pass')).toContain('agent=planalign-sync');
    expect(await cloneWith('no-agent')).not.toContain('agent=');
    mode = 'pass';
  });
});

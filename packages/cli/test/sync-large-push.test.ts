import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '@planalign/sync-tools/fault-proxy';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { nativeGit, remoteHead, runCli, syncedTree, twoMachines, writeJson, type TwoMachines } from './harness.js';

/** A JSON file of `bytes` random base64 characters: it compresses to about 3/4, so a few make a pack of several MB. */
async function writeIncompressible(file: string, bytes: number): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeJson(file, { samples: randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64') });
}

/** The pack file holding an object, and where its entry starts, from native git's verify-pack. */
async function packEntryOf(root: string, oid: string): Promise<{ packFile: string; offset: number }> {
  const folder = path.join(root, '.git', 'objects', 'pack');
  for (const name of (await fsp.readdir(folder)).filter((n) => n.endsWith('.idx'))) {
    for (const line of nativeGit(folder, ['verify-pack', '-v', name]).stdout.split('\n')) {
      const [id, , , , offset] = line.split(/\s+/);
      if (id === oid) return { packFile: path.join(folder, name.replace(/\.idx$/, '.pack')), offset: Number(offset) };
    }
  }
  throw new Error(`${oid} is not in a pack of ${root}`);
}

describe('pushes larger than one request buffer', () => {
  let machines: TwoMachines;
  let server: GitServer;

  beforeAll(async () => {
    machines = await twoMachines('large-push');
    server = machines.server;
    const workspace = machines.generated.workspaceIds[0];
    for (let i = 0; i < 3; i += 1) await writeIncompressible(path.join(machines.machineA, workspace, 'assumptions', `inputs-${i}.json`), 1_000_000);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a first push of several MB is streamed, lands whole, and a second machine gets identical files', async () => {
    const { machineA, machineB, url } = machines;
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    const before = server.receivedBodies.length;
    const push = await runCli(['--root', machineA, 'sync', 'push']);
    expect(push.code, push.stderr).toBe(0);
    const upload = server.receivedBodies.slice(before).find((body) => body.path.endsWith('/git-receive-pack'))!;
    // Chunked, as git sends anything past http.postBuffer: no Content-Length, several MB taken in.
    expect(upload.contentLength).toBeNull();
    expect(upload.bytes).toBeGreaterThan(2_000_000);
    expect(nativeGit(server.repoPath('large-push'), ['fsck', '--strict', '--no-progress']).code).toBe(0);

    expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect(await syncedTree(machineB)).toEqual(await syncedTree(machineA));
  });

  it('a server that refuses an upload as too large (HTTP 413) gets a message naming the limit, and the next push succeeds', async () => {
    const { machineA, generated } = machines;
    await writeIncompressible(path.join(machineA, generated.workspaceIds[0], 'assumptions', 'inputs-big.json'), 1_500_000);
    const proxy = await startFaultProxy(server.baseUrl);
    try {
      proxy.setFault({ kind: 'status', status: 413, only: 'receive-pack' });
      expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', `${proxy.baseUrl}/large-push.git`])).code).toBe(0);
      const headBefore = remoteHead(server.repoPath('large-push'));
      const refused = await runCli(['--root', machineA, 'sync', 'push']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/too large \(HTTP 413\).*client_max_body_size/s);
      expect(remoteHead(server.repoPath('large-push'))).toBe(headBefore);
      proxy.setFault({ kind: 'none' });
      expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
      expect(remoteHead(server.repoPath('large-push'))).not.toBe(headBefore);
    } finally {
      await runCli(['--root', machineA, 'sync', 'init', '--remote', machines.url]);
      await proxy.stop();
    }
  });

  it('a small push goes as one request with a Content-Length', async () => {
    const { machineA, generated } = machines;
    const file = path.join(machineA, generated.workspaceIds[1], 'workspace.json');
    await writeJson(file, { ...JSON.parse(await fsp.readFile(file, 'utf8')), description: 'small change' });
    const before = server.receivedBodies.length;
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const upload = server.receivedBodies.slice(before).find((body) => body.path.endsWith('/git-receive-pack'))!;
    expect(upload.contentLength).toBe(upload.bytes);
    expect(upload.bytes).toBeLessThan(1 << 20);
  });

  it('a damaged object in the local pack stops the push with its id named; the remote and the files are untouched', async () => {
    const { machineA, generated } = machines;
    const workspace = generated.workspaceIds[1];
    // Enough new files that the local commit stores them as a pack.
    await fsp.mkdir(path.join(machineA, workspace, 'assumptions'), { recursive: true });
    for (let i = 0; i < 80; i += 1)
      await writeJson(path.join(machineA, workspace, 'assumptions', `series-${i}.json`), { series: i, values: [i, i * 2, i * 3] });
    const victim = path.join(machineA, workspace, 'assumptions', 'series-7.json');
    const victimText = await fsp.readFile(victim, 'utf8');
    const blob = nativeGit(machineA, ['hash-object', victim]).stdout.trim();

    // Commit locally while the remote is down, then damage the blob's stored bytes.
    const port = Number(new URL(server.baseUrl).port);
    const projectRoot = server.projectRoot;
    await server.stop();
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(4);
    server = await startGitServer({ projectRoot, port });
    const { packFile, offset } = await packEntryOf(machineA, blob);
    await fsp.chmod(packFile, 0o644);
    const handle = await fsp.open(packFile, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset + 4);
    byte[0] ^= 0xff;
    await handle.write(byte, 0, 1, offset + 4);
    await handle.close();

    const headBefore = remoteHead(server.repoPath('large-push'));
    const damaged = await runCli(['--root', machineA, 'sync', 'push']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(blob);
    expect(damaged.stderr).toMatch(/cannot be read.*Nothing was pushed/s);
    expect(damaged.stderr).not.toMatch(/Could not reach/);
    expect(remoteHead(server.repoPath('large-push'))).toBe(headBefore);
    expect(nativeGit(server.repoPath('large-push'), ['fsck', '--strict', '--no-progress']).code).toBe(0);
    expect(await fsp.readFile(victim, 'utf8')).toBe(victimText);
  });
});

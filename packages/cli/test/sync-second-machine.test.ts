import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { CLI, remoteFiles, runCli, runJson, syncedTree, tempDir } from './harness.js';

describe('a second machine that already has workspaces of its own', () => {
  let server: GitServer;
  afterAll(async () => {
    await server?.stop();
  });

  it("init brings the remote's workspaces down and keeps its own; the next push shares them", async () => {
    server = await startGitServer();
    const url = await server.createRepo('shared', { defaultBranch: 'main' });
    const machineA = path.join(await tempDir('own-a'), 'workspaces');
    const machineB = path.join(await tempDir('own-b'), 'workspaces');
    const onA = await generateWorkspaces({ root: machineA, ...PRESETS.demo, seed: 1 });
    const onB = await generateWorkspaces({ root: machineB, ...PRESETS.demo, seed: 2 });
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    const ownBefore = await syncedTree(machineB);

    const init = await runJson(['--root', machineB, 'sync', 'init', '--remote', url]);
    expect(init.code).toBe(0);
    expect(init.body.from_remote.workspaces).toBe(onA.workspaces);
    const after = await syncedTree(machineB);
    for (const [file, content] of ownBefore) if (file !== '.gitignore') expect(after.get(file), file).toBe(content);
    for (const id of onA.workspaceIds) expect(after.has(`${id}/workspace.json`)).toBe(true);

    const status = await runJson(['--root', machineB, 'sync', 'status']);
    const ownCards = status.body.workspaces.filter((w: { id: string }) => onB.workspaceIds.includes(w.id));
    expect(ownCards.map((w: { state: string }) => w.state)).toEqual(onB.workspaceIds.map(() => 'local_only'));

    expect((await runCli(['--root', machineB, 'sync', 'push'])).code).toBe(0);
    const files = remoteFiles(server.repoPath('shared'));
    for (const id of [...onA.workspaceIds, ...onB.workspaceIds]) expect(files).toContain(`${id}/workspace.json`);
    expect((await runCli(['--root', machineA, 'sync', 'pull'])).code).toBe(0);
    expect(await syncedTree(machineA)).toEqual(await syncedTree(machineB));
  });
});

describe('an SSH remote, through the native git transport', () => {
  it('pushes and clones with a git@host:owner/repo.git URL', async () => {
    const hostRoot = await tempDir('ssh-host');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', path.join(hostRoot, 'acme', 'workspaces.git')]);
    // A stand-in for ssh: runs the git program it is asked for on this machine, in the "host's" folder.
    const fakeSsh = path.join(hostRoot, 'fake-ssh');
    await fsp.writeFile(fakeSsh, `#!/bin/sh\nfor last; do :; done\ncd "${hostRoot}" && exec sh -c "$last"\n`, { mode: 0o755 });
    const env = { GIT_SSH_COMMAND: fakeSsh };
    const url = 'git@example.test:acme/workspaces.git';
    const machineA = path.join(await tempDir('ssh-a'), 'workspaces');
    const machineB = path.join(await tempDir('ssh-b'), 'workspaces');
    await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url], { env })).code).toBe(0);
    const push = await runCli(['--root', machineA, 'sync', 'push'], { env });
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    const init = await runCli(['--root', machineB, 'sync', 'init', '--remote', url], { env });
    expect(init.code).toBe(0);
    expect(await syncedTree(machineB)).toEqual(await syncedTree(machineA));
  });
});

describe('init on a terminal', () => {
  it('asks for the remote URL when --remote is missing, and shows progress', async () => {
    const server = await startGitServer();
    try {
      const url = await server.createRepo('asked', { defaultBranch: 'main' });
      const root = path.join(await tempDir('tty'), 'workspaces');
      await generateWorkspaces({ root, ...PRESETS.demo });
      // `script` gives the command a real pseudo-terminal; the answer is typed after the question.
      const child = spawn(
        'script',
        ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --root ${JSON.stringify(root)} sync init`, '/dev/null'],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Git remote URL') && !child.stdin.writableEnded) child.stdin.end(`${url}\n`);
      });
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
      expect(code).toBe(0);
      expect(output).toContain('Git remote URL');
      expect(output).toContain('Sync initialized.');
      expect(await fsp.readFile(path.join(root, '.planalign-sync.yaml'), 'utf8')).toContain(`remote: ${url}`);
    } finally {
      await server.stop();
    }
  });
});

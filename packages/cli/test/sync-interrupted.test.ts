import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/sync-tools/git-server';
import { addRun, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { CLI, nativeGit, remoteFiles, runCli, syncedTree, tempDir } from './harness.js';

/** Starts the CLI and kills it with SIGKILL after `delayMs`, wherever it is. */
function killedAfter(args: string[], delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('a sync killed at any point', () => {
  let server: GitServer;
  let url: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;

  beforeAll(async () => {
    server = await startGitServer();
    url = await server.createRepo('killed', { defaultBranch: 'main' });
    machineA = path.join(await tempDir('kill-a'), 'workspaces');
    machineB = path.join(await tempDir('kill-b'), 'workspaces');
    generated = await generateWorkspaces({ root: machineA, ...PRESETS.typical });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('leaves a root the next push and pull complete, with nothing lost', async () => {
    // Kill the first init, then pushes and pulls with new runs in between, at spread-out moments.
    await killedAfter(['--root', machineA, 'sync', 'init', '--remote', url], 150);
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    const delays = [60, 120, 180, 240, 300, 360, 420, 500];
    for (const [round, delay] of delays.entries()) {
      const workspaceId = generated.workspaceIds[round % generated.workspaceIds.length];
      const scenarios = (await import('node:fs')).readdirSync(path.join(machineA, workspaceId, 'scenarios'));
      await addRun(machineA, workspaceId, scenarios[round % scenarios.length], { seed: round + 1 });
      await killedAfter(['--root', machineA, 'sync', 'push'], delay);
      if (round % 2 === 1) await killedAfter(['--root', machineB, 'sync', 'init', '--remote', url], delay);
    }
    const push = await runCli(['--root', machineA, 'sync', 'push']);
    expect(push.code, push.stderr).toBe(0);
    const init = await runCli(['--root', machineB, 'sync', 'init', '--remote', url]);
    expect(init.code, init.stderr).toBe(0);
    const pull = await runCli(['--root', machineB, 'sync', 'pull']);
    expect(pull.code, pull.stderr).toBe(0);

    expect(nativeGit(machineA, ['fsck', '--no-progress']).code).toBe(0);
    expect(nativeGit(machineB, ['fsck', '--no-progress']).code).toBe(0);
    expect(nativeGit(server.repoPath('killed'), ['fsck', '--no-progress']).code).toBe(0);
    const onA = await syncedTree(machineA);
    const runsOnA = [...onA.keys()].filter((f) => f.endsWith('run_metadata.json'));
    expect(runsOnA).toHaveLength(generated.runs + delays.length);
    const onRemote = remoteFiles(server.repoPath('killed'));
    for (const file of onA.keys()) expect(onRemote).toContain(file);
    const onB = await syncedTree(machineB);
    for (const [file, content] of onA) expect(onB.get(file), file).toBe(content);
  });
});

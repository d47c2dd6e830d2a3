import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { addRun, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { CLI, nativeGit, readJson, remoteFiles, runCli, runJson, syncedTree, twoMachines, writeJson } from './harness.js';

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
    ({ server, url, machineA, machineB, generated } = await twoMachines('killed', { preset: 'typical' }));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('leaves a root the next push and pull complete, with nothing lost', async () => {
    // Kill the first init, then pushes and pulls with new runs in between, at spread-out moments.
    await killedAfter(['--root', machineA, 'sync', 'init', '--remote', url], 150);
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    const delays = [60, 120, 180, 240, 300, 360, 420, 500, 90, 150, 210, 270];
    for (const [round, delay] of delays.entries()) {
      const workspaceId = generated.workspaceIds[round % generated.workspaceIds.length];
      const scenarios = (await import('node:fs')).readdirSync(path.join(machineA, workspaceId, 'scenarios'));
      await addRun(machineA, workspaceId, scenarios[round % scenarios.length], { seed: round + 1 });
      await killedAfter(['--root', machineA, 'sync', 'push'], delay);
      // Every third round the push completes, so B has something new to be killed while pulling.
      if (round % 3 === 2) expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
      if (round === 1) await killedAfter(['--root', machineB, 'sync', 'init', '--remote', url], delay);
      if (round === 2) expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
      if (round > 2) await killedAfter(['--root', machineB, 'sync', 'pull'], delay);
    }
    const push = await runCli(['--root', machineA, 'sync', 'push']);
    expect(push.code, push.stderr).toBe(0);
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

  it('a checkout cut off half-way is finished first, so its files never pass for local edits', async () => {
    const { server: own, url: remote, machineA: a, machineB: b, generated: g } = await twoMachines('half-checkout');
    try {
      expect((await runCli(['--root', a, 'sync', 'init', '--remote', remote])).code).toBe(0);
      expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);
      expect((await runCli(['--root', b, 'sync', 'init', '--remote', remote])).code).toBe(0);
      const file = path.join(g.workspaceIds[0], 'workspace.json');
      const setName = async (name: string) => {
        const target = path.join(a, file);
        await writeJson(target, { ...(await readJson(target)), name });
      };
      // A renames a workspace and adds one that B cannot write yet (a file stands in its way).
      await setName('Second name');
      await fsp.mkdir(path.join(a, 'zzzz-new-workspace'));
      await writeJson(path.join(a, 'zzzz-new-workspace', 'workspace.json'), { id: 'zzzz-new-workspace', name: 'New' });
      expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);
      await fsp.writeFile(path.join(b, 'zzzz-new-workspace'), 'in the way');
      const cut = await runCli(['--root', b, 'sync', 'pull']);
      expect(cut.code).not.toBe(0);
      expect(cut.stderr).toContain('zzzz-new-workspace');
      expect((await readJson(path.join(b, file))).name).toBe('Second name');

      // Meanwhile A renames it again; B's half-done checkout must not win over that.
      await setName('Third name');
      expect((await runCli(['--root', a, 'sync', 'push'])).code).toBe(0);
      await fsp.rm(path.join(b, 'zzzz-new-workspace'));
      const pull = await runJson(['--root', b, 'sync', 'pull']);
      expect(pull.code).toBe(0);
      expect(pull.body.resolved_conflicts).toEqual([]);
      expect((await readJson(path.join(b, file))).name).toBe('Third name');
      expect(await syncedTree(b)).toEqual(await syncedTree(a));
    } finally {
      await own.stop();
    }
  });
});

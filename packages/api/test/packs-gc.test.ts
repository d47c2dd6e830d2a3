import { spawnSync } from 'node:child_process';
import { promises as fsp, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncService } from '@planalign/sync-core';
import { editScenario } from '@planalign/sync-tools/workspace-generator';
import { startApiServer } from '../src/server.js';
import { call, syncedPair } from './http-helpers.js';

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Deleted pack files of a root that this process still holds open (Linux's /proc). */
function deletedPacksHeldOpen(root: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(path.join('/proc/self/fd', fd));
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(root) && target.endsWith('.pack (deleted)'));
}

/**
 * The API server is one long-lived process: between its syncs, native git gc and repack
 * replace every pack on this machine and on the remote, as a teammate's git or a scheduled
 * `git maintenance` would.
 */
describe('the API server across native git gc and repack', () => {
  let pair: Awaited<ReturnType<typeof syncedPair>>;
  let api: Awaited<ReturnType<typeof startApiServer>>;

  beforeAll(async () => {
    pair = await syncedPair('packs-gc');
    api = await startApiServer({ root: pair.machineB });
  });

  afterAll(async () => {
    await api?.close();
    await pair?.git.stop();
  });

  it('keeps pulling and pushing, keeps its tracking ref, and lets go of removed packs', async () => {
    const { machineA, machineB, generated } = pair;
    const bare = pair.git.repoPath('packs-gc');
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    const scenarioOn = async (root: string) => JSON.parse(await fsp.readFile(path.join(root, workspaceId, 'scenarios', scenarioId, 'scenario.json'), 'utf8'));
    const steps: [string, string[]][] = [
      ['gc', ['gc', '-q']],
      ['repack', ['repack', '-q', '-a', '-d', '-f', '--depth=50']],
      ['gc again', ['gc', '-q', '--aggressive']],
    ];
    for (const [name, args] of steps) {
      await editScenario(machineA, workspaceId, scenarioId, { description: `A before ${name}` });
      await new SyncService(machineA).push();
      git(machineB, ...args);
      git(bare, ...args);

      const pull = await call(api.url, 'POST', '/api/sync/pull', {});
      expect(pull.status, JSON.stringify(pull.body)).toBe(200);
      expect((await scenarioOn(machineB)).description).toBe(`A before ${name}`);

      git(machineB, ...args);
      await editScenario(machineB, workspaceId, scenarioId, { notes: `B after ${name}` });
      const push = await call(api.url, 'POST', '/api/sync/push', {});
      expect(push.status, JSON.stringify(push.body)).toBe(200);
      expect(push.body.pushed).toBe(true);
      const remoteHead = git(bare, 'rev-parse', 'refs/heads/main');
      expect(git(machineB, 'rev-parse', 'refs/remotes/origin/main'), name).toBe(remoteHead);
      expect(git(machineB, 'rev-parse', 'HEAD')).toBe(remoteHead);
      expect(deletedPacksHeldOpen(machineB), name).toEqual([]);
      git(machineB, 'fsck', '--full', '--strict', '--no-progress');
      git(bare, 'fsck', '--full', '--strict', '--no-progress');
      // Every pack a pull stored stands alone, as git index-pack would have stored it.
      const packFolder = path.join(machineB, '.git', 'objects', 'pack');
      for (const pack of (await fsp.readdir(packFolder)).filter((n) => n.endsWith('.pack'))) git(machineB, 'verify-pack', path.join(packFolder, pack));
    }
    await new SyncService(machineA).pull();
    expect(await scenarioOn(machineA)).toEqual(await scenarioOn(machineB));
    expect((await scenarioOn(machineA)).notes).toBe('B after gc again');
  });

  it('consolidates packs that piled up past gc.autoPackLimit after a sync, and the root stays sound', async () => {
    const { machineB } = pair;
    // 55 fetches' worth of packs (here: packs of unreachable blobs, which nothing may lose).
    const blobs: string[] = [];
    for (let i = 0; i < 55; i += 1) {
      const blob = spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: machineB, input: `blob ${i}\n`, encoding: 'utf8' }).stdout.trim();
      spawnSync('git', ['pack-objects', '-q', '.git/objects/pack/pack'], { cwd: machineB, input: `${blob}\n` });
      blobs.push(blob);
    }
    const packs = async () => (await fsp.readdir(path.join(machineB, '.git', 'objects', 'pack'))).filter((n) => n.endsWith('.pack')).length;
    expect(await packs()).toBeGreaterThan(50);
    const pull = await call(api.url, 'POST', '/api/sync/pull', {});
    expect(pull.status, JSON.stringify(pull.body)).toBe(200);
    expect(await packs()).toBe(1);
    for (const blob of blobs) expect(git(machineB, 'cat-file', '-t', blob)).toBe('blob');
    git(machineB, 'fsck', '--full', '--strict', '--no-progress');
    const push = await call(api.url, 'POST', '/api/sync/push', {});
    expect(push.status, JSON.stringify(push.body)).toBe(200);
  });
});

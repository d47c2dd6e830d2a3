import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncService } from '@planalign/sync-core';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces } from '@planalign/sync-tools/workspace-generator';
import { readJson, syncedTree, tempDir, writeJson } from './harness.js';

/**
 * Three machines edit the same scenarios and sync in a random order, for many rounds, through
 * the real Git server (the core library in this process, the same code the CLI runs). Whatever
 * the order: all machines end with identical trees of valid files, and every value a machine
 * had when it synced is in the remote's history or in a backup.
 */
const MACHINES = 3;
const KEYS = ['name', 'description', 'status'] as const;

type Step = { kind: 'edit'; machine: number; file: number; key: (typeof KEYS)[number]; value: number } | { kind: 'push' | 'pull'; machine: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), machine: fc.nat(MACHINES - 1), file: fc.nat(2), key: fc.constantFrom(...KEYS), value: fc.nat(1_000_000) }),
  fc.record({ kind: fc.constantFrom('push' as const, 'pull' as const), machine: fc.nat(MACHINES - 1) }),
);

describe('three machines syncing in any order', () => {
  let server: GitServer;
  let runs = 0;
  let steps = 0;
  let conflictsSettled = 0;

  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(async () => {
    await server?.stop();
    process.stdout.write(`convergence: ${runs} runs, ${steps} steps, ${conflictsSettled} conflicts settled\n`);
  });

  it('converge to identical valid trees and lose no synced value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40 }), async (plan) => {
        runs += 1;
        steps += plan.length;
        const url = await server.createRepo(`converge-${runs}`, { defaultBranch: 'main' });
        const base = await tempDir('converge');
        const roots = Array.from({ length: MACHINES }, (_, i) => path.join(base, `m${i}`, 'workspaces'));
        const generated = await generateWorkspaces({ root: roots[0], workspaces: 1, scenarios: 3, runs: 0 });
        const services = roots.map((root) => new SyncService(root));
        await services[0].init({ remote: url });
        await services[0].push();
        for (const service of services.slice(1)) await service.init({ remote: url });
        const scenarioFiles = (await fsp.readdir(path.join(roots[0], generated.workspaceIds[0], 'scenarios'))).map((id) =>
          path.join(generated.workspaceIds[0], 'scenarios', id, 'scenario.json'),
        );
        const synced = new Set<string>();
        const recordSynced = async (machine: number) => {
          for (const file of scenarioFiles) {
            const value = await readJson(path.join(roots[machine], file));
            for (const key of KEYS) synced.add(`${file}|${key}|${JSON.stringify(value[key])}`);
          }
        };
        const sync = async (machine: number, kind: 'push' | 'pull') => {
          await recordSynced(machine);
          const result = kind === 'push' ? await services[machine].push() : await services[machine].pull();
          conflictsSettled += result.resolved_conflicts.filter((r) => r.winner !== 'merged').length;
        };
        for (const s of plan) {
          if (s.kind === 'edit') {
            const file = path.join(roots[s.machine], scenarioFiles[s.file]);
            await writeJson(file, { ...(await readJson(file)), [s.key]: `v${s.value}-m${s.machine}` });
          } else await sync(s.machine, s.kind);
        }
        // Settle: everyone pushes, then everyone pulls.
        for (let m = 0; m < MACHINES; m += 1) await sync(m, 'push');
        for (let m = 0; m < MACHINES; m += 1) await sync(m, 'pull');

        const trees = await Promise.all(roots.map((root) => syncedTree(root)));
        for (const tree of trees.slice(1)) expect(tree).toEqual(trees[0]);
        for (const [file, content] of trees[0]) if (file.endsWith('.json')) expect(() => JSON.parse(content), file).not.toThrow();

        const history = spawnSync('git', ['-C', server.repoPath(`converge-${runs}`), 'log', '-p', '--all', '--format=%H'], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        }).stdout;
        const backups = (
          await Promise.all(
            roots.map(async (root) => {
              const folder = path.join(root, '.planalign-sync-backups');
              const ids = await fsp.readdir(folder).catch(() => [] as string[]);
              return (await Promise.all(ids.map((id) => syncedTree(path.join(folder, id))))).flatMap((t) => [...t.values()]);
            }),
          )
        ).join('\n');
        for (const entry of synced) {
          const value = entry.split('|')[2];
          if (value === undefined || value === 'undefined') continue;
          expect(history.includes(value) || backups.includes(value), `${entry} was lost`).toBe(true);
        }
      }),
      // PLANALIGN_PROPERTY_RUNS raises the count for a longer hunt.
      { numRuns: Number(process.env.PLANALIGN_PROPERTY_RUNS ?? 20), endOnFailure: true },
    );
  });
});

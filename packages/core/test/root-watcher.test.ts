import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncSubscription } from '@parcel/watcher';
import { watchRoot } from '../src/auto/root-watcher.js';
import { compileSyncRules } from '../src/ignore/sync-rules.js';
import { tempDir } from './machines.js';

/**
 * What wakes `sync watch`: every change to a synced file, including those inside folders made
 * all at once (`mkdir -p` of a run's folder), which the native watcher does not watch by itself.
 */
describe('the root watcher', () => {
  let root: string;
  let subscription: AsyncSubscription;
  const seen = new Set<string>();
  const errors: Error[] = [];
  const rules = compileSyncRules(null);

  const until = async (condition: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 25));
    return condition();
  };

  beforeAll(async () => {
    root = await tempDir('root-watcher');
    await fsp.mkdir(path.join(root, 'w1', 'scenarios'), { recursive: true });
    subscription = await watchRoot(
      root,
      () => rules,
      (paths) => paths.forEach((p) => seen.add(p)),
      (error) => errors.push(error),
    );
  });

  afterAll(async () => {
    await subscription?.unsubscribe();
  });

  it('reports edits to synced files and never ignored outputs', async () => {
    await fsp.writeFile(path.join(root, 'w1', 'workspace.json'), '{}');
    await fsp.writeFile(path.join(root, 'w1', 'results.duckdb'), 'db');
    expect(await until(() => seen.has('w1/workspace.json'))).toBe(true);
    expect(seen.has('w1/results.duckdb')).toBe(false);
  });

  it('sees files written later inside folders that were created several levels at once', async () => {
    const runs = Array.from({ length: 8 }, (_, i) => `w1/scenarios/s${i}/runs/r${i}`);
    // several levels in one call, as PlanAlign makes a scenario's first run folder
    await Promise.all(runs.map((run) => fsp.mkdir(path.join(root, run, 'logs'), { recursive: true })));
    // what is already there when the folder is noticed counts too
    await fsp.writeFile(path.join(root, runs[0], 'config.yaml'), 'a: 1\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const run of runs) await fsp.writeFile(path.join(root, run, 'run_metadata.json'), '{"status": "completed"}');
    const wanted = runs.map((run) => `${run}/run_metadata.json`);
    expect(await until(() => wanted.every((p) => seen.has(p))), `not seen: ${wanted.filter((p) => !seen.has(p)).join(', ')}`).toBe(true);
    expect(seen.has(`${runs[0]}/config.yaml`)).toBe(true);
    expect(errors).toEqual([]);
  });
});

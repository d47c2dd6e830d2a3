import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeGitignore } from '../src/ignore/gitignore-template.js';
import { compileSyncRules } from '../src/ignore/sync-rules.js';
import { scanSyncedFiles } from '../src/workspace/file-scan.js';
import { ScanCache } from '../src/workspace/scan-cache.js';

async function makeRoot(): Promise<string> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-scan-'));
  await fsp.mkdir(path.join(root, '.git'));
  for (const run of ['r1', 'r2']) {
    const folder = path.join(root, 'w', 'scenarios', 's', 'runs', run);
    await fsp.mkdir(path.join(folder, 'seeds'), { recursive: true });
    await fsp.writeFile(path.join(folder, 'run_metadata.json'), '{}');
    await fsp.writeFile(path.join(folder, 'simulation.duckdb'), 'x');
    await fsp.writeFile(path.join(folder, 'seeds', 'a.csv'), 'x');
  }
  await fsp.writeFile(path.join(root, 'w', 'workspace.json'), '{}');
  return root;
}

describe('scanning with the folder cache', () => {
  it('sees every addition, removal and rule change, whether folders come from the cache or not', async () => {
    const root = await makeRoot();
    const gitdir = path.join(root, '.git');
    const rules = compileSyncRules(mergeGitignore(null));
    const key = ScanCache.rulesKeyOf('default');
    const scanWithCache = async (r = rules, k = key) => {
      const cache = await ScanCache.load(gitdir, k);
      const result = await scanSyncedFiles(root, r, 10 << 20, cache);
      await cache.save();
      return [...result.files.keys()].sort();
    };
    const plain = async () => [...(await scanSyncedFiles(root, rules, 10 << 20)).files.keys()].sort();

    expect(await scanWithCache()).toEqual(['w/scenarios/s/runs/r1/run_metadata.json', 'w/scenarios/s/runs/r2/run_metadata.json', 'w/workspace.json']);
    // Right after the cache was saved: a folder changed within the same clock tick must still be listed again.
    await fsp.writeFile(path.join(root, 'w', 'scenarios', 's', 'runs', 'r1', 'provenance.json'), '{}');
    expect(await scanWithCache()).toEqual(await plain());
    expect(await plain()).toContain('w/scenarios/s/runs/r1/provenance.json');

    await new Promise((resolve) => setTimeout(resolve, 120));
    await scanWithCache();
    await fsp.rm(path.join(root, 'w', 'scenarios', 's', 'runs', 'r2'), { recursive: true });
    await fsp.mkdir(path.join(root, 'w', 'scenarios', 's', 'runs', 'r3'));
    await fsp.writeFile(path.join(root, 'w', 'scenarios', 's', 'runs', 'r3', 'run_metadata.json'), '{}');
    expect(await scanWithCache()).toEqual(await plain());
    expect(await plain()).not.toContain('w/scenarios/s/runs/r2/run_metadata.json');

    const stricter = compileSyncRules(mergeGitignore(null), { include: [], exclude: ['provenance.json'] });
    const files = await scanWithCache(stricter, ScanCache.rulesKeyOf('stricter'));
    expect(files).not.toContain('w/scenarios/s/runs/r1/provenance.json');
  });
});

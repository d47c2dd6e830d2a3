import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateWorkspaces, PRESETS } from '../src/workspace-generator.js';

async function listFiles(root: string, folder = ''): Promise<string[]> {
  const out: string[] = [];
  for (const dirent of await fsp.readdir(path.join(root, folder), { withFileTypes: true })) {
    const relative = folder ? `${folder}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) out.push(...(await listFiles(root, relative)));
    else out.push(relative);
  }
  return out.sort();
}

describe('workspace generator', () => {
  it("writes the typical preset in PlanAlign's format with sparse databases and outside symlinks", async () => {
    const root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'gen-')), 'workspaces');
    const result = await generateWorkspaces({ root, ...PRESETS.typical });
    const files = await listFiles(root);
    expect(files.filter((f) => f.endsWith('/workspace.json'))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith('/scenario.json'))).toHaveLength(12);
    expect(files.filter((f) => f.endsWith('/run_metadata.json'))).toHaveLength(45);
    expect(files.filter((f) => /\.(json|ya?ml)$/.test(f))).toHaveLength(result.syncableFiles);
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const value = JSON.parse(await fsp.readFile(path.join(root, file), 'utf8'));
      if (file.endsWith('run_metadata.json')) {
        expect(Object.keys(value).sort()).toEqual(
          [
            'run_id',
            'scenario_id',
            'scenario_name',
            'workspace_id',
            'started_at',
            'completed_at',
            'duration_seconds',
            'start_year',
            'end_year',
            'events_generated',
            'seed',
            'status',
            'error_message',
          ].sort(),
        );
      }
      if (file.endsWith('scenario.json')) expect(value).toHaveProperty('config_overrides');
    }
    const database = files.find((f) => f.endsWith('simulation.duckdb'))!;
    const stat = await fsp.stat(path.join(root, database));
    expect(stat.size).toBe(50 * 1024 * 1024);
    expect(stat.blocks * 512).toBeLessThan(64 * 1024);
    const link = files.find((f) => f.endsWith('/dbt_project'))!;
    const target = await fsp.readlink(path.join(root, link));
    expect(path.relative(root, target).startsWith('..')).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    const a = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'gen-a-')), 'w');
    const b = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'gen-b-')), 'w');
    await generateWorkspaces({ root: a, ...PRESETS.demo, seed: 7 });
    await generateWorkspaces({ root: b, ...PRESETS.demo, seed: 7 });
    const filesA = await listFiles(a);
    expect(await listFiles(b)).toEqual(filesA);
    for (const file of filesA.filter((f) => f.endsWith('.json'))) {
      expect(await fsp.readFile(path.join(b, file), 'utf8')).toBe(await fsp.readFile(path.join(a, file), 'utf8'));
    }
  });
});

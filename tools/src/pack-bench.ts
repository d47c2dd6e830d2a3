import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectReader, repackObjects } from '@planalign/sync-core';

/**
 * `npm run bench:packs`: what piled-up packs cost and what consolidating them costs. A
 * history of N commits of PlanAlign-like files is stored as N packs (one per commit, as N
 * fetches leave it), then read object by object with 1 pack and with N packs; then the N
 * packs are consolidated by planalign-sync's repack and by native `git repack -a -d`. Its
 * command line is `src/bin/pack-bench.ts`.
 */
function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'gc.auto=0', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function copy(from: string, to: string): void {
  const result = spawnSync('cp', ['-a', from, to]);
  if (result.status !== 0) throw new Error(`cp failed: ${result.stderr}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(work: () => Promise<unknown> | unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** N commits of a few JSON and YAML files (a scenario config edited each time, a new run each time), one pack per commit. */
async function history(root: string, commits: number): Promise<void> {
  git(os.tmpdir(), 'init', '-q', '-b', 'main', root);
  for (let i = 0; i < commits; i += 1) {
    const workspace = path.join(root, `ws-${i % 4}`, 'scenarios', `sc-${i % 7}`);
    await fsp.mkdir(path.join(workspace, 'runs', `run-${i}`), { recursive: true });
    const config = Array.from({ length: 300 }, (_, k) => `  key_${k}: ${k === i % 300 ? `edited ${i}` : k}`).join('\n');
    await fsp.writeFile(path.join(workspace, 'config.yaml'), `scenario:\n${config}\n`);
    await fsp.writeFile(
      path.join(workspace, 'runs', `run-${i}`, 'run_metadata.json'),
      JSON.stringify({ run_id: `run-${i}`, seed: i, status: 'completed' }, null, 2),
    );
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', `run ${i}`);
    git(root, 'repack', '-q', '-d');
  }
}

function objectIds(root: string): string[] {
  return git(root, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)').split('\n').filter(Boolean);
}

/** Reads every object with a fresh reader (the pack list read once), as one sync operation does. */
async function readAll(root: string, oids: string[]): Promise<number> {
  const reader = new ObjectReader(path.join(root, '.git'));
  return timed(async () => {
    for (const oid of oids) await reader.read(oid);
  });
}

/** Finds every object's stored entry without inflating it: the part of a read that grows with the number of packs. */
async function findAll(root: string, oids: string[]): Promise<number> {
  const reader = new ObjectReader(path.join(root, '.git'));
  await reader.read(oids[0]);
  return timed(async () => {
    for (const oid of oids) await reader.readPackEntry(oid);
  });
}

/** One lookup of an object that is not there (the pack list is listed again, as after a fetch). */
async function missOnce(root: string, oids: string[]): Promise<number> {
  const reader = new ObjectReader(path.join(root, '.git'));
  await reader.read(oids[0]);
  return timed(() => reader.has('0'.repeat(40)));
}

/** The fastest of `runs` measurements of each layout, taken in turn so that other load on the machine hits them alike. */
async function fastestInTurn(runs: number, roots: string[], measure: (root: string) => Promise<number>): Promise<number[]> {
  const best = roots.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < runs; i += 1) for (const [k, root] of roots.entries()) best[k] = Math.min(best[k], await measure(root));
  return best;
}

async function packCount(root: string): Promise<number> {
  return (await fsp.readdir(path.join(root, '.git', 'objects', 'pack'))).filter((n) => n.endsWith('.pack')).length;
}

/** Builds `packs` commits of one pack each, measures each layout `runs` times and prints the figures. */
export async function runPackBench(options: { packs: number; runs: number }): Promise<void> {
  const { packs, runs } = options;
  const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-pack-bench-'));
  try {
    const many = path.join(folder, 'many');
    process.stdout.write(`Building ${packs} commits, one pack each…\n`);
    await history(many, packs);
    const oids = objectIds(many);
    const one = path.join(folder, 'one');
    copy(many, one);
    git(one, 'repack', '-q', '-a', '-d');

    const ours: number[] = [];
    const native: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const forUs = path.join(folder, `ours-${i}`);
      copy(many, forUs);
      const gitdir = path.join(forUs, '.git');
      const reader = new ObjectReader(gitdir);
      ours.push(await timed(() => repackObjects(gitdir, (oid) => reader.read(oid))));
      if ((await packCount(forUs)) !== 1) throw new Error('the repack left more than one pack');
      const forGit = path.join(folder, `git-${i}`);
      copy(many, forGit);
      native.push(await timed(() => git(forGit, 'repack', '-q', '-a', '-d')));
    }
    const layouts = [many, path.join(folder, 'ours-0'), one];
    const [readMany, readOurs, readGit] = await fastestInTurn(runs, layouts, (root) => readAll(root, oids));
    const [findMany, findOurs, findGit] = await fastestInTurn(runs, layouts, (root) => findAll(root, oids));
    const [missMany, missOurs] = await fastestInTurn(runs, layouts.slice(0, 2), (root) => missOnce(root, oids));
    const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;
    const lines = [
      `${oids.length} objects (${packs} commits of JSON/YAML), fastest of ${runs}; packs: ${packs} / 1 after our repack / 1 after git repack -ad`,
      `read every object (find + inflate): ${ms(readMany)} / ${ms(readOurs)} / ${ms(readGit)}`,
      `find every object's entry:          ${ms(findMany)} / ${ms(findOurs)} / ${ms(findGit)}  (${(findMany / findOurs).toFixed(1)}× with ${packs} packs)`,
      `look up a missing object:           ${ms(missMany)} / ${ms(missOurs)}`,
      `repack ${packs} packs into 1: planalign-sync ${median(ours).toFixed(0)} ms, git repack -ad ${median(native).toFixed(0)} ms (median of ${runs}; ratio ${(median(ours) / median(native)).toFixed(2)})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await fsp.rm(folder, { recursive: true, force: true });
  }
}

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncService } from '@planalign/sync-core';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { addRun, generateWorkspaces } from './workspace-generator.js';

/**
 * `npm run bench:archive`: how a remote grows with new runs, with and without archiving the
 * old workspaces. Two identical roots (W workspaces with their old runs) are pushed to two
 * remotes on the same loopback server; one then archives every workspace but the first; both
 * add the same number of runs to the first workspace, pushing in batches as runs arrive. The
 * remotes are measured by native `git count-objects -v` (and `-vH` printed beside) on the bare
 * repositories, as they are and after `git gc` on a copy. Its command line is
 * `src/bin/archive-bench.ts`.
 */
export interface ArchiveBenchOptions {
  workspaces: number;
  oldRuns: number;
  newRuns: number;
  batch: number;
}

interface Size {
  /** loose objects, KiB */
  loose: number;
  /** packs, KiB */
  packed: number;
  /** native git's own words: count, size, in-pack, packs, size-pack */
  human: string;
}

function git(args: string[], cwd?: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** `git count-objects -v` of a bare repository, in KiB, with the human-readable form. */
function countObjects(bare: string): Size {
  const values = new Map(
    git(['--git-dir', bare, 'count-objects', '-v'])
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  const human = new Map(
    git(['--git-dir', bare, 'count-objects', '-vH'])
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  return {
    loose: Number(values.get('size')),
    packed: Number(values.get('size-pack')),
    human: ['count', 'size', 'in-pack', 'packs', 'size-pack'].map((key) => `${key} ${human.get(key)}`).join(', '),
  };
}

/** The remote as a host would keep it after its periodic `git gc`: measured on a copy. */
async function afterGc(bare: string, folder: string): Promise<Size> {
  const copy = path.join(folder, `${path.basename(bare)}-gc`);
  await fsp.rm(copy, { recursive: true, force: true });
  git(['clone', '--quiet', '--mirror', bare, copy]);
  git(['--git-dir', copy, 'gc', '--quiet']);
  return countObjects(copy);
}

const total = (size: Size) => size.loose + size.packed;
const mib = (kib: number) => `${(kib / 1024).toFixed(2)} MiB`;
const signedMib = (kib: number) => `${kib >= 0 ? '+' : '−'}${mib(Math.abs(kib))}`;

interface Variant {
  label: string;
  archive: boolean;
  root: string;
  bare: string;
  sizes: { pushed?: Size; archived?: Size; grown?: Size; gc?: Size };
  tipFiles?: number;
  archiveSeconds?: number;
  pushSeconds: number[];
  statusSeconds?: number;
}

/** Runs both variants and prints the figures. */
export async function runArchiveBench(options: ArchiveBenchOptions): Promise<void> {
  const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-archive-bench-'));
  let server: GitServer | null = null;
  try {
    server = await startGitServer();
    const scenarios = options.workspaces * 10;
    process.stdout.write(
      `Two roots of ${options.workspaces} workspaces, ${scenarios} scenarios and ${options.oldRuns} runs; then ${options.newRuns} new runs in the first ` +
        `workspace, pushed ${options.batch} at a time; one root archives the other ${options.workspaces - 1} workspaces first.\n`,
    );
    const variants: Variant[] = [];
    for (const archive of [false, true]) {
      const name = archive ? 'with' : 'without';
      const url = await server.createRepo(name, { defaultBranch: 'main' });
      const root = path.join(folder, name, 'workspaces');
      const generated = await generateWorkspaces({ root, workspaces: options.workspaces, scenarios, runs: options.oldRuns, seed: 7, databaseBytes: 1024 });
      const variant: Variant = {
        label: archive ? `with archiving (${options.workspaces - 1} of ${options.workspaces} workspaces)` : 'without archiving',
        archive,
        root,
        bare: server.repoPath(name),
        sizes: {},
        pushSeconds: [],
      };
      variants.push(variant);
      const sync = new SyncService(root);
      await sync.init({ remote: url });
      await sync.push();
      variant.sizes.pushed = countObjects(variant.bare);
      if (archive) {
        const started = process.hrtime.bigint();
        for (const id of generated.workspaceIds.slice(1)) await sync.archive(id);
        variant.archiveSeconds = Number(process.hrtime.bigint() - started) / 1e9 / (generated.workspaceIds.length - 1);
        variant.sizes.archived = countObjects(variant.bare);
      }
      const active = generated.workspaceIds[0];
      const scenarioIds = (await fsp.readdir(path.join(root, active, 'scenarios'))).sort();
      process.stdout.write(`${variant.label}: adding ${options.newRuns} runs…\n`);
      for (let added = 0; added < options.newRuns;) {
        const count = Math.min(options.batch, options.newRuns - added);
        for (let i = 0; i < count; i += 1) await addRun(root, active, scenarioIds[(added + i) % scenarioIds.length], { seed: 1000 + added + i });
        added += count;
        const started = process.hrtime.bigint();
        await sync.push();
        variant.pushSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
      variant.sizes.grown = countObjects(variant.bare);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const started = process.hrtime.bigint();
        await sync.status({ offline: true });
        statuses.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
      variant.statusSeconds = Math.min(...statuses);
      variant.sizes.gc = await afterGc(variant.bare, folder);
      variant.tipFiles = git(['--git-dir', variant.bare, 'ls-tree', '-r', '--name-only', 'main']).split('\n').filter(Boolean).length;
    }

    const per1000 = (variant: Variant) => {
      const start = variant.sizes.archived ?? variant.sizes.pushed!;
      return ((total(variant.sizes.grown!) - total(start)) * 1000) / options.newRuns;
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const lines: string[] = ['', 'Remote size (native git count-objects on the bare remote; loose + packed):'];
    for (const variant of variants) {
      const { pushed, archived, grown, gc } = variant.sizes;
      lines.push(`  ${variant.label}`);
      lines.push(`    after the first push        ${mib(total(pushed!)).padStart(10)}   ${pushed!.human}`);
      if (archived) {
        const change = `${signedMib(total(archived) - total(pushed!))}; ${variant.archiveSeconds!.toFixed(2)} s per workspace`;
        lines.push(`    after archiving             ${mib(total(archived)).padStart(10)}   ${archived.human}  (${change})`);
      }
      lines.push(`    after ${options.newRuns} new runs`.padEnd(32) + `${mib(total(grown!)).padStart(10)}   ${grown!.human}`);
      lines.push(`    growth per 1,000 runs       ${signedMib(per1000(variant)).padStart(10)}`);
      lines.push(`    after git gc (a copy)       ${mib(total(gc!)).padStart(10)}   ${gc!.human}`);
      lines.push(`    files at the branch's tip   ${String(variant.tipFiles).padStart(10)}`);
      lines.push(`    push of ${options.batch} runs (median)`.padEnd(32) + `${median(variant.pushSeconds).toFixed(2).padStart(8)} s`);
      lines.push(`    status, offline (fastest of 3)  ${variant.statusSeconds!.toFixed(2).padStart(6)} s`);
    }
    const [keep, archived] = variants;
    lines.push(
      '',
      `Growth per 1,000 runs: ${mib(per1000(keep))} without archiving, ${mib(per1000(archived))} with (${(per1000(archived) / per1000(keep)).toFixed(2)}×); ` +
        `after git gc the remotes hold ${mib(total(keep.sizes.gc!))} and ${mib(total(archived.sizes.gc!))}.`,
      'Archiving keeps every archived commit (the branch history and its refs/planalign/archive/<id> ref reach them), so it never shrinks the remote:',
      'it shrinks the tip that every computer checks out, scans and merges, and the trees each new commit writes.',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server?.stop();
    await fsp.rm(folder, { recursive: true, force: true });
  }
}

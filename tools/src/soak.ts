import { promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import { startApiProcess } from './api-process.js';
import { runPlanalign, spawnPlanalign } from './cli-runner.js';
import { backupBlobs, blobId, firstLine, fsckClean, reachableObjects, sameFiles, suiteRoot, syncedFiles } from './suite-checks.js';
import { startFaultProxy } from './fault-proxy.js';
import { startGitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, generateWorkspaces, PRESETS, SeededRandom } from './workspace-generator.js';

/**
 * Soak: machines editing and syncing at the same time through the real CLI, with server
 * errors injected now and then, and one root driven by the CLI, `sync watch` and the API at
 * once. Counts every failure that was not injected (the target is none), then checks that
 * the machines converge and that every version handed to sync is in a history or a backup.
 * Its command line is `src/bin/soak.ts`.
 */

const tempRoot = (name: string) => suiteRoot('soak', name);

export interface SoakResult {
  machines: number;
  operations: number;
  by_kind: Record<string, number>;
  /** failures while no fault was injected: the number that must be zero */
  failures: string[];
  injected_faults: number;
  /** operations that failed while a fault was injected, as they should */
  failed_under_injection: number;
  versions_checked: number;
  versions_missing: number;
  converged: boolean;
  repositories_sound: boolean;
  seconds: number;
  median_operation_seconds: number;
}

/**
 * `machines` roots on one remote (through a fault proxy), each running its own sequence of
 * random edits, new runs, pushes and pulls concurrently with the others.
 */
export async function runSoak(options: {
  operations: number;
  machines?: number;
  seed?: number;
  faultEvery?: number;
  log?: (line: string) => void;
}): Promise<SoakResult> {
  const started = Date.now();
  const machines = options.machines ?? 3;
  const server = await startGitServer();
  const proxy = await startFaultProxy(server.baseUrl);
  const url = (await server.createRepo('soak', { defaultBranch: 'main' })).replace(server.baseUrl, proxy.baseUrl);
  const roots = await Promise.all(Array.from({ length: machines }, (_, i) => tempRoot(`m${i}`)));
  const generated = await generateWorkspaces({ root: roots[0], ...PRESETS.demo });
  const cli = (root: string, args: string[]) => runPlanalign(['--root', root, 'sync', ...args]);
  for (const [i, root] of roots.entries()) {
    const init = await cli(root, ['init', '--remote', url]);
    if (init.code !== 0) throw new Error(`set-up: init exited ${init.code}: ${init.stderr}`);
    if (i === 0) await cli(root, ['push']);
  }
  for (const root of roots.slice(1)) await cli(root, ['pull']);

  const failures: string[] = [];
  const byKind: Record<string, number> = { edit: 0, run: 0, push: 0, pull: 0 };
  const handed = new Map<string, string>();
  const durations: number[] = [];
  /** when the proxy was failing requests: [start, end] in ms */
  const windows: [number, number][] = [];
  let injected = 0;
  let failedUnderInjection = 0;
  let done = 0;
  const perMachine = Math.ceil(options.operations / machines);

  const worker = async (index: number) => {
    const root = roots[index];
    const random = new SeededRandom((options.seed ?? 1) * 100 + index);
    const edited = new Set<string>();
    for (let step = 0; step < perMachine; step += 1) {
      const workspace = random.pick(generated.workspaceIds);
      const scenarios = readdirSync(path.join(root, workspace, 'scenarios')).sort();
      const scenario = random.pick(scenarios);
      const kind = random.pick(['edit', 'edit', 'run', 'push', 'push', 'pull']);
      byKind[kind] += 1;
      done += 1;
      if (kind === 'edit') {
        const key = random.pick(['description', 'name', 'notes']);
        await editScenario(root, workspace, scenario, { [key]: `machine ${index} step ${step}` });
        edited.add(`${workspace}/scenarios/${scenario}/scenario.json`);
        continue;
      }
      if (kind === 'run') {
        const run = await addRun(root, workspace, scenario, { seed: index * 100_000 + step });
        for (const file of run.files) edited.add(file);
        continue;
      }
      // What this machine wrote is handed to sync now: it must survive, in a history or a backup.
      for (const file of edited) {
        const content = await fsp.readFile(path.join(root, file)).catch(() => null);
        if (content) handed.set(`${index}:${file}:${step}`, blobId(content));
      }
      edited.clear();
      const opStart = Date.now();
      const result = await cli(root, [kind]);
      const opEnd = Date.now();
      durations.push(result.seconds);
      if (result.code !== 0) {
        // Failed because of an injected fault: it ran while the proxy was failing requests.
        const overlapped = windows.some(([from, to]) => opStart <= to && opEnd >= from) || windows.some(([, to]) => to === 0);
        if (overlapped && /HTTP 500/.test(firstLine(result))) failedUnderInjection += 1;
        else failures.push(`machine ${index} step ${step}: ${kind} exited ${result.code}: ${firstLine(result)}`);
      }
      options.log?.(`machine ${index} step ${step}: ${kind} → ${result.code} in ${result.seconds.toFixed(2)} s`);
      // Now and then the server fails for a moment (only the first machine decides when).
      if (index === 0 && options.faultEvery && step % options.faultEvery === options.faultEvery - 1) {
        const window: [number, number] = [Date.now(), 0];
        windows.push(window);
        injected += 1;
        proxy.setFault({ kind: 'status', status: 500 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        proxy.setFault({ kind: 'none' });
        window[1] = Date.now();
      }
    }
  };

  try {
    await Promise.all(roots.map((_, index) => worker(index)));
    // Quiet now: everyone pushes, then everyone pulls, twice over.
    for (let pass = 0; pass < 2; pass += 1) {
      for (const root of roots) {
        const push = await cli(root, ['push']);
        if (push.code !== 0) failures.push(`final push on ${root}: exit ${push.code}: ${firstLine(push)}`);
      }
      for (const root of roots) {
        const pull = await cli(root, ['pull']);
        if (pull.code !== 0) failures.push(`final pull on ${root}: exit ${pull.code}: ${firstLine(pull)}`);
      }
    }
    const trees = await Promise.all(roots.map(syncedFiles));
    const converged = trees.every((tree) => sameFiles(tree, trees[0]));
    const kept = new Set<string>([...reachableObjects(server.repoPath('soak'))]);
    for (const root of roots) {
      for (const oid of reachableObjects(root)) kept.add(oid);
      for (const oid of await backupBlobs(root)) kept.add(oid);
    }
    const missing = [...handed.values()].filter((oid) => !kept.has(oid)).length;
    const sorted = [...durations].sort((a, b) => a - b);
    return {
      machines,
      operations: done,
      by_kind: byKind,
      failures,
      injected_faults: injected,
      failed_under_injection: failedUnderInjection,
      versions_checked: handed.size,
      versions_missing: missing,
      converged,
      repositories_sound: [...roots, server.repoPath('soak')].every(fsckClean),
      seconds: (Date.now() - started) / 1000,
      median_operation_seconds: sorted[Math.floor(sorted.length / 2)] ?? 0,
    };
  } finally {
    await proxy.stop();
    await server.stop();
  }
}

export interface SharedRootResult {
  cli_syncs: number;
  cli_failures: string[];
  api_syncs: number;
  api_failures: string[];
  watcher_syncs: number;
  edits: number;
  repositories_sound: boolean;
  converged: boolean;
  seconds: number;
}

/**
 * One root driven three ways at once, as on a real desk: PlanAlign Studio's API server with
 * auto-sync on, a `sync watch` in a terminal, and `sync push`/`pull` typed by hand, while files
 * change. Every operation must wait its turn (no failure), and nothing may be damaged.
 */
export async function runSharedRootSoak(options: { seconds: number; seed?: number }): Promise<SharedRootResult> {
  const started = Date.now();
  const random = new SeededRandom(options.seed ?? 1);
  const server = await startGitServer();
  const url = await server.createRepo('shared', { defaultBranch: 'main' });
  const root = await tempRoot('shared');
  const other = await tempRoot('other');
  const generated = await generateWorkspaces({ root, ...PRESETS.demo });
  const cli = (target: string, args: string[]) => runPlanalign(['--root', target, 'sync', ...args]);
  await cli(root, ['init', '--remote', url]);
  const settings = path.join(root, '.planalign-sync.yaml');
  await fsp.writeFile(settings, (await fsp.readFile(settings, 'utf8')).replace('auto_sync: false', 'auto_sync: true'));
  await cli(root, ['push']);
  await cli(other, ['init', '--remote', url]);

  const api = await startApiProcess({ root, args: ['--no-ui'] });
  const watcher = spawnPlanalign(['--root', root, 'sync', 'watch', '--json', '--debounce', '300']);
  let watcherSyncs = 0;
  watcher.stdout!.on('data', (chunk: Buffer) => (watcherSyncs += (chunk.toString().match(/"type":"synced"/g) ?? []).length));
  watcher.stderr!.resume();
  const cliFailures: string[] = [];
  const apiFailures: string[] = [];
  let cliSyncs = 0;
  let apiSyncs = 0;
  let edits = 0;
  const until = started + options.seconds * 1000;
  try {
    await Promise.all([
      (async () => {
        while (Date.now() < until) {
          const workspace = random.pick(generated.workspaceIds);
          const scenario = random.pick(readdirSync(path.join(root, workspace, 'scenarios')).sort());
          if (random.next() < 0.5) await editScenario(root, workspace, scenario, { description: `edit ${edits}` });
          else await addRun(root, workspace, scenario, { seed: 50_000 + edits });
          edits += 1;
          await new Promise((resolve) => setTimeout(resolve, 50 + random.int(0, 150)));
        }
      })(),
      (async () => {
        while (Date.now() < until) {
          const result = await cli(root, [random.next() < 0.7 ? 'push' : 'pull']);
          cliSyncs += 1;
          if (result.code !== 0) cliFailures.push(`exit ${result.code}: ${firstLine(result)}`);
        }
      })(),
      (async () => {
        while (Date.now() < until) {
          const response = await fetch(`${api.url}/api/sync/push`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
          apiSyncs += 1;
          // 423: the server's own auto-sync was running; the operation is refused, not queued, by design.
          if (!response.ok && response.status !== 423) apiFailures.push(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
          else await response.arrayBuffer();
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })(),
    ]);
  } finally {
    watcher.kill('SIGTERM');
    await new Promise((resolve) => watcher.once('close', resolve));
    await api.stop();
  }
  const last = await cli(root, ['push']);
  if (last.code !== 0) cliFailures.push(`final push: exit ${last.code}: ${firstLine(last)}`);
  await cli(other, ['pull']);
  const converged = sameFiles(await syncedFiles(root), await syncedFiles(other));
  const sound = fsckClean(root) && fsckClean(server.repoPath('shared'));
  await server.stop();
  return {
    cli_syncs: cliSyncs,
    cli_failures: cliFailures,
    api_syncs: apiSyncs,
    api_failures: apiFailures,
    watcher_syncs: watcherSyncs,
    edits,
    repositories_sound: sound,
    converged,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Both soaks, printed as they go: 3 machines doing `operations` operations, then one root
 * driven three ways for `seconds`. True when nothing failed that was not injected.
 */
export async function runSoakSuite(options: { operations: number; seconds: number; seed: number; verbose: boolean }): Promise<boolean> {
  const { operations, seconds, seed, verbose } = options;
  process.stdout.write(`Soak: 3 machines, ${operations} operations, a server error injected every 40 operations of one machine (seed ${seed})\n`);
  const soak = await runSoak({ operations, seed, faultEvery: 40, log: verbose ? (line) => process.stdout.write(`  ${line}\n`) : undefined });
  process.stdout.write(
    `  ${soak.operations} operations in ${soak.seconds.toFixed(0)} s (${Object.entries(soak.by_kind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}); median sync ${soak.median_operation_seconds.toFixed(2)} s\n` +
      `  injected faults: ${soak.injected_faults}, operations that failed under them: ${soak.failed_under_injection}\n` +
      `  failures not injected: ${soak.failures.length}\n${soak.failures.map((f) => `    ${f}\n`).join('')}` +
      `  versions handed to sync: ${soak.versions_checked}; missing from every history and backup: ${soak.versions_missing}\n` +
      `  converged: ${soak.converged ? 'yes' : 'NO'}; git fsck: ${soak.repositories_sound ? 'clean' : 'FAILED'}\n`,
  );
  process.stdout.write(`\nOne root, ${seconds} s: the API with auto-sync, sync watch and CLI pushes and pulls at once\n`);
  const shared = await runSharedRootSoak({ seconds, seed });
  process.stdout.write(
    `  ${shared.edits} edits; CLI syncs ${shared.cli_syncs} (failed ${shared.cli_failures.length}), API pushes ${shared.api_syncs} (failed ${shared.api_failures.length}), watcher syncs ${shared.watcher_syncs}\n` +
      [...shared.cli_failures, ...shared.api_failures].map((f) => `    ${f}\n`).join('') +
      `  converged with a second machine: ${shared.converged ? 'yes' : 'NO'}; git fsck: ${shared.repositories_sound ? 'clean' : 'FAILED'}\n`,
  );
  const failed =
    soak.failures.length ||
    soak.versions_missing ||
    !soak.converged ||
    !soak.repositories_sound ||
    shared.cli_failures.length ||
    shared.api_failures.length ||
    !shared.converged ||
    !shared.repositories_sound;
  return !failed;
}

import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiProcess } from './api-process.js';
import { checkGoals, goalLines, type BenchFigures } from './bench-goals.js';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from './workspace-generator.js';

/**
 * `npm run bench`: planalign-sync against native git on the same trees, over the same
 * loopback smart-HTTP server. Prints median wall time and peak memory of each, their ratio,
 * and whether any ignored database was opened. Its command line is `src/bin/bench.ts`.
 */
const CLI = fileURLToPath(new URL('../../packages/cli/bin/planalign.cjs', import.meta.url));
const GNU_TIME = '/usr/bin/time';

interface Sample {
  seconds: number;
  peakMb: number;
}

interface Row {
  root: string;
  operation: string;
  sync: Sample;
  git: Sample;
}

/**
 * The environment every measured command runs in: this one, without NODE_EXTRA_CA_CERTS. Node
 * parses that file at every start, before any script runs (0.07 s for a system bundle of 140
 * certificates), and the loopback remote needs no certificate: with it, every figure would be
 * this machine's certificate setup as much as planalign-sync.
 */
export function benchEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const timeFile = path.join(os.tmpdir(), `planalign-bench-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const useTime = existsSync(GNU_TIME);
    const started = process.hrtime.bigint();
    const child = spawn(useTime ? GNU_TIME : command, useTime ? ['-f', '%M', '-o', timeFile, command, ...args] : args, {
      cwd: options.cwd,
      env: benchEnvironment(options.env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', async (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
        return;
      }
      let peakMb = Number.NaN;
      if (useTime) {
        const text = await fsp.readFile(timeFile, 'utf8').catch(() => '');
        peakMb = Number(text.trim().split('\n').pop()) / 1024;
        await fsp.rm(timeFile, { force: true });
      }
      resolve({ seconds, peakMb });
    });
  });
}

const planalign = (root: string, ...args: string[]) => run(process.execPath, [CLI, '--root', root, ...args]);
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd });

function median(samples: Sample[]): Sample {
  const by = (key: keyof Sample) => [...samples].map((s) => s[key]).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  return { seconds: by('seconds'), peakMb: by('peakMb') };
}

/** Commands run one after the other as one operation: their total time and the highest peak. */
function steps(samples: Sample[]): Sample {
  return { seconds: samples.reduce((total, s) => total + s.seconds, 0), peakMb: Math.max(...samples.map((s) => s.peakMb)) };
}

/** One operation's samples, planalign-sync's and native git's. */
interface Pair {
  sync: Sample;
  git: Sample;
}

/**
 * Runs `round` `runs` times (round 0, 1, …); each round does the same work with planalign-sync
 * and with native git and returns what it took, by operation. One row per operation, in the
 * order the rounds name them, with the median of each side.
 */
async function measure(root: string, runs: number, round: (i: number) => Promise<Record<string, Pair>>): Promise<Row[]> {
  const taken = new Map<string, { sync: Sample[]; git: Sample[] }>();
  for (let i = 0; i < runs; i += 1) {
    for (const [operation, pair] of Object.entries(await round(i))) {
      const samples = taken.get(operation) ?? { sync: [], git: [] };
      samples.sync.push(pair.sync);
      samples.git.push(pair.git);
      taken.set(operation, samples);
    }
  }
  return [...taken].map(([operation, samples]) => ({ root, operation, sync: median(samples.sync), git: median(samples.git) }));
}

/** Copies a generated root (symlinks kept as links, sparse databases staying sparse). */
function copyTree(from: string, to: string): void {
  const result = spawnSync('cp', ['-a', '--sparse=always', from, to]);
  if (result.status !== 0) throw new Error(`cp failed: ${result.stderr}`);
}

/** Opens of ignored large files during one planalign run, counted with strace when available. */
async function databaseOpens(root: string, ...args: string[]): Promise<number | null> {
  if (!existsSync('/usr/bin/strace')) return null;
  const trace = path.join(os.tmpdir(), `planalign-strace-${process.pid}`);
  await run('/usr/bin/strace', ['-f', '-qq', '-e', 'trace=open,openat', '-o', trace, process.execPath, CLI, '--root', root, ...args]);
  const text = await fsp.readFile(trace, 'utf8');
  await fsp.rm(trace, { force: true });
  return text.split('\n').filter((line) => /\.(duckdb|parquet|xlsx)"/.test(line)).length;
}

interface BytesRead {
  /** from files (not sockets or pipes) */
  total: number;
  /** from ignored outputs: databases, spreadsheets, parquet, logs */
  ignored: number;
}

/** Bytes a command reads from files, counted with strace (read and pread calls, by the file each was on). */
async function bytesRead(cwd: string, command: string, args: string[]): Promise<BytesRead | null> {
  if (!existsSync('/usr/bin/strace')) return null;
  const trace = path.join(os.tmpdir(), `planalign-strace-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await run('/usr/bin/strace', ['-f', '-qq', '-y', '-e', 'trace=read,pread64', '-e', 'signal=none', '-o', trace, command, ...args], { cwd });
  const totals: BytesRead = { total: 0, ignored: 0 };
  for (const line of (await fsp.readFile(trace, 'utf8')).split('\n')) {
    const match = /read(?:64)?\(\d+<(\/[^>]*)>.*\)\s+=\s+(\d+)/.exec(line);
    if (!match) continue;
    const bytes = Number(match[2]);
    totals.total += bytes;
    if (/\.(duckdb|duckdb\.wal|xlsx|parquet|log)$/.test(match[1])) totals.ignored += bytes;
  }
  await fsp.rm(trace, { force: true });
  return totals;
}

/** One incremental push's reads: planalign-sync's against native git's add, commit and push of the same change. */
async function incrementalReads(
  syncRoot: string,
  gitRoot: string,
  generated: GeneratedRoot,
  round: number,
): Promise<{ sync: BytesRead | null; git: BytesRead | null }> {
  await editOnce(syncRoot, generated, round);
  await editOnce(gitRoot, generated, round);
  const sync = await bytesRead(syncRoot, process.execPath, [CLI, '--root', syncRoot, 'sync', 'push']);
  const add = await bytesRead(gitRoot, 'git', ['add', '-A']);
  const commit = await bytesRead(gitRoot, 'git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', `reads ${round}`]);
  const push = await bytesRead(gitRoot, 'git', ['push', '-q', 'origin', 'main']);
  const git = add && commit && push ? { total: add.total + commit.total + push.total, ignored: add.ignored + commit.ignored + push.ignored } : null;
  return { sync, git };
}

interface ApiTimes {
  first: number;
  online: number;
  offline: number;
}

/**
 * A poll comes this long after the one before. The dashboard polls every 30 s; the watcher hands
 * over a lone event at once only when its last batch was over half a second ago (else it waits
 * 50 ms for more), so polls made back to back would time the watcher's batching, not a poll.
 */
const POLL_SPACING_MS = 1_000;

/**
 * Response times of the API's `GET /api/sync/status`, as Studio's dashboard calls it: the first
 * call (a full scan, the watcher just started), then medians of polls with nothing changed,
 * the server's watched view of the root warm.
 */
async function apiStatusTimes(root: string, runs: number): Promise<ApiTimes> {
  const api = await startApiProcess({ root, args: ['--no-ui'] });
  const time = async (query: string) => {
    const started = process.hrtime.bigint();
    const response = await fetch(`${api.url}/api/sync/status${query}`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET /api/sync/status${query} answered ${response.status}`);
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  try {
    const first = await time('');
    const online: number[] = [];
    const offline: number[] = [];
    const spaced = async (query: string) => {
      await new Promise((resolve) => setTimeout(resolve, POLL_SPACING_MS));
      return time(query);
    };
    // One more before timing: the first poll after start-up may still be settling (a pull on start).
    await spaced('');
    for (let i = 0; i < Math.max(runs, 5); i += 1) {
      online.push(await spaced(''));
      offline.push(await spaced('?offline=true'));
    }
    const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return { first, online: mid(online), offline: mid(offline) };
  } finally {
    await api.stop();
  }
}

async function editOnce(root: string, generated: GeneratedRoot, round: number): Promise<void> {
  const workspaceId = generated.workspaceIds[round % generated.workspaceIds.length];
  const scenarios = await fsp.readdir(path.join(root, workspaceId, 'scenarios'));
  const scenarioId = scenarios[round % scenarios.length];
  await editScenario(root, workspaceId, scenarioId, { description: `benchmark edit ${round}` });
  await addRun(root, workspaceId, scenarioId, { seed: 1000 + round, status: 'completed' });
}

/** The roots `npm run bench` can measure, smallest first. */
export const ROOT_NAMES = ['typical', 'large', 'huge'] as const;
export type RootName = (typeof ROOT_NAMES)[number];

async function benchRoot(
  name: RootName,
  runs: number,
  server: GitServer,
  base: string,
): Promise<{ rows: Row[]; opens: number | null; api: ApiTimes; reads: { sync: BytesRead | null; git: BytesRead | null } }> {
  const rows: Row[] = [];
  const source = path.join(base, `${name}-source`);
  const generated = await generateWorkspaces({ root: source, ...PRESETS[name] });
  process.stderr.write(
    `${name}: ${generated.workspaces} workspaces, ${generated.scenarios} scenarios, ${generated.runs} runs, ${generated.syncableFiles} synced files\n`,
  );
  const firstPushRuns = name === 'typical' ? runs : 1;

  // First push, from a fresh copy each time.
  let syncA = '';
  let gitA = '';
  let syncUrl = '';
  let gitUrl = '';
  rows.push(
    ...(await measure(name, firstPushRuns, async (i) => {
      syncUrl = await server.createRepo(`${name}-sync-${i}`, { defaultBranch: 'main' });
      gitUrl = await server.createRepo(`${name}-git-${i}`, { defaultBranch: 'main' });
      syncA = path.join(base, `${name}-sync-a-${i}`);
      gitA = path.join(base, `${name}-git-a-${i}`);
      copyTree(source, syncA);
      copyTree(source, gitA);
      const syncSteps = [await planalign(syncA, 'sync', 'init', '--remote', syncUrl), await planalign(syncA, 'sync', 'push')];
      // Native git gets the same ignore rules and settings file planalign-sync wrote.
      await fsp.copyFile(path.join(syncA, '.gitignore'), path.join(gitA, '.gitignore'));
      await fsp.copyFile(path.join(syncA, '.planalign-sync.yaml'), path.join(gitA, '.planalign-sync.yaml'));
      const gitSteps = [
        await git(gitA, 'init', '-q', '-b', 'main'),
        await git(gitA, 'add', '-A'),
        await git(gitA, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'first'),
        await git(gitA, 'push', '-q', gitUrl, 'main'),
      ];
      return { 'first push': { sync: steps(syncSteps), git: steps(gitSteps) } };
    })),
  );
  // Every child runs asynchronously: the Git server lives in this process and must keep answering.
  await git(gitA, 'remote', 'add', 'origin', gitUrl);
  await git(gitA, 'fetch', '-q', 'origin');
  await git(gitA, 'branch', '-q', '--set-upstream-to=origin/main', 'main');

  // No-change status.
  rows.push(
    ...(await measure(name, runs, async () => ({
      'status (no change)': { sync: await planalign(syncA, 'sync', 'status', '--offline'), git: await git(gitA, 'status', '--porcelain') },
    }))),
  );

  // Clone to a second machine.
  let syncB = '';
  let gitB = '';
  rows.push(
    ...(await measure(name, runs, async (i) => {
      syncB = path.join(base, `${name}-sync-b-${i}`);
      gitB = path.join(base, `${name}-git-b-${i}`);
      return {
        'clone to second machine': { sync: await planalign(syncB, 'sync', 'init', '--remote', syncUrl), git: await run('git', ['clone', '-q', gitUrl, gitB]) },
      };
    })),
  );

  // Incremental push (one scenario edited, one run added) and the pull on the other machine.
  rows.push(
    ...(await measure(name, runs, async (i) => {
      await editOnce(syncA, generated, i);
      await editOnce(gitA, generated, i);
      const pushSync = await planalign(syncA, 'sync', 'push');
      const pushGit = [
        await git(gitA, 'add', '-A'),
        await git(gitA, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', `edit ${i}`),
        await git(gitA, 'push', '-q', 'origin', 'main'),
      ];
      const pullSync = await planalign(syncB, 'sync', 'pull');
      const pullGit = await git(gitB, 'pull', '-q', '--ff-only');
      return { 'incremental push': { sync: pushSync, git: steps(pushGit) }, pull: { sync: pullSync, git: pullGit } };
    })),
  );

  const api = await apiStatusTimes(syncB, runs);
  await editOnce(syncA, generated, runs + 1);
  const opens = await databaseOpens(syncA, 'sync', 'push');
  // native git catches up with that edit before both are measured on the next one
  await editOnce(gitA, generated, runs + 1);
  await git(gitA, 'add', '-A');
  await git(gitA, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'catch up');
  await git(gitA, 'push', '-q', 'origin', 'main');
  const reads = await incrementalReads(syncA, gitA, generated, runs + 2);
  return { rows, opens, api, reads };
}

/** Start-up: median seconds of `planalign --version` and `--help`, and of `node -e 0` beside them. */
async function startupTimes(runs: number): Promise<NonNullable<BenchFigures['startup']>> {
  const timed = async (args: string[]) => {
    const samples: Sample[] = [];
    for (let i = 0; i < Math.max(runs, 5); i += 1) samples.push(await run(process.execPath, args));
    return median(samples).seconds;
  };
  return { version: await timed([CLI, '--version']), help: await timed([CLI, '--help']), node: await timed(['-e', '0']) };
}

function table(rows: Row[]): string {
  const header = ['root', 'operation', 'planalign-sync', 'peak MB', 'native git', 'peak MB', 'ratio'];
  const body = rows.map((r) => [
    r.root,
    r.operation,
    `${r.sync.seconds.toFixed(3)} s`,
    Number.isNaN(r.sync.peakMb) ? '-' : r.sync.peakMb.toFixed(0),
    `${r.git.seconds.toFixed(3)} s`,
    Number.isNaN(r.git.peakMb) ? '-' : r.git.peakMb.toFixed(0),
    `${(r.sync.seconds / r.git.seconds).toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * Measures each root in turn and prints its table and figures: `runs` repetitions on the
 * typical root; at most 3 on the large one and 1 on the huge one.
 */
export async function runBenchmarks(options: { roots: readonly RootName[]; runs: number }): Promise<void> {
  const { roots, runs } = options;
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-bench-'));
  const server = await startGitServer({ projectRoot: path.join(base, 'server') });
  const rows: Row[] = [];
  const apiStatus: BenchFigures['apiStatus'] = [];
  try {
    const startup = await startupTimes(runs);
    process.stdout.write(
      `start-up: planalign --version ${startup.version.toFixed(3)} s, --help ${startup.help.toFixed(3)} s (node -e 0: ${startup.node.toFixed(3)} s)\n` +
        (process.env.NODE_EXTRA_CA_CERTS
          ? 'Commands run without NODE_EXTRA_CA_CERTS, which Node reads at every start and the loopback remote does not need.\n'
          : '') +
        '\n',
    );
    for (const name of roots) {
      const result = await benchRoot(name, name === 'typical' ? runs : Math.min(runs, name === 'huge' ? 1 : 3), server, base);
      rows.push(...result.rows);
      apiStatus.push({ root: name, seconds: result.api.online });
      process.stdout.write(`${table(rows.filter((r) => r.root === name))}\n`);
      process.stdout.write(`${name}: ignored databases opened by a push: ${result.opens ?? 'not measured (no strace)'}\n`);
      const mb = (reads: BytesRead | null) =>
        reads ? `${(reads.total / 1048576).toFixed(2)} MB (${(reads.ignored / 1048576).toFixed(2)} MB of ignored outputs)` : 'not measured (no strace)';
      process.stdout.write(`${name}: read from files by one incremental push: planalign-sync ${mb(result.reads.sync)}, native git ${mb(result.reads.git)}\n`);
      const seconds = (value: number) => `${value.toFixed(3)} s`;
      process.stdout.write(
        `${name}: API GET /api/sync/status: first ${seconds(result.api.first)}, then with nothing changed ${seconds(result.api.online)} ` +
          `(median, polls ${POLL_SPACING_MS / 1000} s apart; asks the remote), ${seconds(result.api.offline)} with ?offline=true\n\n`,
      );
    }
    const operations = rows.map((r) => ({ root: r.root, operation: r.operation, seconds: r.sync.seconds, peakMb: r.sync.peakMb, gitSeconds: r.git.seconds }));
    process.stdout.write(`Goals:\n${goalLines(checkGoals({ startup, operations, apiStatus }), startup?.node)}\n\n`);
    process.stdout.write(
      `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; median of ${runs} runs (large and huge roots: first push once).\n`,
    );
  } finally {
    await server.stop();
    await fsp.rm(base, { recursive: true, force: true });
  }
}

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import { killPlanalignAfter, runPlanalign, type CliRun } from './cli-runner.js';
import { backupBlobs, blobId, firstLine, fsckClean, reachableObjects, sameFiles, suiteRoot, syncedFiles } from './suite-checks.js';
import { startFaultProxy, type Fault } from './fault-proxy.js';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, generateWorkspaces, PRESETS, SeededRandom } from './workspace-generator.js';

/**
 * The fault suite: network faults injected by a proxy in front of the Git server, and SIGKILL
 * at random moments of push, pull, branch switch and merge, and conflict resolution. Each
 * outcome is checked the way a user would: the exit code and message, local work still there,
 * a repository native git finds sound, and a later sync that succeeds. Its command line is
 * `src/bin/fault-suite.ts`.
 */

/** A token the suite sets for every run and then looks for in everything it printed or wrote. */
export const KNOWN_TOKEN = 'pst-fault-suite-4f1b9c2e7d';
const AUTH = { username: 'planalign-sync', password: KNOWN_TOKEN };
const ENV = { PLANALIGN_SYNC_TOKEN: KNOWN_TOKEN, PLANALIGN_SYNC_STALL_TIMEOUT_MS: '1500' };

const tempRoot = (name: string) => suiteRoot('faults', name);
const cli = (root: string, args: string[]) => runPlanalign(['--root', root, 'sync', ...args], { env: ENV });

function scenarioIds(root: string, workspace: string): string[] {
  return readdirSync(path.join(root, workspace, 'scenarios')).sort();
}

interface Pair {
  server: GitServer;
  url: string;
  a: string;
  b: string;
  workspaces: string[];
}

async function syncedPair(name: string, options: { auth?: boolean } = {}): Promise<Pair> {
  const server = await startGitServer(options.auth ? { auth: AUTH } : {});
  const url = await server.createRepo(name, { defaultBranch: 'main' });
  const a = await tempRoot(`${name}-a`);
  const b = await tempRoot(`${name}-b`);
  const generated = await generateWorkspaces({ root: a, ...PRESETS.demo });
  for (const [root, args] of [
    [a, ['init', '--remote', url]],
    [a, ['push']],
    [b, ['init', '--remote', url]],
  ] as const) {
    const result = await cli(root, [...args]);
    if (result.code !== 0) throw new Error(`set-up: planalign ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return { server, url, a, b, workspaces: generated.workspaceIds };
}

// ---- network faults ------------------------------------------------------------------

export interface NetworkFaultOutcome {
  fault: string;
  operation: 'push' | 'pull';
  expected_exit: number;
  exit: number;
  seconds: number;
  message: string;
  local_work_intact: boolean;
  repositories_sound: boolean;
  later_sync_ok: boolean;
  token_in_output: boolean;
}

interface FaultCase {
  name: string;
  operation: 'push' | 'pull';
  fault: Fault | 'refused';
  expectedExit: number;
  /** push a 2 MB file too, so the pack is streamed (chunked) rather than sent in one buffer */
  largeUpload?: boolean;
}

const NETWORK_FAULTS: FaultCase[] = [
  { name: 'connection refused', operation: 'push', fault: 'refused', expectedExit: 4 },
  { name: 'connection refused', operation: 'pull', fault: 'refused', expectedExit: 4 },
  { name: 'reset in the middle of a pack (fetch)', operation: 'pull', fault: { kind: 'reset-answer', afterBytes: 300, only: 'upload-pack' }, expectedExit: 4 },
  {
    name: 'reset in the middle of an upload (push)',
    operation: 'push',
    fault: { kind: 'reset-request', afterBytes: 200, only: 'receive-pack' },
    expectedExit: 4,
  },
  { name: 'reset while listing refs', operation: 'push', fault: { kind: 'reset-answer', afterBytes: 20, only: 'info-refs' }, expectedExit: 4 },
  { name: 'very slow answers (256 B every 2 ms)', operation: 'pull', fault: { kind: 'slow', bytesPerChunk: 256, pauseMs: 2 }, expectedExit: 0 },
  { name: 'very slow answers (256 B every 2 ms)', operation: 'push', fault: { kind: 'slow', bytesPerChunk: 256, pauseMs: 2 }, expectedExit: 0 },
  { name: 'no answer at all (stall)', operation: 'pull', fault: { kind: 'stall', only: 'upload-pack' }, expectedExit: 4 },
  { name: 'HTTP 500 from the server', operation: 'push', fault: { kind: 'status', status: 500 }, expectedExit: 4 },
  { name: 'HTTP 500 while fetching', operation: 'pull', fault: { kind: 'status', status: 500, only: 'upload-pack' }, expectedExit: 4 },
  { name: 'HTTP 401: the token expired', operation: 'push', fault: { kind: 'status', status: 401 }, expectedExit: 3 },
  { name: 'HTTP 401: the token expired', operation: 'pull', fault: { kind: 'status', status: 401 }, expectedExit: 3 },
  // Last, so that no pull through the slow proxy has to bring these megabytes down.
  {
    name: 'reset in the middle of a streamed 2 MB upload',
    operation: 'push',
    fault: { kind: 'reset-request', afterBytes: 1_500_000, only: 'receive-pack' },
    expectedExit: 4,
    largeUpload: true,
  },
  {
    name: 'HTTP 413: upload too large for a proxy',
    operation: 'push',
    fault: { kind: 'status', status: 413, only: 'receive-pack' },
    expectedExit: 1,
    largeUpload: true,
  },
];

/**
 * Each network fault against a push from machine A or a pull on machine B (with something new
 * on the remote to fetch), then the fault is lifted and the same operation must succeed.
 */
export async function runNetworkFaults(options: { log?: (line: string) => void } = {}): Promise<NetworkFaultOutcome[]> {
  const pair = await syncedPair('network', { auth: true });
  const proxy = await startFaultProxy(pair.server.baseUrl);
  const viaProxy = pair.url.replace(pair.server.baseUrl, proxy.baseUrl);
  const outcomes: NetworkFaultOutcome[] = [];
  try {
    for (const root of [pair.a, pair.b]) await cli(root, ['init', '--remote', viaProxy]);
    const [workspace] = pair.workspaces;
    const scenario = scenarioIds(pair.a, workspace)[0];
    for (const [index, testCase] of NETWORK_FAULTS.entries()) {
      const mark = `fault ${index}: ${testCase.name}`;
      // Something of A's own to keep, and (for a pull) something new on the remote for B.
      await editScenario(pair.a, workspace, scenario, { description: `A ${mark}` });
      const runOnA = await addRun(pair.a, workspace, scenario, { seed: 1000 + index });
      let ownEdits = [`${workspace}/scenarios/${scenario}/scenario.json`, ...runOnA.files];
      if (testCase.largeUpload) {
        const upload = `${workspace}/assumptions/upload-${index}.json`;
        await fsp.mkdir(path.join(pair.a, workspace, 'assumptions'), { recursive: true });
        await fsp.writeFile(path.join(pair.a, upload), JSON.stringify({ samples: randomBytes(1_500_000).toString('base64') }));
        ownEdits.push(upload);
      }
      if (testCase.operation === 'pull') {
        const ready = await cli(pair.a, ['push']);
        if (ready.code !== 0) throw new Error(`push before the fault failed: ${ready.stderr}`);
        const other = scenarioIds(pair.b, workspace)[1];
        await editScenario(pair.b, workspace, other, { description: `B ${mark}` });
        ownEdits = [`${workspace}/scenarios/${other}/scenario.json`];
      }
      const root = testCase.operation === 'push' ? pair.a : pair.b;
      const before = await syncedFiles(root);
      if (testCase.fault === 'refused') await proxy.refuse();
      else proxy.setFault(testCase.fault);
      const faulted = await cli(root, [testCase.operation]);
      if (testCase.fault === 'refused') await proxy.resume();
      proxy.setFault({ kind: 'none' });
      // A failed operation changes nothing; one that succeeded still keeps this machine's own edits.
      const intact = await filesKept(root, faulted.code === 0 ? new Map(ownEdits.map((file) => [file, before.get(file)!])) : before);
      const sound = fsckClean(root) && fsckClean(pair.server.repoPath('network'));
      const later = await cli(root, [testCase.operation]);
      const laterOk = later.code === 0 && (testCase.operation === 'pull' || (await remoteHas(pair.server.repoPath('network'), runOnA.files[0])));
      outcomes.push({
        fault: testCase.name,
        operation: testCase.operation,
        expected_exit: testCase.expectedExit,
        exit: faulted.code,
        seconds: faulted.seconds,
        message: firstLine(faulted),
        local_work_intact: intact,
        repositories_sound: sound,
        later_sync_ok: laterOk,
        token_in_output: [faulted, later].some((r) => (r.stdout + r.stderr).includes(KNOWN_TOKEN)),
      });
      options.log?.(`${testCase.operation} · ${testCase.name}: exit ${faulted.code} in ${faulted.seconds.toFixed(2)} s — ${firstLine(faulted)}`);
    }
  } finally {
    await proxy.stop();
    await pair.server.stop();
  }
  return outcomes;
}

async function remoteHas(bare: string, file: string): Promise<boolean> {
  return spawnSync('git', ['cat-file', '-e', `main:${file}`], { cwd: bare }).status === 0;
}

/** Whether every file of the snapshot is still there with the same content. */
async function filesKept(root: string, before: Map<string, Buffer>): Promise<boolean> {
  for (const [relative, content] of before) {
    if (!(await fsp.readFile(path.join(root, relative)).catch(() => null))?.equals(content)) return false;
  }
  return true;
}

// ---- SIGKILL at random moments -------------------------------------------------------

export type KilledOperation = 'push' | 'pull' | 'branch-switch' | 'branch-merge' | 'conflict-resolve';

export interface KillSuiteResult {
  rounds: number;
  /** runs that were still going when the SIGKILL came (the others had finished in time) */
  killed_mid_operation: number;
  by_operation: Record<KilledOperation, number>;
  /** checks after a kill that failed: status refused, repository unsound, later sync failed */
  failures: string[];
  /** every file written, and every version that lost a conflict, still in a history or a backup */
  files_checked: number;
  files_lost: string[];
  converged: boolean;
  seconds: number;
}

/**
 * Two machines; each round picks an operation, prepares what it needs, starts it and kills it
 * with SIGKILL after a random delay. After every kill the root must answer `status`, pass
 * `git fsck`, and every few rounds (and at the end) complete a sync. At the end both machines
 * must hold the same files, and every run written and every version that lost a conflict must
 * be in a history or a backup.
 */
export async function runKillSuite(options: { rounds: number; seed?: number; maxDelayMs?: number; log?: (line: string) => void }): Promise<KillSuiteResult> {
  const started = Date.now();
  const random = new SeededRandom(options.seed ?? 1);
  const maxDelay = options.maxDelayMs ?? 450;
  const pair = await syncedPair('kills');
  const bare = pair.server.repoPath('kills');
  const [workspace] = pair.workspaces;
  const failures: string[] = [];
  const written: { label: string; blob: string }[] = [];
  const byOperation: Record<KilledOperation, number> = { push: 0, pull: 0, 'branch-switch': 0, 'branch-merge': 0, 'conflict-resolve': 0 };
  let killedMid = 0;
  const must = async (root: string, args: string[], why: string) => {
    const result = await cli(root, args);
    if (result.code !== 0) failures.push(`${why}: planalign ${args.join(' ')} exited ${result.code}: ${firstLine(result)}`);
    return result;
  };
  const recordRun = async (root: string, seed: number) => {
    const scenarios = scenarioIds(root, workspace);
    const run = await addRun(root, workspace, scenarios[seed % scenarios.length], { seed });
    for (const file of run.files) written.push({ label: `${path.basename(root)}:${file}`, blob: blobId(await fsp.readFile(path.join(root, file))) });
  };
  try {
    await must(pair.a, ['branch', 'create', workspace, 'what-if'], 'set-up');
    await must(pair.a, ['branch', 'switch', workspace, 'main'], 'set-up');
    // B decides conflicts by hand, so that there are open conflicts to resolve (and kill).
    const settings = path.join(pair.b, '.planalign-sync.yaml');
    await fsp.writeFile(settings, (await fsp.readFile(settings, 'utf8')).replace(/conflict_strategy: [\w-]+/, 'conflict_strategy: ask-user'));
    await must(pair.b, ['push'], 'set-up');
    await must(pair.a, ['pull'], 'set-up');

    for (let round = 1; round <= options.rounds; round += 1) {
      const operation = random.pick<KilledOperation>(['push', 'pull', 'branch-switch', 'branch-merge', 'conflict-resolve']);
      const delay = Math.floor(random.next() * maxDelay);
      let root = pair.a;
      let args: string[] = [];
      const seed = round * 10;
      if (operation === 'push') {
        await recordRun(pair.a, seed);
        args = ['push'];
      } else if (operation === 'pull') {
        await recordRun(pair.b, seed + 1);
        await recordRun(pair.a, seed + 2);
        await must(pair.a, ['push'], `round ${round}: push before the pull`);
        root = pair.b;
        args = ['pull'];
      } else if (operation === 'branch-switch' || operation === 'branch-merge') {
        const shown = await branchShown(pair.a, workspace);
        if (shown !== 'what-if') await must(pair.a, ['branch', 'switch', workspace, 'what-if'], `round ${round}: switch to the branch`);
        await editScenario(pair.a, workspace, scenarioIds(pair.a, workspace)[0], { description: `branch edit ${round}` });
        await recordRun(pair.a, seed + 3);
        if (operation === 'branch-switch') args = ['branch', 'switch', workspace, 'main'];
        else {
          await must(pair.a, ['branch', 'switch', workspace, 'main'], `round ${round}: back to the main line`);
          args = ['branch', 'merge', workspace, 'what-if', '--strategy', 'keep-remote'];
        }
      } else {
        const file = await openConflictOnB(pair, workspace, round, must);
        root = pair.b;
        args = file ? ['conflicts', 'resolve', file, '--use', random.next() < 0.5 ? 'local' : 'remote'] : ['pull'];
      }
      byOperation[operation] += 1;
      if (await killPlanalignAfter(['--root', root, 'sync', ...args], delay, { env: ENV })) killedMid += 1;

      const status = await cli(root, ['status', '--offline']);
      if (status.code !== 0) failures.push(`round ${round} (${operation} killed after ${delay} ms): status exited ${status.code}: ${firstLine(status)}`);
      if (!fsckClean(root)) failures.push(`round ${round} (${operation} killed after ${delay} ms): git fsck found a problem in ${root}`);
      if (round % 10 === 0 || round === options.rounds) await settle(pair, workspace, `round ${round}`, must);
      options.log?.(`round ${round}: ${operation} killed after ${delay} ms`);
    }
    if (!fsckClean(bare)) failures.push('git fsck found a problem in the remote');

    // Nothing lost: every run file written is in a history (either machine's or the remote's) or a backup.
    const kept = new Set([
      ...reachableObjects(pair.a),
      ...reachableObjects(pair.b),
      ...reachableObjects(bare),
      ...(await backupBlobs(pair.a)),
      ...(await backupBlobs(pair.b)),
    ]);
    const lost = written.filter((w) => !kept.has(w.blob)).map((w) => w.label);
    const converged = sameFiles(await syncedFiles(pair.a), await syncedFiles(pair.b));
    return {
      rounds: options.rounds,
      killed_mid_operation: killedMid,
      by_operation: byOperation,
      failures,
      files_checked: written.length,
      files_lost: lost,
      converged,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await pair.server.stop();
  }
}

type Must = (root: string, args: string[], why: string) => Promise<CliRun>;

async function branchShown(root: string, workspace: string): Promise<string> {
  const file = path.join(root, '.git', 'planalign-sync', 'workspace-branches.json');
  if (!existsSync(file)) return 'main';
  return (JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, string>)[workspace] ?? 'main';
}

/** Both machines change one key differently; B's pull stops on it (ask-user). Returns the file, or null when none opened. */
async function openConflictOnB(pair: Pair, workspace: string, round: number, must: Must): Promise<string | null> {
  const scenario = scenarioIds(pair.a, workspace)[1];
  await editScenario(pair.a, workspace, scenario, { description: `A's take ${round}` });
  await must(pair.a, ['push'], `round ${round}: push A's side of the conflict`);
  await editScenario(pair.b, workspace, scenario, { description: `B's take ${round}` });
  const pull = await cli(pair.b, ['pull']);
  if (pull.code !== 5) return null;
  return `${workspace}/scenarios/${scenario}/scenario.json`;
}

/** Completes what the kills left: every open conflict decided, both machines synced both ways, on the main line. */
async function settle(pair: Pair, workspace: string, why: string, must: Must): Promise<void> {
  if ((await branchShown(pair.a, workspace)) !== 'main') await must(pair.a, ['branch', 'switch', workspace, 'main'], `${why}: back to the main line`);
  await must(pair.a, ['push'], `${why}: push A`);
  await must(pair.b, ['pull', '--strategy', 'last-write-wins'], `${why}: pull B`);
  await must(pair.b, ['push'], `${why}: push B`);
  await must(pair.a, ['pull'], `${why}: pull A`);
}

// ---- the whole suite, reported -------------------------------------------------------

/** Every network fault, then `kills` rounds of SIGKILL from `seed`, printed as it goes; true when nothing failed. */
export async function runFaultSuite(options: { kills: number; seed: number; verbose: boolean }): Promise<boolean> {
  const { kills, seed, verbose } = options;
  process.stdout.write('Network faults (a proxy in front of the loopback Git server):\n');
  const network = await runNetworkFaults({ log: verbose ? (line) => process.stdout.write(`  ${line}\n`) : undefined });
  for (const o of network) {
    const ok = o.exit === o.expected_exit && o.local_work_intact && o.repositories_sound && o.later_sync_ok && !o.token_in_output;
    process.stdout.write(
      `  ${ok ? 'ok  ' : 'FAIL'} ${o.operation.padEnd(4)} ${o.fault.padEnd(40)} exit ${o.exit} (expected ${o.expected_exit}) in ${o.seconds.toFixed(2)} s; ` +
        `local work ${o.local_work_intact ? 'intact' : 'CHANGED'}, fsck ${o.repositories_sound ? 'clean' : 'FAILED'}, later sync ${o.later_sync_ok ? 'ok' : 'FAILED'}\n      ${o.message}\n`,
    );
  }
  process.stdout.write(`\nSIGKILL at random moments (${kills} rounds, seed ${seed}):\n`);
  const result = await runKillSuite({ rounds: kills, seed, log: verbose ? (line) => process.stdout.write(`  ${line}\n`) : undefined });
  process.stdout.write(
    `  ${result.rounds} rounds in ${result.seconds.toFixed(0)} s; killed mid-operation: ${result.killed_mid_operation} ` +
      `(${Object.entries(result.by_operation)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')})\n` +
      `  failures after a kill: ${result.failures.length}\n${result.failures.map((f) => `    ${f}\n`).join('')}` +
      `  files written and checked: ${result.files_checked}; lost: ${result.files_lost.length}\n` +
      `  machines converged: ${result.converged ? 'yes' : 'NO'}\n`,
  );
  const networkFailed = network.some(
    (o) => o.exit !== o.expected_exit || !o.local_work_intact || !o.repositories_sound || !o.later_sync_ok || o.token_in_output,
  );
  return !(networkFailed || result.failures.length || result.files_lost.length || !result.converged);
}

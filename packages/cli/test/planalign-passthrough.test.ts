import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { SIMULATOR } from '@planalign/sync-tools/simulator';
import { CLI, runCli, tempDir, twoMachines } from './harness.js';

const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * A stand-in for PlanAlign's own `planalign`: it records each call (arguments, what came on
 * standard input) as a JSON line, runs `simulate` with the test simulator, waits for a signal
 * on `wait`, and otherwise exits with $STANDIN_EXIT.
 */
const STANDIN = `#!${process.execPath}
const { appendFileSync, readFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const args = process.argv.slice(2);
const record = (entry) => process.env.STANDIN_RECORD && appendFileSync(process.env.STANDIN_RECORD, JSON.stringify(entry) + '\\n');
if (args[0] === 'simulate') {
  record({ args });
  process.exit(spawnSync(process.execPath, [${JSON.stringify(SIMULATOR)}, ...args.slice(1).filter((a) => a !== '--verbose')], { stdio: 'inherit' }).status ?? 1);
} else if (args[0] === 'wait') {
  process.on('SIGTERM', () => { record({ args, signal: 'SIGTERM' }); process.exit(143); });
  record({ args, waiting: true });
  setInterval(() => {}, 1000);
} else {
  const input = args[0] === 'read-input' ? readFileSync(0, 'utf8') : '';
  record({ args, input });
  process.stdout.write('PlanAlign says hello\\n');
  process.stderr.write('PlanAlign warns\\n');
  process.exit(Number(process.env.STANDIN_EXIT ?? 0));
}
`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A rebuilt database somewhere in a root. */
async function findDatabase(root: string): Promise<string> {
  for (const entry of await fsp.readdir(root, { recursive: true })) if (path.basename(entry) === 'simulation.duckdb') return path.join(root, entry);
  throw new Error(`no simulation.duckdb in ${root}`);
}

function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; cwd?: string; onStart?: (pid: number) => void },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    // A command that hangs is ended, so a failing test leaves nothing running behind it.
    const stalled = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('close', (code, signal) => {
      clearTimeout(stalled);
      resolve({ code, signal, stdout, stderr });
    });
    options.onStart?.(child.pid!);
  });
}

describe('planalign beside PlanAlign’s own planalign', () => {
  let ours: string;
  let planalignDir: string;
  let otherDir: string;
  let records: string;
  const readRecords = async () =>
    (await fsp.readFile(records, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  /** A PATH as npm run and npx make it: this project's planalign first, PlanAlign's after. */
  const env = (extra: NodeJS.ProcessEnv = {}, dirs = [ours, planalignDir]): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: [...dirs, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
    STANDIN_RECORD: records,
    PLANALIGN_CLI: '',
    ...extra,
  });

  beforeAll(async () => {
    const base = await tempDir('planalign-standin');
    ours = path.join(base, 'node_modules', '.bin');
    planalignDir = path.join(base, 'planalign-env', 'bin');
    otherDir = path.join(base, 'other', 'bin');
    records = path.join(base, 'calls.jsonl');
    for (const dir of [ours, planalignDir, otherDir]) await fsp.mkdir(dir, { recursive: true });
    // npm links the command to the package's entry file, as here.
    await fsp.symlink(CLI, path.join(ours, 'planalign'));
    for (const dir of [planalignDir, otherDir]) await fsp.writeFile(path.join(dir, 'planalign'), STANDIN, { mode: 0o755 });
  });

  it('a PlanAlign command from a shell reaches PlanAlign with its arguments, input, output and exit code', async () => {
    const result = await run('sh', ['-c', 'planalign read-input "Q4 Projections" --years 2025-2027'], {
      env: env({ STANDIN_EXIT: '4' }),
      input: 'from the pipe\n',
    });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('PlanAlign says hello\n');
    expect(result.stderr).toBe('PlanAlign warns\n');
    expect((await readRecords()).at(-1)).toEqual({ args: ['read-input', 'Q4 Projections', '--years', '2025-2027'], input: 'from the pipe\n' });
    // ours still answers sync, its own help and version
    const help = await run('sh', ['-c', 'planalign --help'], { env: env() });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("PlanAlign's own planalign program");
    expect((await run('sh', ['-c', 'planalign sync --help'], { env: env() })).stdout).toContain('init');
    expect((await run('sh', ['-c', 'planalign --version'], { env: env() })).stdout).toMatch(/^\d+\.\d+\.\d+/);
    // this program's options before a PlanAlign command: said plainly, not "unknown command"
    const misplaced = await run('sh', ['-c', 'planalign --root /tmp/somewhere simulate 2025-2027'], { env: env() });
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain(`"simulate" is a command of PlanAlign`);
  });

  it('PLANALIGN_CLI names PlanAlign’s program; a wrong one is named in the error', async () => {
    await run('sh', ['-c', 'planalign status'], { env: env({ PLANALIGN_CLI: path.join(otherDir, 'planalign') }, [ours]) });
    expect((await readRecords()).at(-1)).toMatchObject({ args: ['status'] });
    const wrong = await run('sh', ['-c', 'planalign status'], { env: env({ PLANALIGN_CLI: '/nowhere/planalign' }) });
    expect(wrong.code).toBe(127);
    expect(wrong.stderr).toContain('PLANALIGN_CLI is set to "/nowhere/planalign"');
    const self = await run('sh', ['-c', 'planalign status'], { env: env({ PLANALIGN_CLI: path.join(ours, 'planalign') }) });
    expect(self.code).toBe(127);
    expect(self.stderr).toContain("points at this sync tool's own planalign");
  });

  it('without PlanAlign, a PlanAlign command says what to install or set, and exits 127', async () => {
    const result = await run('sh', ['-c', 'planalign simulate 2025-2027'], { env: env({}, [ours]) });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('"simulate" is a command of PlanAlign');
    expect(result.stderr).toMatch(/Install PlanAlign, or set PLANALIGN_CLI/);
    expect(result.stdout).toBe('');
  });

  it("a PlanAlign command after this program's own options is refused, in JSON too when --json asks", async () => {
    const result = await runCli(['--json', 'simulate', '2025-2027']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Run it as 'planalign simulate …'`);
    expect(JSON.parse(result.stdout).error).toMatchObject({
      code: 'usage',
      exit_code: 2,
      message: expect.stringContaining('"simulate" is a command of PlanAlign'),
    });
    expect((await runCli(['--root', '/tmp', 'simulate'])).stdout).toBe('');
  });

  it('a signal that stops planalign reaches PlanAlign, and planalign ends as it did', async () => {
    let pid = 0;
    const running = run('sh', ['-c', 'exec planalign wait'], { env: env(), onStart: (started) => (pid = started) });
    const started = Date.now();
    while (!(await readRecords()).some((r) => r.waiting) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
    process.kill(pid, 'SIGTERM');
    const result = await running;
    expect(result.code).toBe(143);
    expect((await readRecords()).at(-1)).toEqual({ args: ['wait'], signal: 'SIGTERM' });
  });

  describe('regeneration', () => {
    let server: GitServer;
    let machineB: string;

    beforeAll(async () => {
      let url: string;
      let machineA: string;
      ({ server, url, machineA, machineB } = await twoMachines('passthrough-regen'));
      expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
      expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
      expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('through npx, the default command runs PlanAlign’s planalign, never this one, and rebuilds the runs', async () => {
      const before = (await readRecords()).length;
      const result = await run('npx', ['--no-install', 'planalign', '--root', machineB, '--json', 'sync', 'regenerate', '--all-missing'], {
        env: env({}, [planalignDir]),
        cwd: REPOSITORY,
      });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const jobs = JSON.parse(result.stdout).jobs as { status: string; workspace_id: string; scenario_id: string; run_id: string }[];
      expect(jobs.length).toBeGreaterThan(0);
      expect(jobs.every((job) => job.status === 'succeeded')).toBe(true);
      for (const job of jobs)
        expect(existsSync(path.join(machineB, job.workspace_id, 'scenarios', job.scenario_id, 'runs', job.run_id, 'simulation.duckdb'))).toBe(true);
      const calls = (await readRecords()).slice(before);
      expect(calls).toHaveLength(jobs.length);
      expect(calls[0].args).toEqual([
        'simulate',
        expect.stringMatching(/^\d{4}-\d{4}$/),
        '--config',
        expect.stringMatching(/config\.yaml$/),
        '--database',
        expect.any(String),
        '--verbose',
      ]);
    });

    it('a PlanAlign that fails at once fails each job with its words, and regenerate ends', async () => {
      const quick = path.join(await tempDir('planalign-quick'), 'bin');
      await fsp.mkdir(quick, { recursive: true });
      await fsp.writeFile(path.join(quick, 'planalign'), '#!/bin/sh\necho "no census for $2" >&2\nexit 3\n', { mode: 0o755 });
      const missing = await findDatabase(machineB);
      await fsp.rm(missing);
      const result = await run(process.execPath, [CLI, '--root', machineB, '--json', 'sync', 'regenerate', '--all-missing'], { env: env({}, [ours, quick]) });
      expect(result.code).toBe(1);
      const job = (JSON.parse(result.stdout).jobs as { status: string; message: string; run_id: string }[]).find(
        (j) => j.run_id === path.basename(path.dirname(missing)),
      )!;
      expect(job).toMatchObject({ status: 'failed' });
      expect(job.message).toMatch(/exit 3\): no census for \d{4}-\d{4}/);

      // A job queued earlier (--detach) that fails when this run works through it fails the run too.
      expect(
        (await run(process.execPath, [CLI, '--root', machineB, 'sync', 'regenerate', '--all-missing', '--detach'], { env: env({}, [ours, quick]) })).code,
      ).toBe(0);
      const again = await run(process.execPath, [CLI, '--root', machineB, 'sync', 'regenerate', '--all-missing'], { env: env({}, [ours, quick]) });
      expect(again.stdout).toContain('1 job failed');
      expect(again.code).toBe(1);
    }, 60_000);

    it('without PlanAlign, the job fails saying what to install or set', async () => {
      const missing = await findDatabase(machineB);
      await fsp.rm(missing);
      const result = await run(process.execPath, [CLI, '--root', machineB, '--json', 'sync', 'regenerate', '--all-missing'], { env: env({}, [ours]) });
      expect(result.code).toBe(1);
      const jobs = JSON.parse(result.stdout).jobs as { status: string; message: string; run_id: string }[];
      const job = jobs.find((j) => j.run_id === path.basename(path.dirname(missing)))!;
      expect(job.status).toBe('failed');
      expect(job.message).toMatch(/PlanAlign is not installed on this computer.*PLANALIGN_CLI.*regenerate\.command/);
      expect(existsSync(missing)).toBe(false);
    });
  });
});

import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { configureSimulator, setSimulatorBehaviour } from '@planalign/sync-tools/simulator';
import type { GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { CLI, readJson, runCli, runJson, twoMachines } from './harness.js';

interface Job {
  id: string;
  run_id: string;
  scenario_id: string;
  status: string;
  progress: number;
  attempts: number;
  exit_code: number | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
}

/** Machine B has every run's config and metadata from machine A, and none of their databases. */
describe('planalign sync regenerate', () => {
  let server: GitServer;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;
  const runDir = (job: Pick<Job, 'run_id' | 'scenario_id'>, workspaceId: string) =>
    path.join(machineB, workspaceId, 'scenarios', job.scenario_id, 'runs', job.run_id);
  const jobs = async (): Promise<Job[]> => (await runJson(['--root', machineB, 'sync', 'jobs'])).body.jobs;
  const until = async (check: () => Promise<boolean>, timeoutMs: number, what: string) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** Completed runs of a root, counted from their synced metadata. */
  async function completedRuns(root: string): Promise<number> {
    let count = 0;
    for (const workspaceId of generated.workspaceIds) {
      for (const scenarioId of await fsp.readdir(path.join(root, workspaceId, 'scenarios'))) {
        const runs = path.join(root, workspaceId, 'scenarios', scenarioId, 'runs');
        for (const runId of await fsp.readdir(runs).catch(() => [])) {
          if ((await readJson(path.join(runs, runId, 'run_metadata.json')).catch(() => null))?.status === 'completed') count += 1;
        }
      }
    }
    return count;
  }

  const setRunBehaviour = (workspaceId: string, scenarioId: string, runId: string, behaviour: 'fail' | 'slow' | 'normal') =>
    setSimulatorBehaviour(runDir({ scenario_id: scenarioId, run_id: runId }, workspaceId), behaviour);

  beforeAll(async () => {
    let url: string;
    ({ server, url, machineA, machineB, generated } = await twoMachines('regen', { preset: 'typical' }));
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect((await runCli(['--root', machineB, 'sync', 'init', '--remote', url])).code).toBe(0);
    await configureSimulator(machineB);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('finds every completed run whose results are not on this machine, current runs first', async () => {
    const status = await runJson(['--root', machineB, 'sync', 'status', '--offline']);
    const expected = await completedRuns(machineB);
    expect(expected).toBeGreaterThan(5);
    expect(status.body.missing_results).toBe(expected);
    expect((await runCli(['--root', machineB, 'sync', 'status', '--offline'])).stdout).toContain(`Results not on this machine: ${expected} runs`);
    const overview = (await runJson(['--root', machineB, 'sync', 'jobs'])).body;
    expect(overview.missing).toHaveLength(expected);
    const first = overview.missing[0];
    const current = await readJson(path.join(machineB, first.workspace_id, 'scenarios', first.scenario_id, 'current_result.json')).catch(() => null);
    if (current) expect(first).toMatchObject({ current: true, run_id: current.run_id });
    // machine A has its databases
    expect((await runJson(['--root', machineA, 'sync', 'status', '--offline'])).body.missing_results).toBe(0);
  });

  it('rebuilds a scenario one run at a time, reaching 100 %, with logs, and only then puts each database in place', async () => {
    const workspaceId = generated.workspaceIds[0];
    const overview = (await runJson(['--root', machineB, 'sync', 'jobs'])).body;
    const scenarioId = overview.missing.find((m: { workspace_id: string }) => m.workspace_id === workspaceId).scenario_id;
    const scenarioName = (await readJson(path.join(machineB, workspaceId, 'scenarios', scenarioId, 'scenario.json'))).name;
    const before = (await runJson(['--root', machineB, 'sync', 'status', '--offline'])).body;
    const changesBefore = before.local_changes;
    const workspaceName = (await readJson(path.join(machineB, workspaceId, 'workspace.json'))).name;
    const result = await runJson(['--root', machineB, 'sync', 'regenerate', workspaceName, scenarioName]);
    expect(result.code, JSON.stringify(result.body)).toBe(0);
    const done = (result.body.jobs as Job[]).filter((j) => j.scenario_id === scenarioId);
    expect(done.length).toBeGreaterThan(0);
    for (const job of done) {
      expect(job).toMatchObject({ status: 'succeeded', progress: 1, exit_code: 0, attempts: 1 });
      expect(job.duration_seconds).toBeGreaterThan(0);
      expect(await fsp.readFile(path.join(runDir(job, workspaceId), 'simulation.duckdb'), 'utf8')).toMatch(/^simulated \d{4}-\d{4}\n/);
      expect((await fsp.readdir(runDir(job, workspaceId))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect((await runCli(['--root', machineB, 'sync', 'jobs', 'log', job.id])).stdout).toMatch(/Simulating year \d{4} \(5\/5\)/);
    }
    // one at a time: each started after the previous one finished
    const spans = done.map((j) => [Date.parse(j.started_at!), Date.parse(j.finished_at!)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i += 1) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    // the rebuilt results are never synced, and status no longer counts them missing (their folders changed since its last scan)
    const after = (await runJson(['--root', machineB, 'sync', 'status', '--offline'])).body;
    expect(after.local_changes).toBe(changesBefore);
    expect(after.missing_results).toBe(before.missing_results - done.length);
    expect(after.missing_results).toBe((await runJson(['--root', machineB, 'sync', 'jobs'])).body.missing.length);
  });

  it('marks a failing job failed with its log and exit status, leaving no partial database', async () => {
    const { missing } = (await runJson(['--root', machineB, 'sync', 'jobs'])).body;
    const target = missing[0];
    await setRunBehaviour(target.workspace_id, target.scenario_id, target.run_id, 'fail');
    const result = await runJson(['--root', machineB, 'sync', 'regenerate', target.workspace_id, target.scenario_id]);
    expect(result.code).toBe(1);
    const job = (result.body.jobs as Job[]).find((j) => j.run_id === target.run_id)!;
    expect(job).toMatchObject({ status: 'failed', exit_code: 3 });
    const dir = runDir(target, target.workspace_id);
    expect(existsSync(path.join(dir, 'simulation.duckdb'))).toBe(false);
    expect((await fsp.readdir(dir)).filter((f) => f.includes('simulation.duckdb'))).toEqual([]);
    expect((await runCli(['--root', machineB, 'sync', 'jobs', 'log', job.id])).stdout).toContain('the census for');
    const retried = await runJson(['--root', machineB, 'sync', 'jobs', 'retry', job.id]);
    expect(retried.body).toMatchObject({ status: 'queued' });
    expect((await runJson(['--root', machineB, 'sync', 'jobs', 'cancel', job.id])).body).toMatchObject({ status: 'cancelled' });
  });

  it('a runner killed mid-job loses nothing: the next one runs the job again', async () => {
    const { missing } = (await runJson(['--root', machineB, 'sync', 'jobs'])).body;
    const target = missing.find((m: { run_id: string }) => m.run_id !== missing[0].run_id) ?? missing[0];
    await setRunBehaviour(target.workspace_id, target.scenario_id, target.run_id, 'slow');
    const queued = await runJson(['--root', machineB, 'sync', 'regenerate', target.workspace_id, target.scenario_id, '--detach']);
    expect(queued.code).toBe(0);
    const runner = spawn(process.execPath, [CLI, '--root', machineB, 'sync', 'regenerate', target.workspace_id, target.scenario_id], {
      detached: true,
      stdio: 'ignore',
    });
    await until(async () => (await jobs()).some((j) => j.run_id === target.run_id && j.status === 'running' && j.progress > 0), 20_000, 'the slow job to run');
    process.kill(-runner.pid!, 'SIGKILL');
    await new Promise((resolve) => runner.once('exit', resolve));
    expect((await jobs()).find((j) => j.run_id === target.run_id)?.status).toBe('running');

    await setRunBehaviour(target.workspace_id, target.scenario_id, target.run_id, 'normal');
    const again = await runJson(['--root', machineB, 'sync', 'regenerate', target.workspace_id, target.scenario_id]);
    expect(again.code, JSON.stringify(again.body)).toBe(0);
    const job = (await jobs()).find((j) => j.run_id === target.run_id && j.status === 'succeeded');
    expect(job?.attempts).toBe(2);
    expect(existsSync(path.join(runDir(target, target.workspace_id), 'simulation.duckdb'))).toBe(true);
  });

  it('cancels a running job: the command stops and its partial database is removed', async () => {
    // a run rebuilt earlier whose database is lost again
    const rebuilt = (await jobs()).find((j) => j.status === 'succeeded')!;
    const workspaceId = generated.workspaceIds.find((id) => existsSync(runDir(rebuilt, id)))!;
    await fsp.rm(path.join(runDir(rebuilt, workspaceId), 'simulation.duckdb'));
    const target = { ...rebuilt, workspace_id: workspaceId };
    await setRunBehaviour(target.workspace_id, target.scenario_id, target.run_id, 'slow');
    const runner = spawn(process.execPath, [CLI, '--root', machineB, 'sync', 'regenerate', target.workspace_id, target.scenario_id], { stdio: 'ignore' });
    const exited = new Promise((resolve) => runner.once('exit', resolve));
    await until(async () => (await jobs()).some((j) => j.run_id === target.run_id && j.status === 'running'), 20_000, 'the job to start');
    const id = (await jobs()).find((j) => j.run_id === target.run_id && j.status === 'running')!.id;
    expect((await runJson(['--root', machineB, 'sync', 'jobs', 'cancel', id])).code).toBe(0);
    await exited;
    expect((await jobs()).find((j) => j.id === id)?.status).toBe('cancelled');
    expect((await fsp.readdir(runDir(target, target.workspace_id))).filter((f) => f.includes('simulation.duckdb'))).toEqual([]);
  });

  it('explains what to do without a target, or with one that does not exist', async () => {
    const bare = await runJson(['--root', machineB, 'sync', 'regenerate']);
    expect(bare.code).toBe(2);
    expect(bare.body.error.message).toContain('--all-missing');
    const unknown = await runJson(['--root', machineB, 'sync', 'regenerate', generated.workspaceIds[0], 'No Such Scenario']);
    expect(unknown.code).toBe(2);
    expect(unknown.body.error.message).toContain('Its scenarios:');
  });
});

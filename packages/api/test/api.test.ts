import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegenService, SyncService } from '@planalign/sync-core';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { configureSimulator, setSimulatorBehaviour } from '@planalign/sync-tools/simulator';
import { startApiServer } from '../src/server.js';
import { call, collectEvents, syncedPair, tempRoot } from './http-helpers.js';

describe('the sync API over real HTTP', () => {
  let git: GitServer;
  let url: string;
  let machineA: string;
  let machineB: string;
  let generated: GeneratedRoot;
  let api: Awaited<ReturnType<typeof startApiServer>>;

  beforeAll(async () => {
    git = await startGitServer();
    url = await git.createRepo('api', { defaultBranch: 'main' });
    machineA = await tempRoot('a');
    machineB = await tempRoot('b');
    generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
    const a = new SyncService(machineA);
    await a.init({ remote: url });
    await a.push();
    api = await startApiServer({ root: machineB });
  });

  afterAll(async () => {
    await api?.close();
    await git?.stop();
  });

  it('reports a root without sync, then sets it up through init', async () => {
    const before = await call(api.url, 'GET', '/api/sync/status?offline=true');
    expect(before.status).toBe(200);
    expect(before.body.is_initialized).toBe(false);
    // The error says what happened; the next step is data the dashboard words itself, never a command.
    const early = await call(api.url, 'POST', '/api/sync/push', {});
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'not_initialized', next: { action: 'set_up_sync' } });
    expect(early.body.error.message).not.toMatch(/planalign sync|--remote/);
    const init = await call(api.url, 'POST', '/api/sync/init', { remote: url });
    expect(init.status).toBe(200);
    expect(init.body.from_remote).toEqual({ workspaces: generated.workspaces, scenarios: generated.scenarios, runs: generated.runs });
    const workspaces = await call(api.url, 'GET', '/api/sync/workspaces');
    expect(workspaces.body.map((w: { state: string }) => w.state)).toEqual(generated.workspaceIds.map(() => 'synced'));
    expect(workspaces.body[0]).toHaveProperty('scenario_count');
    expect(workspaces.body[0]).toHaveProperty('last_run_at');
  });

  it('shows a change from another machine as pull available, and pulls it with progress events', async () => {
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    await editScenario(machineA, workspaceId, scenarioId, { description: 'from machine A' });
    await new SyncService(machineA).push();
    const status = await call(api.url, 'GET', '/api/sync/status');
    expect(status.body.behind).toBe(1);
    expect(status.body.workspaces.find((w: { id: string }) => w.id === workspaceId).state).toBe('pull_available');

    const events = await collectEvents(api.url);
    await events.ready;
    const pull = await call(api.url, 'POST', '/api/sync/pull', {});
    expect(pull.status).toBe(200);
    expect(pull.body.updated_workspaces).toHaveLength(1);
    const seen = await events.done;
    expect(seen[0].type).toBe('started');
    expect(seen.some((e) => e.type === 'progress')).toBe(true);
    expect(seen.at(-1)!.type).toBe('finished');
    const scenario = JSON.parse(await fsp.readFile(path.join(machineB, workspaceId, 'scenarios', scenarioId, 'scenario.json'), 'utf8'));
    expect(scenario.description).toBe('from machine A');
    const log = await call(api.url, 'GET', '/api/sync/log?limit=5');
    expect(log.body[0].operation).toBe('pull');
  });

  it('reads and validates settings, naming the field that is wrong', async () => {
    const config = await call(api.url, 'GET', '/api/sync/config');
    expect(config.body).toMatchObject({ remote: url, branch: 'main', conflict_strategy: 'last-write-wins' });
    const saved = await call(api.url, 'PUT', '/api/sync/config', { conflict_strategy: 'keep-local', auto_sync: true });
    expect(saved.status).toBe(200);
    // Fields left out keep their values (the remote above all).
    expect(saved.body).toMatchObject({ conflict_strategy: 'keep-local', auto_sync: true, remote: url, branch: 'main' });
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).toContain('conflict_strategy: keep-local');
    const wrong = await call(api.url, 'PUT', '/api/sync/config', { conflict_strategy: 'coin-flip' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toContain('conflict_strategy');
    const unknown = await call(api.url, 'PUT', '/api/sync/config', { colour: 'blue' });
    expect(unknown.status).toBe(422);
    const leaky = await call(api.url, 'PUT', '/api/sync/config', { remote: 'https://me:s3cret-token@example.com/r.git' });
    expect(leaky.status).toBe(422);
    expect(JSON.stringify(leaky.body)).not.toContain('s3cret-token');
    const leakyTeam = await call(api.url, 'PUT', '/api/sync/config', { remotes: { team: { url: 'https://bob:t3am-token@example.com/t.git' } } });
    expect(leakyTeam.status).toBe(422);
    expect(JSON.stringify(leakyTeam.body)).not.toContain('t3am-token');
    expect(await fsp.readFile(path.join(machineB, '.planalign-sync.yaml'), 'utf8')).not.toContain('t3am-token');
    await call(api.url, 'PUT', '/api/sync/config', { conflict_strategy: 'last-write-wins', auto_sync: false });
  });

  it('refuses bad bodies, cross-site writes and non-JSON posts, each with its status', async () => {
    expect((await call(api.url, 'POST', '/api/sync/push', { message: 42 })).status).toBe(422);
    expect((await call(api.url, 'POST', '/api/sync/push', { force: true })).status).toBe(422);
    expect((await call(api.url, 'POST', '/api/sync/push', '{"message": ')).status).toBe(400);
    expect((await call(api.url, 'POST', '/api/sync/push', { message: 'x'.repeat(100_000) })).status).toBe(413);
    const form = await fetch(`${api.url}/api/sync/push`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(form.status).toBe(415);
    expect((await call(api.url, 'POST', '/api/sync/push', {}, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await call(api.url, 'POST', '/api/sync/push', {}, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    const cors = await fetch(`${api.url}/api/sync/status?offline=true`, { headers: { Origin: 'https://evil.example' } });
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
    expect((await call(api.url, 'GET', '/api/sync/log?limit=zero')).status).toBe(422);
    expect((await call(api.url, 'GET', '/api/nope')).status).toBe(404);
  });

  it('answers 423 to a second push while one runs', async () => {
    const file = path.join(machineB, generated.workspaceIds[1], 'workspace.json');
    await fsp.writeFile(file, JSON.stringify({ ...JSON.parse(await fsp.readFile(file, 'utf8')), description: 'busy test' }));
    const [first, second] = await Promise.all([call(api.url, 'POST', '/api/sync/push', {}), call(api.url, 'POST', '/api/sync/push', {})]);
    expect([first.status, second.status].sort(), JSON.stringify([first.body, second.body])).toEqual([200, 423]);
    expect([first.body, second.body].find((b) => b.error)?.error.code).toBe('busy');
  });

  it('maps sync errors to statuses: conflict 409, unreachable remote 503', async () => {
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    await new SyncService(machineA).pull();
    await editScenario(machineA, workspaceId, scenarioId, { name: 'A side' });
    await new SyncService(machineA).push();
    await editScenario(machineB, workspaceId, scenarioId, { name: 'B side' });
    const conflict = await call(api.url, 'POST', '/api/sync/pull', { strategy: 'ask-user' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.conflicting_files).toHaveLength(1);
    expect(conflict.body.error.next).toEqual({ action: 'choose_versions' });
    expect(conflict.body.error.message).not.toMatch(/planalign sync|--strategy/);
    const list = await call(api.url, 'GET', '/api/sync/conflicts');
    expect(list.body.open).toHaveLength(1);
    const file = list.body.open[0].path;
    const detail = await call(api.url, 'GET', `/api/sync/conflicts/show?path=${encodeURIComponent(file)}`);
    expect(detail.body.conflicting_keys).toEqual(['name']);
    // a side per setting: only the settings in conflict, only local or remote
    const badSide = await call(api.url, 'POST', '/api/sync/conflicts/resolve', { path: file, use: 'remote', settings: { name: 'mine' } });
    expect(badSide.status).toBe(422);
    expect(badSide.body.error.message).toContain('settings');
    const notInConflict = await call(api.url, 'POST', '/api/sync/conflicts/resolve', { path: file, use: 'remote', settings: { description: 'local' } });
    expect(notInConflict.status).toBe(422);
    expect(notInConflict.body.error).toMatchObject({ field: 'settings', message: expect.stringContaining('those in conflict are name') });
    expect((await call(api.url, 'GET', '/api/sync/conflicts')).body.open[0].decision).toBeNull();
    const resolved = await call(api.url, 'POST', '/api/sync/conflicts/resolve', { path: file, use: 'local', settings: { name: 'remote' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body.pull.resolved_conflicts).toEqual([expect.objectContaining({ winner: 'remote', strategy: 'chosen', keys: ['name'] })]);
    expect(resolved.body.pending).toEqual([]);

    const port = Number(new URL(git.baseUrl).port);
    const projectRoot = git.projectRoot;
    await git.stop();
    await editScenario(machineB, workspaceId, scenarioId, { description: 'offline edit' });
    const offline = await call(api.url, 'POST', '/api/sync/push', {});
    expect(offline.status).toBe(503);
    expect(offline.body.error.code).toBe('network');
    const status = await call(api.url, 'GET', '/api/sync/status');
    expect(status.status).toBe(200);
    expect(status.body.remote_reachable).toBe(false);
    git = await startGitServer({ projectRoot, port });
  });

  it('serves an OpenAPI document generated from the models', async () => {
    const doc = await call(api.url, 'GET', '/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/sync/status', '/api/sync/push', '/api/sync/pull', '/api/sync/log', '/api/sync/workspaces', '/api/sync/config']),
    );
    expect(doc.body.components.schemas.SyncStatus.properties).toHaveProperty('is_initialized');
    expect(doc.body.components.schemas.SyncConfig.properties.conflict_strategy.enum).toContain('ask-user');
  });
});

describe('API access rules', () => {
  it('with a token, refuses requests without it (401) or with another (403)', async () => {
    const root = await tempRoot('token');
    const api = await startApiServer({ root, token: 'api-token-123' });
    try {
      expect((await call(api.url, 'GET', '/api/sync/status?offline=true')).status).toBe(401);
      expect((await call(api.url, 'GET', '/api/sync/status?offline=true', undefined, { Authorization: 'Bearer nope' })).status).toBe(403);
      expect((await call(api.url, 'GET', '/api/sync/status?offline=true', undefined, { Authorization: 'Bearer api-token-123' })).status).toBe(200);
      // The route that takes the remote's access token is behind the same rules.
      expect((await call(api.url, 'POST', '/api/sync/auth', { token: 'remote-token' })).status).toBe(401);
      expect((await call(api.url, 'DELETE', '/api/sync/auth')).status).toBe(401);
      const crossSite = await call(
        api.url,
        'POST',
        '/api/sync/auth',
        { token: 'remote-token' },
        { Authorization: 'Bearer api-token-123', Origin: 'http://evil.example' },
      );
      expect(crossSite.status).toBe(403);
    } finally {
      await api.close();
    }
  });

  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startApiServer({ root: await tempRoot('open'), host: '0.0.0.0' })).rejects.toThrow(/PLANALIGN_SYNC_API_TOKEN/);
  });

  it('allows configured origins, and only those, to call it from a browser', async () => {
    const api = await startApiServer({ root: await tempRoot('cors'), allowedOrigins: ['http://studio.local:3000'] });
    try {
      const allowed = await fetch(`${api.url}/api/sync/status?offline=true`, { headers: { Origin: 'http://studio.local:3000' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://studio.local:3000');
      const preflight = await fetch(`${api.url}/api/sync/push`, { method: 'OPTIONS', headers: { Origin: 'http://studio.local:3000' } });
      expect(preflight.status).toBe(204);
    } finally {
      await api.close();
    }
  });
});

/** A remote, machine A with demo workspaces pushed to it, and machine B set up from it. */
describe("Studio's automatic sync", () => {
  it('pulls when the server starts, pushes changes while auto_sync is on, and stops when it is turned off', async () => {
    const { git, machineA, machineB, generated } = await syncedPair('auto');
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    await editScenario(machineA, workspaceId, scenarioId, { description: 'while Studio was closed' });
    await new SyncService(machineA).push();

    const api = await startApiServer({ root: machineB });
    const readB = async () => JSON.parse(await fsp.readFile(path.join(machineB, workspaceId, 'scenarios', scenarioId, 'scenario.json'), 'utf8'));
    try {
      await expect.poll(async () => (await readB()).description, { timeout: 15_000 }).toBe('while Studio was closed');
      expect((await call(api.url, 'GET', '/api/sync/auto')).body.watching).toBe(false);

      const on = await call(api.url, 'PUT', '/api/sync/config', { auto_sync: true });
      expect(on.status).toBe(200);
      expect((await call(api.url, 'GET', '/api/sync/auto')).body).toMatchObject({ watching: true, interval_minutes: 15 });
      await editScenario(machineB, workspaceId, scenarioId, { description: 'edited with Studio open' });
      const remoteScenario = () =>
        spawnSync('git', ['-C', git.repoPath('auto'), 'show', `main:${workspaceId}/scenarios/${scenarioId}/scenario.json`], { encoding: 'utf8' }).stdout;
      await expect.poll(remoteScenario, { timeout: 15_000 }).toContain('edited with Studio open');
      await expect.poll(async () => (await call(api.url, 'GET', '/api/sync/auto')).body.last_outcome, { timeout: 5_000 }).toBe('synced');

      await call(api.url, 'PUT', '/api/sync/config', { auto_sync: false });
      expect((await call(api.url, 'GET', '/api/sync/auto')).body.watching).toBe(false);
      await editScenario(machineB, workspaceId, scenarioId, { description: 'after auto-sync was turned off' });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(remoteScenario()).toContain('edited with Studio open');
    } finally {
      await api.close();
      await git.stop();
    }
  });
});

describe('regeneration over HTTP', () => {
  it('lists missing results, rebuilds them with progress events, and cancels and retries jobs', async () => {
    const { git, machineB } = await syncedPair('regen');
    await configureSimulator(machineB);
    const api = await startApiServer({ root: machineB });
    try {
      const before = await call(api.url, 'GET', '/api/sync/regen');
      expect(before.status).toBe(200);
      const missing = before.body.missing as { workspace_id: string; scenario_id: string; run_id: string }[];
      expect(missing.length).toBeGreaterThan(0);
      expect((await call(api.url, 'GET', '/api/sync/status?offline=true')).body.missing_results).toBe(missing.length);

      const slow = missing[0];
      await setSimulatorBehaviour(path.join(machineB, slow.workspace_id, 'scenarios', slow.scenario_id, 'runs', slow.run_id), 'slow');
      const events = await fetch(`${api.url}/api/sync/events`);
      const reader = events.body!.getReader();
      let stream = '';
      const queued = await call(api.url, 'POST', '/api/sync/regen', { all_missing: true });
      expect(queued.status).toBe(200);
      expect(queued.body.jobs).toHaveLength(missing.length);
      const slowJob = queued.body.jobs.find((j: { run_id: string }) => j.run_id === slow.run_id);
      while (!/"type":"regen".*"status":"running".*"progress":0\.[1-9]/.test(stream)) stream += Buffer.from((await reader.read()).value!).toString();
      const cancelled = await call(api.url, 'POST', `/api/sync/regen/${slowJob.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      await expect
        .poll(
          async () =>
            (await call(api.url, 'GET', '/api/sync/regen')).body.jobs.every((j: { status: string }) => j.status === 'succeeded' || j.status === 'cancelled'),
          { timeout: 30_000 },
        )
        .toBe(true);
      await reader.cancel();
      const after = await call(api.url, 'GET', '/api/sync/regen');
      expect(after.body.jobs.find((j: { id: string }) => j.id === slowJob.id).status).toBe('cancelled');
      expect(after.body.missing.map((m: { run_id: string }) => m.run_id)).toEqual([slow.run_id]);

      await setSimulatorBehaviour(path.join(machineB, slow.workspace_id, 'scenarios', slow.scenario_id, 'runs', slow.run_id), 'normal');
      expect((await call(api.url, 'POST', `/api/sync/regen/${slowJob.id}/retry`, {})).body.status).toBe('queued');
      await expect.poll(async () => (await call(api.url, 'GET', '/api/sync/regen')).body.missing.length, { timeout: 15_000 }).toBe(0);
      const log = await call(api.url, 'GET', `/api/sync/regen/${slowJob.id}/log`);
      expect(log.body.log).toContain('Simulating year');

      // finished jobs can be cleared away, with their logs
      const jobsNow = async () => (await call(api.url, 'GET', '/api/sync/regen')).body.jobs as { status: string }[];
      await expect.poll(async () => (await jobsNow()).every((j) => j.status === 'succeeded'), { timeout: 15_000 }).toBe(true);
      const finished = (await jobsNow()).length;
      expect((await call(api.url, 'POST', '/api/sync/regen/clear', {})).body).toEqual({ removed: finished });
      expect((await call(api.url, 'GET', '/api/sync/regen')).body.jobs).toEqual([]);
      expect((await call(api.url, 'GET', `/api/sync/regen/${slowJob.id}/log`)).status).toBe(422);

      expect((await call(api.url, 'POST', '/api/sync/regen', {})).status).toBe(422);
      expect((await call(api.url, 'POST', '/api/sync/regen', { workspace: 'nope' })).status).toBe(404);
      expect((await call(api.url, 'POST', '/api/sync/regen/zzz/cancel', {})).status).toBe(422);
    } finally {
      await api.close();
      await git.stop();
    }
  });
});

describe('a runner killed with jobs left', () => {
  it('is not reported at work, and the running server takes up its queue', async () => {
    const { git, machineB } = await syncedPair('regen-orphaned');
    await configureSimulator(machineB);
    const api = await startApiServer({ root: machineB, pullOnStart: false });
    try {
      // a `sync regenerate` killed mid-way: its jobs queued, its lock left, its process gone
      const service = new RegenService(machineB);
      const queued = await service.enqueue({ allMissing: true });
      expect(queued.length).toBeGreaterThan(0);
      const gone = spawn(process.execPath, ['-e', '0']);
      await new Promise((resolve) => gone.once('exit', resolve));
      await fsp.writeFile(
        service.store.runnerLockPath,
        JSON.stringify({ pid: gone.pid, host: os.hostname(), operation: 'regenerate', started_at: new Date().toISOString() }),
      );
      expect((await call(api.url, 'GET', '/api/sync/regen')).body.runner_active).toBe(false);
      await expect
        .poll(async () => (await call(api.url, 'GET', '/api/sync/regen')).body.jobs.every((j: { status: string }) => j.status === 'succeeded'), {
          timeout: 30_000,
        })
        .toBe(true);
      expect((await call(api.url, 'GET', '/api/sync/regen')).body.missing).toEqual([]);
    } finally {
      await api.close();
      await git.stop();
    }
  });
});

describe('rebuilds that cannot run', () => {
  it('a program that is not installed fails each job with that reason, and the server keeps running, after a restart too', async () => {
    const { git, machineB } = await syncedPair('regen-missing');
    const settings = path.join(machineB, '.planalign-sync.yaml');
    await fsp.writeFile(
      settings,
      `${await fsp.readFile(settings, 'utf8')}regenerate:\n  command: planalign-not-installed-here simulate {start_year}-{end_year}\n`,
    );
    let api = await startApiServer({ root: machineB, pullOnStart: false });
    try {
      const queued = await call(api.url, 'POST', '/api/sync/regen', { all_missing: true });
      expect(queued.status).toBe(200);
      await expect
        .poll(async () => (await call(api.url, 'GET', '/api/sync/regen')).body.jobs.every((j: { status: string }) => j.status === 'failed'), {
          timeout: 15_000,
        })
        .toBe(true);
      const jobs = (await call(api.url, 'GET', '/api/sync/regen')).body.jobs as { message: string }[];
      expect(jobs[0].message).toMatch(/"planalign-not-installed-here".*not installed on this computer.*regenerate\.command/);
      expect((await call(api.url, 'GET', '/api/sync/status?offline=true')).status).toBe(200);
      // Jobs queued again before a restart must not take the next server down either.
      await call(api.url, 'POST', `/api/sync/regen/${(queued.body.jobs[0] as { id: string }).id}/retry`, {});
      await api.close();
      api = await startApiServer({ root: machineB, pullOnStart: false });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await call(api.url, 'GET', '/api/sync/regen')).status).toBe(200);
    } finally {
      await api.close();
      await git.stop();
    }
  });

  it("a failed rebuild says the command's last words, not only its exit code", async () => {
    const { git, machineB } = await syncedPair('regen-words');
    await configureSimulator(machineB);
    const api = await startApiServer({ root: machineB, pullOnStart: false });
    try {
      const missing = (await call(api.url, 'GET', '/api/sync/regen')).body.missing as { workspace_id: string; scenario_id: string; run_id: string }[];
      const run = missing[0];
      await setSimulatorBehaviour(path.join(machineB, run.workspace_id, 'scenarios', run.scenario_id, 'runs', run.run_id), 'fail');
      await call(api.url, 'POST', '/api/sync/regen', { workspace: run.workspace_id, scenario: run.scenario_id });
      await expect
        .poll(async () => (await call(api.url, 'GET', '/api/sync/regen')).body.jobs.find((j: { run_id: string }) => j.run_id === run.run_id)?.status, {
          timeout: 15_000,
        })
        .toBe('failed');
      const job = (await call(api.url, 'GET', '/api/sync/regen')).body.jobs.find((j: { run_id: string }) => j.run_id === run.run_id);
      expect(job.message).toMatch(/^The command failed \(exit 3\): Error: the census for \d{4} is missing\.$/);
    } finally {
      await api.close();
      await git.stop();
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSettings, writeSettings } from '@planalign/sync-core';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { addRun, editScenario, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { CLI, nativeGit, readJson, remoteFile, remoteFiles, runCli, twoMachines, writeJson } from './harness.js';

interface WatchEvent {
  type: string;
  at: string;
  trigger?: string;
  message?: string;
  retry_at?: string;
  paths?: string[];
  interval_minutes?: number;
  next_run_at?: string | null;
}

interface Watcher {
  child: ChildProcess;
  events: WatchEvent[];
  output: () => string;
  exited: Promise<number | null>;
}

/** How a sync the watcher started ends: exactly one of these follows each `syncing`. */
const CLOSING = ['synced', 'offline', 'still_offline', 'busy', 'failed'];

/** `planalign sync watch --json` as a service manager would run it; events are JSON lines (`json: false`: the text people read). */
function startWatch(root: string, debounceMs = 500, { json = true } = {}): Watcher {
  const child = spawn(process.execPath, [CLI, '--root', root, ...(json ? ['--json'] : []), 'sync', 'watch', '--debounce', String(debounceMs)], {
    env: { ...process.env, PLANALIGN_SYNC_TOKEN: '', GIT_TERMINAL_PROMPT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watcher: Watcher = { child, events: [], output: () => text, exited: new Promise((resolve) => child.once('exit', resolve)) };
  let text = '';
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk;
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (json && line.trim()) watcher.events.push(JSON.parse(line));
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk));
  return watcher;
}

const commitCount = (repo: string) => Number(nativeGit(repo, ['rev-list', '--count', 'main']).stdout.trim() || 0);
const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
};

describe('planalign sync watch', () => {
  let server: GitServer;
  let url: string;
  let machineA: string;
  let generated: GeneratedRoot;
  let repo: string;
  let watcher: Watcher | null = null;

  beforeAll(async () => {
    ({ server, url, machineA, generated } = await twoMachines('watch'));
    repo = server.repoPath('watch');
    expect((await runCli(['--root', machineA, 'sync', 'init', '--remote', url])).code).toBe(0);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
  });

  afterEach(async () => {
    if (watcher && watcher.child.exitCode === null) {
      watcher.child.kill('SIGTERM');
      await watcher.exited;
    }
    watcher = null;
  });

  afterAll(async () => {
    await server?.stop();
  });

  const watching = async (w: Watcher) => until(() => w.events.some((e) => e.type === 'synced' && e.trigger === 'start'), 15_000, 'the pull on start');

  it('pushes a change within seconds, and a burst of 100 writes as one commit', async () => {
    watcher = startWatch(machineA);
    await watching(watcher);
    const before = commitCount(repo);
    const workspaceFile = path.join(machineA, generated.workspaceIds[0], 'workspace.json');
    await writeJson(workspaceFile, { ...(await readJson(workspaceFile)), description: 'changed while watched' });
    const delay = await until(
      () => (remoteFile(repo, `${generated.workspaceIds[0]}/workspace.json`) ?? '').includes('changed while watched'),
      15_000,
      'the change on the remote',
    );
    process.stdout.write(`watch: a change reached the remote ${delay} ms after it was written\n`);
    expect(commitCount(repo)).toBe(before + 1);

    const notes = path.join(machineA, generated.workspaceIds[1], 'notes');
    await fsp.mkdir(notes, { recursive: true });
    // One burst: the writes follow each other more closely than the debounce, even on a busy machine.
    for (let i = 0; i < 100; i += 1) await fsp.writeFile(path.join(notes, `note-${i}.yaml`), `note: ${i}\n`);
    await until(() => remoteFiles(repo).filter((f) => f.includes('/notes/')).length === 100, 20_000, '100 notes on the remote');
    // quiet for longer than the debounce: nothing else is pushed
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(commitCount(repo)).toBe(before + 2);
  });

  it('is not woken by databases, exports and logs being written', async () => {
    watcher = startWatch(machineA, 200);
    await watching(watcher);
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    const scenarioDir = path.join(machineA, workspaceId, 'scenarios', scenarioId);
    for (let i = 0; i < 20; i += 1) {
      await fsp.appendFile(path.join(scenarioDir, 'simulation.duckdb'), Buffer.alloc(64 * 1024, i));
      await fsp.writeFile(path.join(scenarioDir, `export-${i}.xlsx`), 'x');
      await fsp.appendFile(path.join(scenarioDir, 'simulation.log'), `year ${i}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(watcher.events.filter((e) => e.type === 'noticed' || (e.type === 'syncing' && e.trigger !== 'start'))).toEqual([]);
    // while a synced file does wake it
    await fsp.appendFile(path.join(machineA, workspaceId, 'base_config.yaml'), '# noticed\n');
    await until(() => watcher!.events.some((e) => e.type === 'noticed'), 5_000, 'the change to be noticed');
    await until(() => (remoteFile(repo, `${workspaceId}/base_config.yaml`) ?? '').includes('# noticed'), 10_000, 'the noticed change on the remote');
  });

  it('holds a running scenario back until its run finishes, then pushes the run promptly', async () => {
    // a long debounce, so only the finished-run path can push within it
    watcher = startWatch(machineA, 5_000);
    await watching(watcher);
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios')))[0];
    const scenarioFile = `${workspaceId}/scenarios/${scenarioId}/scenario.json`;
    const before = commitCount(repo);
    // PlanAlign marks the scenario running and starts writing the run's config.
    await editScenario(machineA, workspaceId, scenarioId, { status: 'running', description: 'simulating' });
    const run = await addRun(machineA, workspaceId, scenarioId, { status: 'running' });
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(commitCount(repo)).toBe(before);
    expect(remoteFile(repo, scenarioFile)).not.toContain('simulating');
    const status = await runCli(['--root', machineA, '--json', 'sync', 'status', '--offline']);
    expect(JSON.parse(status.stdout).warnings.join('\n')).toContain('the scenario is still running');
    // Held back, not "synced": the changes are there, waiting for the run to end.
    expect(JSON.parse(status.stdout).local_changes).toBeGreaterThan(0);
    expect(JSON.parse(status.stdout).workspaces.find((w: { id: string }) => w.id === workspaceId).state).toBe('push_needed');

    // The run ends: scenario.json says completed, then run_metadata.json is written.
    await editScenario(machineA, workspaceId, scenarioId, { status: 'completed' });
    const metadataPath = path.join(
      machineA,
      run.files.find((f) => f.endsWith('run_metadata.json'))!,
    );
    const metadata = await readJson(metadataPath);
    const finishedAt = Date.now();
    await writeJson(`${metadataPath}.tmp`, { ...metadata, status: 'completed', completed_at: new Date().toISOString() });
    await fsp.rename(`${metadataPath}.tmp`, metadataPath);
    const relative = path.relative(machineA, metadataPath);
    await until(() => (remoteFile(repo, relative) ?? '').includes('"completed"'), 4_000, 'the finished run on the remote');
    process.stdout.write(`watch: a finished run reached the remote ${Date.now() - finishedAt} ms after its metadata was written\n`);
    expect(remoteFile(repo, scenarioFile)).toContain('simulating');
    // the push reached the remote before the watcher reports it done
    await until(() => watcher!.events.some((e) => e.type === 'synced' && e.trigger === 'run-finished'), 5_000, 'the run-finished sync to be reported');
  });

  it('leaves a workspace with auto_sync: false for a manual push', async () => {
    const [automatic, manual] = generated.workspaceIds;
    const settings = (await readSettings(machineA))!.sync;
    await writeSettings(machineA, { ...settings, workspaces: { ...settings.workspaces, [manual]: { auto_sync: false } } });
    watcher = startWatch(machineA);
    await watching(watcher);
    for (const id of [manual, automatic]) {
      const file = path.join(machineA, id, 'workspace.json');
      await writeJson(file, { ...(await readJson(file)), description: `watched edit of ${id}` });
    }
    await until(() => (remoteFile(repo, `${automatic}/workspace.json`) ?? '').includes('watched edit'), 15_000, 'the automatic workspace on the remote');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(remoteFile(repo, `${manual}/workspace.json`)).not.toContain('watched edit');
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${manual}/workspace.json`)).toContain('watched edit');
    await writeSettings(machineA, settings);
  });

  it('names a file it holds back because it is still being written, and sends it once it is complete', async () => {
    watcher = startWatch(machineA, 300);
    await watching(watcher);
    const workspaceId = generated.workspaceIds[0];
    const scenarioId = (await fsp.readdir(path.join(machineA, workspaceId, 'scenarios'))).sort()[0];
    const relative = `${workspaceId}/scenarios/${scenarioId}/scenario.json`;
    const file = path.join(machineA, relative);
    const complete = await readJson(file);
    const onRemote = remoteFile(repo, relative);
    // PlanAlign is half-way through writing the file.
    await fsp.writeFile(file, JSON.stringify({ ...complete, description: 'written in two steps' }, null, 2).slice(0, 40));
    await until(() => watcher!.events.some((e) => e.type === 'waiting'), 10_000, 'the waiting notice').finally(() => writeJson(file, complete));
    const waiting = watcher.events.filter((e) => e.type === 'waiting');
    expect(waiting).toHaveLength(1);
    expect(waiting[0].paths).toEqual([relative]);
    const name = (await readJson(path.join(machineA, workspaceId, 'workspace.json'))).name;
    expect(waiting[0].message).toBe(`Waiting for ${name}/scenarios/${scenarioId}/scenario.json to finish writing`);
    // The sync that held it back ends; other work may go with it (the settings an earlier test put back), the half-written file does not.
    const count = (type: string) => watcher!.events.filter((e) => e.type === type).length;
    await until(() => count('syncing') === count('synced'), 15_000, 'the sync under way to end');
    expect(remoteFile(repo, relative)).toBe(onRemote);

    await writeJson(file, { ...complete, description: 'written in two steps' });
    await until(() => (remoteFile(repo, relative) ?? '').includes('written in two steps'), 15_000, 'the complete file on the remote');
    expect(watcher.events.filter((e) => e.type === 'waiting')).toHaveLength(1);
  });

  it('picks up a new interval from the settings without a restart, says so, and syncs on it', async () => {
    const settings = (await readSettings(machineA))!.sync;
    expect(settings.auto_sync_interval_minutes).toBe(15);
    watcher = startWatch(machineA);
    await watching(watcher);
    await writeSettings(machineA, { ...settings, auto_sync_interval_minutes: 1 });
    try {
      await until(() => watcher!.events.some((e) => e.type === 'interval_changed'), 10_000, 'the new interval to be announced');
      expect(watcher.events.find((e) => e.type === 'interval_changed')).toMatchObject({ interval_minutes: 1, next_run_at: expect.any(String) });
      // The settings change itself is pushed; the scheduled sync after it follows the new interval.
      await until(() => watcher!.events.some((e) => e.type === 'synced' && e.trigger === 'change'), 15_000, 'the settings change to be pushed');
      const pushedAt = Date.now();
      await until(() => watcher!.events.some((e) => e.type === 'synced' && e.trigger === 'interval'), 75_000, 'a sync on the new interval');
      expect(Date.now() - pushedAt).toBeLessThan(70_000);
    } finally {
      await writeSettings(machineA, settings);
    }
    await until(() => watcher!.events.some((e) => e.type === 'interval_changed' && e.interval_minutes === 15), 10_000, 'the interval back to 15 minutes');
    await until(
      () => remoteFile(repo, '.planalign-sync.yaml')?.includes('auto_sync_interval_minutes: 15') ?? false,
      15_000,
      'the settings restored on the remote',
    );
  }, 120_000);

  it('says it in words: the file still being written and the new interval', async () => {
    const settings = (await readSettings(machineA))!.sync;
    watcher = startWatch(machineA, 300, { json: false });
    await until(() => watcher!.output().includes('(on start)'), 15_000, 'the pull on start');
    const workspaceId = generated.workspaceIds[1];
    const name = (await readJson(path.join(machineA, workspaceId, 'workspace.json'))).name;
    const file = path.join(machineA, workspaceId, 'base_config.yaml');
    const complete = await fsp.readFile(file, 'utf8');
    await fsp.writeFile(file, `${complete}extra:\n  - [unfinished`);
    try {
      await until(() => watcher!.output().includes(`Waiting for ${name}/base_config.yaml to finish writing.`), 10_000, 'the waiting line');
    } finally {
      await fsp.writeFile(file, complete);
    }

    await writeSettings(machineA, { ...settings, auto_sync_interval_minutes: 2 });
    try {
      await until(
        () => /The settings changed the interval: syncing every 2 minutes from now on(; next sync at \d\d:\d\d:\d\d)?\./.test(watcher!.output()),
        10_000,
        'the interval line',
      );
    } finally {
      await writeSettings(machineA, settings);
    }
    await until(() => watcher!.output().includes('syncing every 15 minutes from now on'), 10_000, 'the interval line back to 15 minutes');
    await until(
      () => remoteFile(repo, '.planalign-sync.yaml')?.includes('auto_sync_interval_minutes: 15') ?? false,
      15_000,
      'the settings restored on the remote',
    );
  });

  it('stops cleanly on SIGTERM, leaving no lock behind', async () => {
    watcher = startWatch(machineA);
    await watching(watcher);
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).toBe(0);
    expect(watcher.events.at(-1)?.type).toBe('stopped');
    expect(existsSync(path.join(machineA, '.git', 'planalign-sync', 'sync.lock'))).toBe(false);
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
  });

  it('says once that it is offline, keeps the work committed, and a later sync sends it', async () => {
    watcher = startWatch(machineA);
    await watching(watcher);
    const port = Number(new URL(server.baseUrl).port);
    const projectRoot = server.projectRoot;
    await server.stop();
    const file = path.join(machineA, generated.workspaceIds[0], 'base_config.yaml');
    await fsp.appendFile(file, '# offline edit\n');
    await until(() => watcher!.events.some((e) => e.type === 'offline'), 15_000, 'the offline notice');
    await fsp.appendFile(file, '# second offline edit\n');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(watcher.events.filter((e) => e.type === 'offline')).toHaveLength(1);
    expect(watcher.events.filter((e) => e.type === 'failed')).toHaveLength(0);
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).toBe(0);
    const { startGitServer } = await import('@planalign/git-test-server/git-server');
    server = await startGitServer({ projectRoot, port });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
    expect(remoteFile(repo, `${generated.workspaceIds[0]}/base_config.yaml`)).toContain('# second offline edit');
  });

  it('ends every try while offline with its own event, naming the next try', async () => {
    watcher = startWatch(machineA);
    await watching(watcher);
    const port = Number(new URL(server.baseUrl).port);
    const projectRoot = server.projectRoot;
    await server.stop();
    const file = path.join(machineA, generated.workspaceIds[1], 'base_config.yaml');
    const closings = () => watcher!.events.filter((e) => CLOSING.includes(e.type) && e.trigger !== 'start');
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await fsp.appendFile(file, `# offline edit ${attempt}\n`);
      await until(() => closings().length === attempt, 15_000, `the end of try ${attempt}`);
    }
    expect(closings().map((e) => e.type)).toEqual(['offline', 'still_offline', 'still_offline']);
    for (const closing of closings()) {
      expect(closing).toMatchObject({ trigger: 'change', retry_at: expect.any(String) });
      expect(Date.parse(closing.retry_at!)).toBeGreaterThan(Date.parse(closing.at));
    }
    // The backoff grows: each new time of the next try is announced, never changed silently.
    const waits = closings().map((e) => Date.parse(e.retry_at!) - Date.parse(e.at));
    expect(waits[1]).toBeGreaterThan(waits[0]);
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).toBe(0);
    // Every `syncing` ended with exactly one closing event before anything else started.
    let open = false;
    for (const event of watcher.events) {
      if (event.type === 'syncing') {
        expect(open, JSON.stringify(watcher.events)).toBe(false);
        open = true;
      } else if (CLOSING.includes(event.type)) {
        expect(open, JSON.stringify(watcher.events)).toBe(true);
        open = false;
      }
    }
    expect(open).toBe(false);
    const { startGitServer } = await import('@planalign/git-test-server/git-server');
    server = await startGitServer({ projectRoot, port });
    expect((await runCli(['--root', machineA, 'sync', 'push'])).code).toBe(0);
  });

  it('killed with SIGKILL in the middle of syncs, leaves a root the next sync completes', async () => {
    for (let round = 0; round < 6; round += 1) {
      watcher = startWatch(machineA, 50);
      await watching(watcher);
      const workspaceFile = path.join(machineA, generated.workspaceIds[round % 2], 'workspace.json');
      await writeJson(workspaceFile, { ...(await readJson(workspaceFile)), description: `kill round ${round}` });
      await new Promise((resolve) => setTimeout(resolve, 60 + round * 40));
      watcher.child.kill('SIGKILL');
      await watcher.exited;
    }
    watcher = null;
    const push = await runCli(['--root', machineA, 'sync', 'push']);
    expect(push.code, push.stderr).toBe(0);
    expect(nativeGit(machineA, ['fsck', '--no-progress']).code).toBe(0);
    expect(remoteFile(repo, `${generated.workspaceIds[1]}/workspace.json`)).toContain('kill round 5');
    expect(nativeGit(machineA, ['status', '--porcelain']).stdout).toBe('');
  });
});

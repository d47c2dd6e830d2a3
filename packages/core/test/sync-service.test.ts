import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { SyncConfigError, SyncConflictError, SyncNotInitializedError } from '../src/errors.js';
import type { ConflictStrategy } from '../src/models/sync-config.js';
import { SyncService } from '../src/sync/sync-service.js';
import { TeamService } from '../src/team/team-service.js';
import {
  editJson,
  expectFsckClean,
  gitAsync,
  gitLocal,
  isolateFromThisComputer,
  machineRoot,
  readJson,
  remoteFile,
  remoteFiles,
  scenarioPath,
  syncedFiles,
  tempDir,
  writeWorkspace,
} from './machines.js';

const WS = '6f1c2d3e-0000-4000-8000-000000000001';
const BASELINE = '6f1c2d3e-0000-4000-8000-0000000000a1';
const HIRING = '6f1c2d3e-0000-4000-8000-0000000000a2';
const SCENARIO = scenarioPath(WS, BASELINE);

/**
 * SyncService against the loopback Git server: two machines (two roots) sharing one remote,
 * with native git reading what reached the remote's bare repository.
 */
describe('SyncService', () => {
  let server: GitServer;
  let repos = 0;

  beforeAll(async () => {
    await isolateFromThisComputer();
    server = await startGitServer({ onBackendError: (report) => console.error(report) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A fresh remote; machine A holds one workspace with two scenarios and has pushed it; machine B has joined. */
  async function twoMachinesInSync() {
    repos += 1;
    const name = `sync-${repos}`;
    const url = await server.createRepo(name);
    const bare = server.repoPath(name);
    const a = await machineRoot('a');
    const b = await machineRoot('b');
    await writeWorkspace(a, {
      id: WS,
      name: 'Q4 Projections',
      scenarios: [
        { id: BASELINE, name: 'Baseline' },
        { id: HIRING, name: 'Aggressive Hiring', growth: 0.08 },
      ],
    });
    const machineA = new SyncService(a);
    const machineB = new SyncService(b);
    await machineA.init({ remote: url, author: { name: 'Ana Lima', email: 'ana@example.com' } });
    await machineA.push();
    await machineB.init({ remote: url, author: { name: 'Ben Ode', email: 'ben@example.com' } });
    return { url, bare, a, b, machineA, machineB };
  }

  it('the first push fills an empty remote with the synced files only; a second machine joining gets the same files', async () => {
    repos += 1;
    const url = await server.createRepo(`first-${repos}`);
    const bare = server.repoPath(`first-${repos}`);
    const a = await machineRoot('a');
    await writeWorkspace(a, {
      id: WS,
      name: 'Q4 Projections',
      scenarios: [
        { id: BASELINE, name: 'Baseline' },
        { id: HIRING, name: 'Aggressive Hiring' },
      ],
    });
    const machineA = new SyncService(a);

    const init = await machineA.init({ remote: url, author: { name: 'Ana Lima', email: 'ana@example.com' } });
    expect(init).toMatchObject({ remote_url: url, branch: 'main', created_repository: true, from_remote: null });
    // Nothing goes up before a push.
    expect(gitLocal(bare, ['for-each-ref'])).toBe('');

    const push = await machineA.push();
    expect(push).toMatchObject({ pushed: true, pulled_first: false, resolved_conflicts: [], synced: { workspaces: 1, scenarios: 2, runs: 0 } });
    expect(push.changed_workspaces).toEqual(['Q4 Projections']);
    expect(push.commit).toBe(gitLocal(bare, ['rev-parse', 'main']).trim());
    const files = remoteFiles(bare);
    expect(files).toEqual(
      [
        '.gitignore',
        '.planalign-sync.yaml',
        `${WS}/base_config.yaml`,
        `${WS}/workspace.json`,
        scenarioPath(WS, BASELINE),
        `${WS}/scenarios/${BASELINE}/overrides.yaml`,
        scenarioPath(WS, HIRING),
        `${WS}/scenarios/${HIRING}/overrides.yaml`,
      ].sort(),
    );
    expect(remoteFile(bare, SCENARIO)).toBe(await fsp.readFile(path.join(a, SCENARIO), 'utf8'));
    expect(gitLocal(bare, ['log', '--format=%an <%ae>', 'main']).trim()).toBe('Ana Lima <ana@example.com>');
    expectFsckClean(bare);

    // Native git clones what sync pushed, and sees the same files.
    const clone = path.join(await tempDir('clone'), 'clone');
    await gitAsync(path.dirname(clone), ['clone', '-q', url, clone]);
    expect((await fsp.readFile(path.join(clone, SCENARIO), 'utf8')).length).toBeGreaterThan(0);

    const b = await machineRoot('b');
    const machineB = new SyncService(b);
    const joined = await machineB.init({ remote: url });
    expect(joined.from_remote).toEqual({ workspaces: 1, scenarios: 2, runs: 0 });
    expect(joined.message).toContain('Brought down 1 workspace (2 scenarios, 0 runs)');
    expect(await syncedFiles(b)).toEqual(await syncedFiles(a));
    // set up again, it says that nothing had to come down
    const again = await machineB.init({ remote: url });
    expect(again.message).toBe("Sync initialized. This computer already has the remote's 1 workspace (2 scenarios, 0 runs).");
    // Databases and uploads stay on the machine that made them.
    expect(existsSync(path.join(b, WS, 'scenarios', BASELINE, 'simulation.duckdb'))).toBe(false);
    expect(existsSync(path.join(b, WS, 'data', 'census.parquet'))).toBe(false);

    for (const machine of [machineA, machineB]) {
      const status = await machine.status();
      expect(status).toMatchObject({ is_initialized: true, remote_url: url, ahead: 0, behind: 0, local_changes: 0, conflicts: [] });
      expect(status.workspaces).toEqual([expect.objectContaining({ id: WS, name: 'Q4 Projections', state: 'synced', scenario_count: 2 })]);
    }
  });

  it('edits to different keys of one scenario on two machines are merged by key, without a conflict or a backup', async () => {
    const { bare, a, b, machineA, machineB } = await twoMachinesInSync();
    await editJson(a, SCENARIO, { description: 'edited on A' });
    await editJson(b, SCENARIO, { name: 'Renamed on B' });
    expect((await machineA.push()).pushed).toBe(true);

    const push = await machineB.push();
    expect(push).toMatchObject({ pushed: true, pulled_first: true });
    expect(push.resolved_conflicts).toEqual([{ path: SCENARIO, winner: 'merged', strategy: 'structural-merge', backup: null, keys: [] }]);
    // B's push is a merge of both machines' commits.
    expect(gitLocal(bare, ['log', '-1', '--format=%P', 'main']).trim().split(' ')).toHaveLength(2);
    expect(JSON.parse(remoteFile(bare, SCENARIO))).toMatchObject({ name: 'Renamed on B', description: 'edited on A' });

    const pull = await machineA.pull();
    expect(pull).toMatchObject({ files_changed: 1, updated_workspaces: ['Q4 Projections'], resolved_conflicts: [] });
    expect(await syncedFiles(a)).toEqual(await syncedFiles(b));
    expect(existsSync(path.join(b, '.planalign-sync-backups'))).toBe(false);
    expect(await machineB.conflicts()).toEqual({ open: [], past: [] });
    expectFsckClean(bare);
  });

  it.each<{ strategy: ConflictStrategy; winner: 'A' | 'B'; sides: [string, string] }>([
    // B pushes last: its version is the local one.
    { strategy: 'keep-local', winner: 'B', sides: ['local', 'remote'] },
    { strategy: 'keep-remote', winner: 'A', sides: ['remote', 'local'] },
  ])(
    'the same key changed on both machines, $strategy: the chosen value wins on both, and the other version is kept byte for byte in a backup that restores it',
    async ({ strategy, winner, sides: [won, lost] }) => {
      const { bare, a, b, machineA, machineB } = await twoMachinesInSync();
      const fromA = await editJson(a, SCENARIO, { name: 'Name from A', description: 'only A touched this' });
      const fromB = await editJson(b, SCENARIO, { name: 'Name from B' });
      await machineA.push();

      const push = await machineB.push({ strategy });
      const [settled] = push.resolved_conflicts;
      expect(push.resolved_conflicts).toHaveLength(1);
      expect(settled).toMatchObject({ path: SCENARIO, winner: won, strategy, keys: ['name'] });
      const expectedName = winner === 'A' ? 'Name from A' : 'Name from B';
      // The key both changed goes to the winner; A's edit of another key survives either way.
      expect(await readJson(b, SCENARIO)).toMatchObject({ name: expectedName, description: 'only A touched this' });
      expect(JSON.parse(remoteFile(bare, SCENARIO))).toMatchObject({ name: expectedName, description: 'only A touched this' });
      await machineA.pull();
      expect(await syncedFiles(a)).toEqual(await syncedFiles(b));

      // Nothing is lost: the losing side's whole file is in a backup on B.
      const loser = winner === 'A' ? fromB : fromA;
      const kept = await fsp.readFile(path.join(b, '.planalign-sync-backups', settled.backup!, SCENARIO));
      expect(kept.equals(loser)).toBe(true);
      const list = await machineB.conflicts();
      expect(list).toEqual({ open: [], past: [expect.objectContaining({ id: settled.backup, path: SCENARIO, side: lost, strategy })] });
      expect((await machineB.log()).map((entry) => entry.operation)).toContain('conflict');

      // ...and restoring it puts it back for the next push to carry to every machine.
      await machineB.restore(settled.backup!);
      expect((await fsp.readFile(path.join(b, SCENARIO))).equals(loser)).toBe(true);
      await machineB.push();
      expect(Buffer.from(remoteFile(bare, SCENARIO)).equals(loser)).toBe(true);
      expectFsckClean(bare);
    },
  );

  it('last-write-wins: the later edit wins, even though the machine that made the earlier one pushes last', async () => {
    const { bare, b, a, machineA, machineB } = await twoMachinesInSync();
    await machineB.configure({ conflict_strategy: 'last-write-wins' });
    const early = await editJson(b, SCENARIO, { name: 'Early edit on B' });
    // Recorded on B now (a pull commits local work first), pushed only later.
    expect((await machineB.pull()).committed_local_changes).toBe(true);
    // Commit times are in seconds: the edit on A must be in a later one.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await editJson(a, SCENARIO, { name: 'Later edit on A' });
    await machineA.push();

    const push = await machineB.push();
    expect(push.resolved_conflicts).toEqual([expect.objectContaining({ path: SCENARIO, winner: 'remote', strategy: 'last-write-wins', keys: ['name'] })]);
    expect((await readJson(b, SCENARIO)).name).toBe('Later edit on A');
    expect(JSON.parse(remoteFile(bare, SCENARIO)).name).toBe('Later edit on A');
    const kept = await fsp.readFile(path.join(b, '.planalign-sync-backups', push.resolved_conflicts[0].backup!, SCENARIO));
    expect(kept.equals(early)).toBe(true);
    await machineA.pull();
    expect(await syncedFiles(a)).toEqual(await syncedFiles(b));
  });

  it("a computer joining with an old copy of the workspaces takes what changed on the remote since, by each file's own time", async () => {
    const { url, bare, a, machineA } = await twoMachinesInSync();
    // A copy of A's workspace made weeks ago (a folder copied over, a backup restored).
    const c = await machineRoot('c');
    await fsp.cp(path.join(a, WS), path.join(c, WS), { recursive: true });
    const weeksAgo = new Date(Date.now() - 21 * 86_400_000);
    for (const file of (await fsp.readdir(path.join(c, WS), { recursive: true })).map((f) => path.join(c, WS, f))) await fsp.utimes(file, weeksAgo, weeksAgo);
    await editJson(a, SCENARIO, { name: 'Renamed since the copy' });
    await machineA.push();
    // One file of the old copy edited after that rename: the newer edit, it wins.
    const hiring = scenarioPath(WS, HIRING);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await editJson(c, hiring, { name: 'Edited here after the rename' });

    const machineC = new SyncService(c);
    const joined = await machineC.init({ remote: url, author: { name: 'Cy Park', email: 'cy@example.com' } });
    // What the join settled is said, each losing version kept in a backup.
    expect(joined.resolved_conflicts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: SCENARIO, winner: 'remote', strategy: 'last-write-wins', backup: expect.any(String) }),
        expect.objectContaining({ path: hiring, winner: 'local', strategy: 'last-write-wins', backup: expect.any(String) }),
      ]),
    );
    expect((await readJson(c, SCENARIO)).name).toBe('Renamed since the copy');
    expect((await readJson(c, hiring)).name).toBe('Edited here after the rename');
    await machineC.push();
    expect(JSON.parse(remoteFile(bare, SCENARIO)).name).toBe('Renamed since the copy');
    expect(JSON.parse(remoteFile(bare, hiring)).name).toBe('Edited here after the rename');
    expectFsckClean(path.join(c, '.git'));
  });

  it("every move of the branch and of the remote's tracking ref is in their reflogs, which native git reads", async () => {
    const { a, b, machineA, machineB } = await twoMachinesInSync();
    const gitB = (...args: string[]) => gitLocal(path.join(b, '.git'), args).trim();
    const positions = [gitB('rev-parse', 'main')];
    await editJson(a, SCENARIO, { name: 'Edited on A' });
    await machineA.push();
    await machineB.pull();
    positions.push(gitB('rev-parse', 'main'));
    await editJson(b, scenarioPath(WS, HIRING), { name: 'Edited on B' });
    await machineB.push();
    positions.push(gitB('rev-parse', 'main'));

    // Newest first, as `git reflog` lists them; HEAD's log follows the branch it points at.
    const moves = gitB('reflog', 'show', '--format=%H', 'main').split('\n');
    expect(moves[0]).toBe(positions.at(-1));
    expect([...positions].reverse().every((commit) => moves.includes(commit))).toBe(true);
    expect(gitB('reflog', 'show', '--format=%H', 'HEAD').split('\n')).toEqual(moves);
    expect(gitB('reflog', 'show', '--format=%H', 'origin/main').split('\n')[0]).toBe(gitB('rev-parse', 'origin/main'));
    expect(gitB('log', '-g', '--format=%gs', '-1', 'main')).toMatch(/^planalign-sync: commit/);
    // each line names who moved the branch, as the commit it made does
    expect(gitB('log', '-g', '--format=%gn <%ge>', '-1', 'main')).toBe(gitB('log', '--format=%cn <%ce>', '-1', 'main'));
    expectFsckClean(path.join(b, '.git'));
    gitB('reflog', 'expire', '--expire=now', '--all');
    expectFsckClean(path.join(b, '.git'));
  });

  it('status names a workspace whose folder went from this computer, with the files a push would remove', async () => {
    const { b } = await twoMachinesInSync();
    const files = gitLocal(path.join(b, '.git'), ['ls-files', `${WS}/`])
      .trim()
      .split('\n');
    await fsp.rename(path.join(b, WS), path.join(await tempDir('moved-away'), WS));
    const status = await new SyncService(b).status({ offline: true });
    expect(status.local.workspaces).toBe(0);
    expect(status.workspaces).toEqual([
      expect.objectContaining({
        id: WS,
        name: 'Q4 Projections',
        state: 'push_needed',
        changes: files.length,
        problems: [expect.stringMatching(/no longer on this computer: a push would remove it/)],
      }),
    ]);
  });

  it('a push that only sends a merge of changes the remote already has says so in the log', async () => {
    const { a, b, bare, machineA, machineB } = await twoMachinesInSync();
    await editJson(a, SCENARIO, { description: 'the same edit on both' });
    await editJson(b, SCENARIO, { description: 'the same edit on both' });
    await machineA.push();
    await machineB.push();
    expect(gitLocal(bare, ['log', '-1', '--format=%P', 'main']).trim().split(' ')).toHaveLength(2);
    const [last] = await machineB.log({ limit: 1 });
    expect(last).toMatchObject({ operation: 'push', message: 'Pushed a merge of changes already on the remote (no file differs)' });
  });

  it('ask-user: the push stops with nothing changed, and a decision finishes the merge and shares it', async () => {
    const { bare, a, b, machineA, machineB } = await twoMachinesInSync();
    await editJson(a, SCENARIO, { name: 'Name from A' });
    const fromB = await editJson(b, SCENARIO, { name: 'Name from B' });
    await machineA.push();
    const remoteBefore = gitLocal(bare, ['rev-parse', 'main']).trim();

    const refused = await machineB.push({ strategy: 'ask-user' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SyncConflictError);
    expect((refused as SyncConflictError).conflicting_files).toEqual([SCENARIO]);
    // Nothing moved: B's file is as B wrote it, the remote as A left it.
    expect((await fsp.readFile(path.join(b, SCENARIO))).equals(fromB)).toBe(true);
    expect(gitLocal(bare, ['rev-parse', 'main']).trim()).toBe(remoteBefore);
    expect((await machineB.status({ offline: true })).conflicts).toEqual([SCENARIO]);
    // named as people know them: the scenario's name is this computer's
    expect((await machineB.conflicts()).open).toEqual([{ path: SCENARIO, workspace: 'Q4 Projections', scenario: 'Name from B', decision: null }]);
    const shown = await machineB.showConflict(SCENARIO);
    expect(shown).toMatchObject({ path: SCENARIO, open: true, conflicting_keys: ['name'], workspace_name: 'Q4 Projections', scenario_name: 'Name from B' });
    expect(shown.differences).toEqual([{ key: 'name', path: ['name'], base: expect.any(String), local: 'Name from B', remote: 'Name from A' }]);
    expect(JSON.parse(shown.local!).name).toBe('Name from B');
    expect(JSON.parse(shown.remote!).name).toBe('Name from A');

    const resolved = await machineB.resolveConflict(SCENARIO, 'remote');
    expect(resolved).toMatchObject({ path: SCENARIO, use: 'remote', pending: [], shared: true });
    expect((await readJson(b, SCENARIO)).name).toBe('Name from A');
    expect((await machineB.status({ offline: true })).conflicts).toEqual([]);
    // B's version is not lost, and is recorded as settled by the person's choice, not the strategy set
    const [backup] = (await machineB.conflicts()).past;
    expect(backup).toMatchObject({ path: SCENARIO, side: 'local', strategy: 'chosen' });
    expect((await fsp.readFile(path.join(b, '.planalign-sync-backups', backup.id, SCENARIO))).equals(fromB)).toBe(true);
    await machineA.pull();
    expect(await syncedFiles(a)).toEqual(await syncedFiles(b));
    expectFsckClean(bare);
  });

  it('status counts commits ahead and behind the remote as native git does, and files changed per workspace', async () => {
    const { bare, a, b, machineA, machineB } = await twoMachinesInSync();
    // Two commits on A that the remote does not have (a pull records local work without pushing it).
    await editJson(a, SCENARIO, { description: 'first' });
    await machineA.pull();
    await editJson(a, scenarioPath(WS, HIRING), { description: 'second' });
    await machineA.pull();
    await editJson(a, SCENARIO, { description: 'third, not recorded yet' });

    const aheadOnA = await machineA.status();
    expect(aheadOnA).toMatchObject({ ahead: 2, behind: 0, local_changes: 1 });
    expect(Number(gitLocal(path.join(a, '.git'), ['rev-list', '--count', 'refs/remotes/origin/main..main']).trim())).toBe(2);
    expect(aheadOnA.workspaces).toEqual([expect.objectContaining({ id: WS, state: 'push_needed', changes: 2 })]);

    await machineA.push();
    const behindOnB = await machineB.status();
    const remoteCommits = Number(gitLocal(bare, ['rev-list', '--count', 'main']).trim());
    const bCommits = Number(gitLocal(path.join(b, '.git'), ['rev-list', '--count', 'main']).trim());
    expect(behindOnB).toMatchObject({ ahead: 0, behind: remoteCommits - bCommits, local_changes: 0 });
    expect(behindOnB.behind).toBe(3);
    expect(behindOnB.workspaces).toEqual([expect.objectContaining({ id: WS, state: 'pull_available', pull_available: true })]);

    await machineB.pull();
    expect(await machineB.status()).toMatchObject({ ahead: 0, behind: 0, local_changes: 0 });
    expect(await syncedFiles(b)).toEqual(await syncedFiles(a));
  });

  it('a push to a remote nobody changed asks the server as often as native git push does, and a pull no more often than git fetch', async () => {
    const { url, bare, a, b, machineA, machineB } = await twoMachinesInSync();
    const clone = path.join(await tempDir('clone'), 'repo');
    await gitAsync(path.dirname(clone), ['clone', '-q', url, clone]);
    const requestsOf = async (run: () => Promise<unknown>) => {
      const before = server.requests;
      await run();
      return server.requests - before;
    };

    await editJson(a, SCENARIO, { description: 'pushed by sync' });
    // the receive-pack advertisement names the remote's head: no other request before the upload
    const syncPush = await requestsOf(() => machineA.push());
    await gitAsync(clone, ['pull', '-q', '--ff-only']);
    await editJson(clone, SCENARIO, { description: 'pushed by native git' });
    await gitAsync(clone, ['-c', 'user.name=Nat', '-c', 'user.email=nat@example.com', 'commit', '-q', '-am', 'native edit']);
    const gitPush = await requestsOf(() => gitAsync(clone, ['push', '-q', 'origin', 'main']));
    expect(syncPush).toBe(2);
    expect(syncPush).toBe(gitPush);

    // one advertisement, then the pack over the same connection
    const syncPull = await requestsOf(() => machineB.pull());
    await editJson(a, scenarioPath(WS, HIRING), { description: 'fetched by both' });
    await machineA.pull();
    await machineA.push();
    const gitFetch = await requestsOf(() => gitAsync(clone, ['fetch', '-q', 'origin']));
    expect(syncPull).toBe(2);
    expect(syncPull).toBeLessThanOrEqual(gitFetch);
    expect(await syncedFiles(b)).toEqual(await syncedFiles(clone));
    expectFsckClean(bare);
  });

  it("status's count of what the remote holds follows each push as native git lists the remote's files", async () => {
    const { bare, a, machineA, machineB } = await twoMachinesInSync();
    const nativeCounts = () => {
      const files = remoteFiles(bare);
      const named = (pattern: RegExp) => files.filter((file) => pattern.test(file)).length;
      return {
        workspaces: named(/^[^/]+\/workspace\.json$/),
        scenarios: named(/^[^/]+\/scenarios\/[^/]+\/scenario\.json$/),
        runs: named(/^[^/]+\/scenarios\/[^/]+\/runs\/[^/]+\/run_metadata\.json$/),
      };
    };
    expect((await machineB.status()).remote).toEqual(nativeCounts());
    // a run and a scenario added, another scenario removed, a second workspace: counted from what changed
    const run = path.join(a, WS, 'scenarios', BASELINE, 'runs', 'run-1');
    await fsp.mkdir(run, { recursive: true });
    await fsp.writeFile(path.join(run, 'run_metadata.json'), '{"status": "completed"}\n');
    await fsp.writeFile(path.join(run, 'config.yaml'), 'seed: 1\n');
    await fsp.rm(path.join(a, WS, 'scenarios', HIRING), { recursive: true });
    await writeWorkspace(a, {
      id: 'board-review',
      name: 'Board Review',
      scenarios: [
        { id: 'board-1', name: 'Board 1' },
        { id: 'board-2', name: 'Board 2' },
      ],
    });
    await machineA.push({ allowDelete: true });
    const afterFirst = (await machineB.status()).remote;
    expect(afterFirst).toEqual(nativeCounts());
    expect(afterFirst).toEqual({ workspaces: 2, scenarios: 3, runs: 1 });
    await fsp.rm(path.join(a, 'board-review'), { recursive: true });
    await machineA.push({ allowDelete: true });
    expect((await machineB.status()).remote).toEqual(nativeCounts());
    expect((await machineB.status({ offline: true })).remote).toEqual({ workspaces: 1, scenarios: 1, runs: 1 });
  });

  it('fresher stat data of a few files is not worth rewriting a large index for; of many it is, and native git agrees throughout', async () => {
    repos += 1;
    const url = await server.createRepo(`sync-${repos}`);
    const root = await machineRoot('stats');
    const scenarios = Array.from({ length: 150 }, (_, i) => ({ id: `scenario-${String(i).padStart(3, '0')}`, name: `Scenario ${i}` }));
    await writeWorkspace(root, { id: WS, name: 'Many Scenarios', scenarios });
    const machine = new SyncService(root);
    await machine.init({ remote: url, author: { name: 'Ana Lima', email: 'ana@example.com' } });
    await machine.push();
    const gitdir = path.join(root, '.git');
    const indexBytes = () => fsp.readFile(path.join(gitdir, 'index'));
    // same bytes, newer times: the files are read again and found unchanged
    const touch = async (count: number) => {
      const later = new Date(Date.now() + 5_000);
      for (const scenario of scenarios.slice(0, count)) await fsp.utimes(path.join(root, scenarioPath(WS, scenario.id)), later, later);
    };
    const before = await indexBytes();
    await touch(1);
    expect(await machine.status({ offline: true })).toMatchObject({ local_changes: 0 });
    expect((await indexBytes()).equals(before)).toBe(true);
    expect(gitLocal(gitdir, ['--work-tree', root, 'status', '--porcelain'])).toBe('');
    await touch(10);
    expect(await machine.status({ offline: true })).toMatchObject({ local_changes: 0 });
    expect((await indexBytes()).equals(before)).toBe(false);
    // the rewritten index holds the touched files' new stat data: git finds nothing to re-read
    expect(gitLocal(gitdir, ['--work-tree', root, 'diff-files', '--name-only'])).toBe('');
    expect(gitLocal(gitdir, ['--work-tree', root, 'status', '--porcelain'])).toBe('');
  });

  it('comments both machines add to a YAML file reach the remote; one a merge cannot carry is kept whole in a backup', async () => {
    const { bare, a, b, machineA, machineB } = await twoMachinesInSync();
    const CONFIG = `${WS}/base_config.yaml`;
    const config = async (root: string) => fsp.readFile(path.join(root, CONFIG), 'utf8');
    await fsp.appendFile(path.join(a, CONFIG), '# note from A\n');
    await machineA.push();
    await fsp.appendFile(path.join(b, CONFIG), '# note from B\n');
    const push = await machineB.push();
    expect(push.resolved_conflicts).toMatchObject([{ path: CONFIG, winner: 'merged', backup: null }]);
    // the merging machine's lines first, as git's union merge puts them
    expect(remoteFile(bare, CONFIG)).toContain('# note from B\n# note from A\n');
    await machineA.pull();
    expect(await config(a)).toBe(await config(b));

    // A edits a comment, B a value on the same line: B's merge keeps A's file whole in a backup
    await fsp.writeFile(path.join(a, CONFIG), (await config(a)).replace('start_year: 2026', 'start_year: 2026 # the first plan year'));
    await machineA.push();
    await fsp.writeFile(path.join(b, CONFIG), (await config(b)).replace('start_year: 2026', 'start_year: 2027'));
    const merged = await machineB.push();
    expect(merged.resolved_conflicts).toMatchObject([{ path: CONFIG, winner: 'merged', backup: expect.any(String) }]);
    const kept = await fsp.readFile(path.join(b, '.planalign-sync-backups', merged.resolved_conflicts[0].backup!, CONFIG), 'utf8');
    expect(kept).toContain('# the first plan year');
    expect(remoteFile(bare, CONFIG)).toContain('start_year: 2027');
    expectFsckClean(bare);
  });

  it('disconnect forgets the remote and the settings, keeps every file and the history, and leaves the remote alone', async () => {
    const { url, bare, b, machineB } = await twoMachinesInSync();
    const before = await syncedFiles(b);
    const remoteHead = gitLocal(bare, ['rev-parse', 'main']).trim();
    const history = gitLocal(path.join(b, '.git'), ['rev-list', 'main']);

    const result = await machineB.disconnect();
    expect(result).toMatchObject({ root: b, removed_remote: url });
    expect(existsSync(path.join(b, '.planalign-sync.yaml'))).toBe(false);
    before.delete('.planalign-sync.yaml');
    expect(await syncedFiles(b)).toEqual(before);
    expect(gitLocal(path.join(b, '.git'), ['rev-list', 'main'])).toBe(history);
    expect(gitLocal(path.join(b, '.git'), ['remote'])).toBe('');
    expect(gitLocal(bare, ['rev-parse', 'main']).trim()).toBe(remoteHead);

    expect((await machineB.status()).is_initialized).toBe(false);
    await expect(machineB.push()).rejects.toBeInstanceOf(SyncNotInitializedError);
  });

  it('init refuses a remote URL carrying a token, without writing anything or repeating the token', async () => {
    const root = await machineRoot('token');
    await writeWorkspace(root, { id: WS, name: 'Q4 Projections', scenarios: [] });
    const error = await new SyncService(root)
      .init({ remote: `${server.baseUrl.replace('http://', 'http://ana:s3cret-token@')}/x.git` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncConfigError);
    expect((error as Error).message).toContain('password or token');
    expect((error as Error).message).not.toContain('s3cret-token');
    expect(existsSync(path.join(root, '.git'))).toBe(false);
    expect(existsSync(path.join(root, '.planalign-sync.yaml'))).toBe(false);
  });
  it('a pull that empties a folder and adds a new one beside it writes the new one (scenarios all replaced, as a rename does)', async () => {
    const { bare, a, b, machineA, machineB } = await twoMachinesInSync();
    const RENAMED = '6f1c2d3e-0000-4000-8000-0000000000b1';
    const scenarios = path.join(a, WS, 'scenarios');
    await fsp.rename(path.join(scenarios, BASELINE), path.join(scenarios, RENAMED));
    await fsp.rm(path.join(scenarios, HIRING), { recursive: true });
    await machineA.push({ allowDelete: true });
    const pull = await machineB.pull();
    expect(pull.updated_workspaces).toEqual(['Q4 Projections']);
    expect((await fsp.readdir(path.join(b, WS, 'scenarios'))).filter((name) => !name.startsWith('.'))).toEqual([RENAMED]);
    expect(await syncedFiles(b)).toEqual(await syncedFiles(a));
    expect(await machineB.status()).toMatchObject({ ahead: 0, behind: 0, local_changes: 0 });
    expectFsckClean(path.join(b, '.git'));
    expectFsckClean(bare);
  });
  it("status's last run of each workspace follows every edit of a scenario file, also one of the same size made right after a status", async () => {
    const { a } = await twoMachinesInSync();
    const machineA = new SyncService(a);
    const lastRun = async () => (await machineA.status({ offline: true })).workspaces.find((w) => w.id === WS)?.last_run_at;
    expect(await lastRun()).toBeNull();
    await editJson(a, scenarioPath(WS, BASELINE), { last_run_at: '2026-01-05T10:00:00Z' });
    expect(await lastRun()).toBe('2026-01-05T10:00:00Z');
    // the next status takes it from what the last one recorded (the file is read only when it changes)
    expect(existsSync(path.join(a, '.git', 'planalign-sync', 'scenario-last-runs.json'))).toBe(true);
    expect(await lastRun()).toBe('2026-01-05T10:00:00Z');
    // same size, same second: only the stat's finer parts tell it apart
    await editJson(a, scenarioPath(WS, BASELINE), { last_run_at: '2026-01-06T10:00:00Z' });
    expect(await lastRun()).toBe('2026-01-06T10:00:00Z');
    // an edit that puts the old modification time back (as cp -p or touch -r do), once the record is old enough to trust
    const file = path.join(a, scenarioPath(WS, HIRING));
    await editJson(a, scenarioPath(WS, HIRING), { last_run_at: '2026-01-07T10:00:00Z' });
    const old = new Date(Date.now() - 60_000);
    await fsp.utimes(file, old, old);
    expect(await lastRun()).toBe('2026-01-07T10:00:00Z');
    expect(await lastRun()).toBe('2026-01-07T10:00:00Z');
    await editJson(a, scenarioPath(WS, HIRING), { last_run_at: '2026-01-08T10:00:00Z' });
    await fsp.utimes(file, old, old);
    expect(await lastRun()).toBe('2026-01-08T10:00:00Z');
  });
  it('what native git staged and nobody committed is a local change: status counts it, push sends it, and a pull merges it instead of replacing it', async () => {
    const { a, b, bare } = await twoMachinesInSync();
    const machineA = new SyncService(a);
    const machineB = new SyncService(b);
    // on A, someone edits a scenario and a new file and stages both with git
    await editJson(a, SCENARIO, { description: 'staged with git add' });
    const notes = `${WS}/notes.json`;
    await fsp.writeFile(path.join(a, notes), '{"note": "added with git"}\n');
    await gitAsync(a, ['add', SCENARIO, notes]);
    const status = await machineA.status({ offline: true });
    expect(status.workspaces.find((w) => w.id === WS)).toMatchObject({ state: 'push_needed', changes: 2 });
    await machineA.push();
    expect(JSON.parse(remoteFile(bare, SCENARIO)).description).toBe('staged with git add');
    expect(remoteFile(bare, notes)).toBe('{"note": "added with git"}\n');
    await gitAsync(a, ['diff', '--cached', '--exit-code']);
    expect(await machineA.status({ offline: true })).toMatchObject({ local_changes: 0 });
    // staged on B while A changes another key of the same file: the pull keeps B's edit
    await machineB.pull();
    await editJson(b, SCENARIO, { status: 'draft on B' });
    await gitAsync(b, ['add', SCENARIO]);
    await editJson(a, SCENARIO, { name: 'Renamed on A' });
    await machineA.push();
    await machineB.pull();
    expect(await readJson(b, SCENARIO)).toMatchObject({ status: 'draft on B', name: 'Renamed on A', description: 'staged with git add' });
    await machineB.push();
    expect(JSON.parse(remoteFile(bare, SCENARIO))).toMatchObject({ status: 'draft on B', name: 'Renamed on A' });
    expectFsckClean(path.join(a, '.git'));
    expectFsckClean(path.join(b, '.git'));
    expectFsckClean(bare);
  });

  it('a workspace removed here while another computer changed it goes whole: the change from there is kept in a backup here', async () => {
    const { a, b, bare, machineA, machineB } = await twoMachinesInSync();
    await editJson(a, SCENARIO, { description: 'edited on A while B removed the workspace' });
    await machineA.push();
    const edited = await fsp.readFile(path.join(a, SCENARIO));
    await fsp.rm(path.join(b, WS), { recursive: true });
    const preview = await machineB.previewPull();
    expect(preview.backed_up_before_removal).toEqual([SCENARIO]);
    const pushed = await machineB.push({ allowDelete: true });
    expect(pushed.resolved_conflicts).toEqual([expect.objectContaining({ path: SCENARIO, winner: 'local', strategy: 'workspace-removed' })]);
    expect(remoteFiles(bare).filter((file) => file.startsWith(`${WS}/`))).toEqual([]);
    const backups = (await machineB.conflicts()).past;
    expect(backups).toEqual([expect.objectContaining({ path: SCENARIO, side: 'remote', strategy: 'workspace-removed' })]);
    expect(await fsp.readFile(path.join(b, '.planalign-sync-backups', backups[0].id, ...SCENARIO.split('/')))).toEqual(edited);
    expect(existsSync(path.join(b, WS))).toBe(false);
    // the other computer takes the removal whole too
    await machineA.pull();
    expect(await syncedFiles(a)).toEqual(await syncedFiles(b));
    expect([...(await syncedFiles(a)).keys()].some((file) => file.startsWith(`${WS}/`))).toBe(false);
    await gitAsync(a, ['diff', '--cached', '--exit-code']);
    await gitAsync(b, ['diff', '--cached', '--exit-code']);
    expectFsckClean(path.join(b, '.git'));
    expectFsckClean(bare);
  });

  it('a scenario removed on another computer while this one changed it goes whole, not as a scenario.json without its runs; the change is kept in a backup', async () => {
    const { a, b, bare, machineA, machineB } = await twoMachinesInSync();
    const scenarioFolder = path.dirname(SCENARIO);
    const hiringBefore = remoteFiles(bare).filter((file) => file.startsWith(`${WS}/scenarios/${HIRING}/`));
    await fsp.rm(path.join(b, scenarioFolder), { recursive: true });
    await machineB.push({ allowDelete: true });
    expect(remoteFiles(bare).filter((file) => file.startsWith(`${scenarioFolder}/`))).toEqual([]);
    // A had edited the scenario's settings meanwhile
    await editJson(a, SCENARIO, { description: 'edited on A while B removed the scenario' });
    const edited = await fsp.readFile(path.join(a, SCENARIO));
    expect((await machineA.previewPull()).backed_up_before_removal).toEqual([SCENARIO]);
    const pulled = await machineA.pull();
    expect(pulled.resolved_conflicts).toEqual([expect.objectContaining({ path: SCENARIO, winner: 'remote', strategy: 'scenario-removed' })]);
    // its synced files go; an ignored database there stays, as sync never removes what it does not carry
    expect([...(await syncedFiles(a)).keys()].filter((file) => file.startsWith(`${scenarioFolder}/`))).toEqual([]);
    const backups = (await machineA.conflicts()).past;
    expect(backups).toEqual([expect.objectContaining({ path: SCENARIO, side: 'local', strategy: 'scenario-removed' })]);
    expect(await fsp.readFile(path.join(a, '.planalign-sync-backups', backups[0].id, ...SCENARIO.split('/')))).toEqual(edited);
    // nothing of it comes back with the next push, and the workspace's other scenario is untouched
    await machineA.push();
    expect(remoteFiles(bare).filter((file) => file.startsWith(`${scenarioFolder}/`))).toEqual([]);
    expect(remoteFiles(bare).filter((file) => file.startsWith(`${WS}/scenarios/${HIRING}/`))).toEqual(hiringBefore);
    await machineB.pull();
    expect(await syncedFiles(a)).toEqual(await syncedFiles(b));
    await gitAsync(a, ['diff', '--cached', '--exit-code']);
    expectFsckClean(path.join(a, '.git'));
    expectFsckClean(bare);
  });

  it('the delete guard holds a workspace branch as it holds the main line: an emptied folder showing it does not empty it on the remote', async () => {
    const { a, bare, machineA } = await twoMachinesInSync();
    await new TeamService(a).createBranch(WS, 'what-if');
    await editJson(a, SCENARIO, { description: 'on the branch' });
    expect((await machineA.push()).branches).toEqual([expect.objectContaining({ branch: 'what-if', pushed: true, error: null })]);
    const branch = `workspaces/${WS}/what-if`;
    const before = remoteFiles(bare, branch);
    expect(before.filter((file) => file.startsWith(`${WS}/`)).length).toBeGreaterThan(0);
    await fsp.rm(path.join(a, WS), { recursive: true });
    const held = await machineA.push();
    expect(held.branches).toEqual([
      expect.objectContaining({ branch: 'what-if', pushed: false, error: expect.stringContaining('would delete the workspace "Q4 Projections"') }),
    ]);
    expect(remoteFiles(bare, branch)).toEqual(before);
    const sent = await machineA.push({ allowDelete: true });
    expect(sent.branches).toEqual([expect.objectContaining({ branch: 'what-if', pushed: true, error: null })]);
    expect(remoteFiles(bare, branch).filter((file) => file.startsWith(`${WS}/`))).toEqual([]);
    expectFsckClean(bare);
  });

  it('a file `git rm --cached` took out of the index and left as committed is no change: status and push agree', async () => {
    const { b, bare } = await twoMachinesInSync();
    const machineB = new SyncService(b);
    const head = gitLocal(bare, ['rev-parse', 'main']).trim();
    await gitAsync(b, ['rm', '-q', '--cached', SCENARIO]);
    expect(await machineB.status({ offline: true })).toMatchObject({ local_changes: 0 });
    // edited afterwards, it is a change like any other
    await editJson(b, SCENARIO, { description: 'edited after git rm --cached' });
    expect(await machineB.status({ offline: true })).toMatchObject({ local_changes: 1 });
    await machineB.push();
    expect(gitLocal(bare, ['rev-parse', 'main']).trim()).not.toBe(head);
    expect(JSON.parse(remoteFile(bare, SCENARIO)).description).toBe('edited after git rm --cached');
    await gitAsync(b, ['diff', '--cached', '--exit-code']);
    expectFsckClean(path.join(b, '.git'));
  });
});

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { subscribe as parcelSubscribe, type Event as WatcherEvent, type SubscribeCallback } from '@parcel/watcher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { SyncService } from '../src/sync/sync-service.js';
import { LiveWorkingTree } from '../src/sync/live-working-tree.js';
import { COOKIE_DIR, type Subscribe } from '../src/workspace/change-tracker.js';
import { editJson, isolateFromThisComputer, machineRoot, scenarioPath, writeWorkspace } from './machines.js';

const WS = '7a1c2d3e-0000-4000-8000-000000000001';
const BASELINE = '7a1c2d3e-0000-4000-8000-0000000000a1';
const HIRING = '7a1c2d3e-0000-4000-8000-0000000000a2';
const SCENARIO = scenarioPath(WS, BASELINE);
const RUN = '7a1c2d3e-0000-4000-8000-0000000000f1';
const runFolder = (run: string) => `${WS}/scenarios/${BASELINE}/runs/${run}`;

/**
 * Status answered from a watched view of the root (as the API server keeps one): every change
 * made before a status is in it, with no waiting in the test, and whenever the watcher may
 * have missed events (an error, an overflow, a pause) the next status scans everything.
 */
describe('status from a watched root', () => {
  let server: GitServer;
  let repos = 0;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await isolateFromThisComputer();
    server = await startGitServer({ onBackendError: (report) => console.error(report) });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A root with one workspace, set up and pushed, watched through `subscribe` (the real watcher, maybe wrapped). */
  async function watchedRoot(options: { subscribe?: Subscribe; maxBatchPaths?: number } = {}) {
    repos += 1;
    const url = await server.createRepo(`live-${repos}`);
    const root = await machineRoot('live');
    await writeWorkspace(root, {
      id: WS,
      name: 'Q4 Projections',
      scenarios: [
        { id: BASELINE, name: 'Baseline' },
        { id: HIRING, name: 'Aggressive Hiring', growth: 0.08 },
      ],
    });
    await new SyncService(root).init({ remote: url });
    await new SyncService(root).push();
    // As after the scenario's first run: new runs are made one folder deep.
    await fsp.mkdir(path.join(root, WS, 'scenarios', BASELINE, 'runs'));
    const live = new LiveWorkingTree(root, options);
    await live.start();
    stops.push(async () => {
      await live.stop();
      await fsp.rm(path.dirname(root), { recursive: true, force: true });
    });
    const sync = new SyncService(root, { live });
    // The first look scans everything; the next ones look only at what changed.
    expect((await sync.status({ offline: true })).local_changes).toBe(0);
    expect((await sync.status({ offline: true })).local_changes).toBe(0);
    return { root, live, sync, status: () => sync.status({ offline: true }) };
  }

  async function writeRun(root: string, run: string, status: string, folder = path.join(root, runFolder(run))) {
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(path.join(folder, 'config.yaml'), 'simulation:\n  start_year: 2026\n');
    const metadata = { run_id: run, scenario_id: BASELINE, workspace_id: WS, status, start_year: 2026, end_year: 2030, completed_at: '2025-03-01T00:00:00Z' };
    await fsp.writeFile(path.join(folder, 'run_metadata.json'), `${JSON.stringify(metadata)}\n`);
  }

  it('sees edits, additions and deletions made while it watches, each one made just before the status', async () => {
    const { root, live, status } = await watchedRoot();
    const fullScans = live.scans.full;

    await editJson(root, SCENARIO, { description: 'edited while watched' });
    let now = await status();
    expect(now.local_changes).toBe(1);
    expect(now.workspaces[0].state).toBe('push_needed');

    // A new run folder, written in one go: its files are found by walking the new folder.
    await writeRun(root, RUN, 'completed');
    now = await status();
    expect(now.local_changes).toBe(3);
    expect(now.local.runs).toBe(1);
    // Completed, and no database here: its results are missing.
    expect(now.missing_results).toBe(1);

    // Its database appears (an ignored file, yet it decides the missing results).
    await fsp.writeFile(path.join(root, runFolder(RUN), 'simulation.duckdb'), 'DUCK');
    now = await status();
    expect(now.missing_results).toBe(0);

    await fsp.rm(path.join(root, WS, 'scenarios', HIRING, 'overrides.yaml'));
    now = await status();
    expect(now.local_changes).toBe(4);

    // A folder removed whole, and its scenario's edit gone with it.
    await fsp.rm(path.join(root, WS, 'scenarios', HIRING), { recursive: true });
    now = await status();
    expect(now.local.scenarios).toBe(1);
    expect(now.local_changes).toBe(5);

    // Nothing above needed a full scan: the watcher's record told each status what to look at.
    expect(live.scans.full).toBe(fullScans);
    expect(live.scans.incremental).toBeGreaterThanOrEqual(5);
  });

  it('watches the folders inside a folder moved in whole, which the watcher itself leaves unwatched', async () => {
    const { root, live, status } = await watchedRoot();
    const fullScans = live.scans.full;
    // A scenario with a run, made outside the root and moved in: no event names its inner folders.
    const outside = path.join(path.dirname(root), 'made-elsewhere');
    const NEW_SCENARIO = '7a1c2d3e-0000-4000-8000-0000000000a3';
    const NEW_RUN = '7a1c2d3e-0000-4000-8000-0000000000f3';
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'scenario.json'), JSON.stringify({ id: NEW_SCENARIO, workspace_id: WS, name: 'Moved in', status: 'completed' }));
    await writeRun(root, NEW_RUN, 'completed', path.join(outside, 'runs', NEW_RUN));
    await fsp.rename(outside, path.join(root, WS, 'scenarios', NEW_SCENARIO));

    let now = await status();
    expect(now.local.scenarios).toBe(3);
    expect(now.missing_results).toBe(1);
    // A fresh watch of the whole root, and so a full scan.
    expect(live.scans.full).toBe(fullScans + 1);

    // A change deep inside it later is seen.
    await fsp.writeFile(path.join(root, WS, 'scenarios', NEW_SCENARIO, 'runs', NEW_RUN, 'simulation.duckdb'), 'DUCK');
    await fsp.writeFile(path.join(root, WS, 'scenarios', NEW_SCENARIO, 'runs', NEW_RUN, 'provenance.json'), '{}\n');
    now = await status();
    expect(now.missing_results).toBe(0);
    expect(now.local_changes).toBe(4);
    expect(live.scans.full).toBe(fullScans + 1);
  });

  it('after a watcher error, scans in full and finds the change whose event was lost', async () => {
    const gate = gatedWatcher();
    const { root, live, status } = await watchedRoot({ subscribe: gate.subscribe });
    const fullScans = live.scans.full;

    gate.mode = 'drop';
    await editJson(root, SCENARIO, { description: 'lost event' });
    await gate.dropped(SCENARIO);
    gate.mode = 'pass';
    gate.fail(new Error('inotify_add_watch failed'));

    const now = await status();
    expect(now.local_changes).toBe(1);
    expect(live.scans.full).toBe(fullScans + 1);
    // Watching again: the next change is seen without a full scan.
    await editJson(root, scenarioPath(WS, HIRING), { description: 'seen' });
    expect((await status()).local_changes).toBe(2);
    expect(live.scans.full).toBe(fullScans + 1);
  });

  it('after a burst large enough to have overflowed the event queue, scans in full', async () => {
    const gate = gatedWatcher();
    const { root, live, status } = await watchedRoot({ subscribe: gate.subscribe, maxBatchPaths: 20 });
    const fullScans = live.scans.full;

    // The kernel drops events once its queue is full; the watcher says nothing. What reaches
    // the tracker is a batch of many paths, without the one that matters.
    gate.mode = 'flood';
    await editJson(root, SCENARIO, { description: 'lost in a flood' });
    await gate.dropped(SCENARIO);
    gate.mode = 'pass';

    expect((await status()).local_changes).toBe(1);
    expect(live.scans.full).toBe(fullScans + 1);
  });

  it('after a pause in watching, scans in full and finds what changed meanwhile', async () => {
    const { root, live, status } = await watchedRoot();
    const fullScans = live.scans.full;

    await live.tracker.stop();
    await editJson(root, SCENARIO, { description: 'changed while nothing watched' });
    await writeRun(root, RUN, 'completed');
    await live.tracker.start();

    const now = await status();
    expect(now.local_changes).toBe(3);
    expect(now.missing_results).toBe(1);
    expect(live.scans.full).toBe(fullScans + 1);
  });

  it('sees what native git changed in the index and the branch, with the files left as they are', async () => {
    const { root, status } = await watchedRoot();
    const git = (...args: string[]) => {
      const result = spawnSync('git', ['-C', root, '-c', 'user.name=Native', '-c', 'user.email=native@example.com', ...args], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };

    // The file stays; git stops tracking it: for sync it is new again.
    git('rm', '-q', '--cached', SCENARIO);
    git('commit', '-q', '-m', 'untrack the baseline');
    let now = await status();
    expect(now.ahead).toBe(1);
    expect(now.local_changes).toBe(1);

    // Back to the pushed commit: the index and HEAD move, the file is where it was.
    git('reset', '-q', 'HEAD~1');
    now = await status();
    expect(now.ahead).toBe(0);
    expect(now.local_changes).toBe(0);

    // A checkout that rewrites a file and the index at once.
    await editJson(root, SCENARIO, { description: 'edited' });
    expect((await status()).local_changes).toBe(1);
    git('checkout', '-q', '--', SCENARIO);
    expect((await status()).local_changes).toBe(0);
  });
});

/**
 * The real watcher, with a gate the test controls: it can lose the events of a change (as a
 * queue overflow would), flood the tracker with a batch of other paths, or report an error.
 * Cookie events always pass, so a status is never held up by the gate itself.
 */
function gatedWatcher() {
  let tracker: SubscribeCallback | null = null;
  const lost: string[] = [];
  const waiting: { relative: string; resolve: () => void }[] = [];
  const gate = {
    mode: 'pass' as 'pass' | 'drop' | 'flood',
    subscribe: (async (dir, callback, options) => {
      tracker = callback;
      return parcelSubscribe(
        dir,
        (error, events) => {
          if (gate.mode === 'pass' || error) return callback(error, events);
          const cookies = events.filter((e) => e.path.includes(`${path.sep}${COOKIE_DIR}${path.sep}`));
          const others = events.filter((e) => !cookies.includes(e));
          if (others.length === 0) return callback(error, events);
          for (const event of others) {
            const relative = path.relative(dir, event.path).split(path.sep).join('/');
            lost.push(relative);
            for (const w of waiting.filter((w) => w.relative === relative)) w.resolve();
          }
          const flood: WatcherEvent[] =
            gate.mode === 'flood' ? Array.from({ length: 50 }, (_, i) => ({ type: 'update', path: path.join(dir, `flood-${i}.txt`) })) : [];
          return callback(null, [...flood, ...cookies]);
        },
        options,
      );
    }) as Subscribe,
    /** resolves once the gate has kept the event of this path from the tracker */
    dropped: (relative: string) => (lost.includes(relative) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ relative, resolve }))),
    fail: (error: Error) => tracker?.(error, []),
  };
  return gate;
}

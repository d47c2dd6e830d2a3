import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { SyncNotFoundError } from '../src/errors.js';
import { SyncService } from '../src/sync/sync-service.js';
import {
  editJson,
  expectFsckClean,
  gitAsync,
  gitLocal,
  isolateFromThisComputer,
  machineRoot,
  remoteFile,
  remoteFiles,
  scenarioPath,
  tempDir,
  writeWorkspace,
} from './machines.js';

const Q4 = '7a000000-0000-4000-8000-0000000000a1';
const BOARD = '7a000000-0000-4000-8000-0000000000a2';
const BASELINE = '7a000000-0000-4000-8000-0000000000c1';
const HIRING = '7a000000-0000-4000-8000-0000000000c2';
const REF = `refs/planalign/archive/${Q4}`;

/** Every file under a workspace's folder that sync carries (JSON and YAML), path → bytes. */
async function syncedBytes(root: string, workspace: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (folder: string) => {
    for (const entry of await fsp.readdir(path.join(root, folder), { withFileTypes: true }).catch(() => [])) {
      const relative = `${folder}/${entry.name}`;
      if (entry.isDirectory()) await walk(relative);
      else if (/\.(json|ya?ml)$/.test(entry.name)) files.set(relative, await fsp.readFile(path.join(root, relative)));
    }
  };
  await walk(workspace);
  return files;
}

const sameBytes = (a: Map<string, Buffer>, b: Map<string, Buffer>) =>
  expect([...b].map(([file, bytes]) => [file, bytes.toString('base64')]).sort()).toEqual(
    [...a].map(([file, bytes]) => [file, bytes.toString('base64')]).sort(),
  );

/**
 * Archiving across two machines: Ana archives a workspace Ben has changed since his last sync;
 * Ben's next sync removes it and keeps his change in a backup; Ben brings it back, and Ana's next
 * sync restores it byte for byte. Native git reads the remote throughout.
 */
describe('SyncService: archiving a workspace and bringing it back', () => {
  let server: GitServer;
  let url: string;
  let bare: string;
  let ana: string;
  let ben: string;
  let anaSync: SyncService;
  let benSync: SyncService;
  let before: Map<string, Buffer>;
  let benEdit: Buffer;

  beforeAll(async () => {
    await isolateFromThisComputer();
    server = await startGitServer({ onBackendError: (report) => console.error(report) });
    url = await server.createRepo('archive');
    bare = server.repoPath('archive');
    ana = await machineRoot('ana');
    await writeWorkspace(ana, {
      id: Q4,
      name: 'Q4 Projections',
      scenarios: [
        { id: BASELINE, name: 'Baseline' },
        { id: HIRING, name: 'Aggressive Hiring', growth: 0.08 },
      ],
    });
    await writeWorkspace(ana, { id: BOARD, name: 'Board Review', scenarios: [{ id: BASELINE, name: 'Baseline' }] });
    anaSync = new SyncService(ana);
    await anaSync.init({ remote: url });
    await anaSync.push();
    ben = await machineRoot('ben');
    benSync = new SyncService(ben);
    await benSync.init({ remote: url });
    before = await syncedBytes(ana, Q4);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('takes the workspace out of the shared copy and this folder, keeping its history under a ref native clones leave alone', async () => {
    // Ben changes it and does not sync: the archive reaches him later.
    benEdit = await editJson(ben, scenarioPath(Q4, HIRING), { description: 'Ben: hiring plan v2' });

    const result = await anaSync.archive('Q4 Projections');
    expect(result).toMatchObject({ id: Q4, name: 'Q4 Projections', archived: true, ref: REF, files: before.size, left_in_folder: 3 });
    // Only what never syncs stays in the folder: the upload and the two databases.
    expect(await syncedBytes(ana, Q4)).toEqual(new Map());
    expect(existsSync(path.join(ana, Q4, 'data', 'census.parquet'))).toBe(true);
    expect(existsSync(path.join(ana, BOARD, 'workspace.json'))).toBe(true);

    expect(remoteFiles(bare).filter((file) => file.startsWith(`${Q4}/`))).toEqual([]);
    expect(remoteFiles(bare).filter((file) => file.startsWith(`${BOARD}/`)).length).toBeGreaterThan(0);
    const archived = gitLocal(bare, ['rev-parse', REF]).trim();
    expect(archived).toBe(result.archived_commit);
    expect(gitLocal(bare, ['rev-parse', 'main^']).trim()).toBe(archived);
    expect(remoteFiles(bare, REF).filter((file) => file.startsWith(`${Q4}/`))).toEqual([...before.keys()].sort());
    for (const [file, bytes] of before) expect(Buffer.from(remoteFile(bare, file, REF))).toEqual(bytes);
    const settings = remoteFile(bare, '.planalign-sync.yaml');
    expect(settings).toContain('archived:');
    expect(settings).toContain(`commit: ${archived}`);
    expectFsckClean(bare);

    // Native git: a clone and a fetch take the branch only; ls-remote shows the archive.
    const clone = path.join(await tempDir('native'), 'clone');
    await gitAsync(path.dirname(clone), ['clone', '--quiet', url, clone]);
    await gitAsync(clone, ['fetch', '--quiet']);
    expect((await gitAsync(clone, ['for-each-ref', '--format=%(refname)'])).split('\n').filter((ref) => ref.includes('planalign'))).toEqual([]);
    expect(existsSync(path.join(clone, Q4))).toBe(false);
    expect(await gitAsync(clone, ['ls-remote', 'origin'])).toContain(`${archived}\t${REF}`);

    const list = await anaSync.archived();
    expect(list).toMatchObject({ remote_reachable: true, archived: [{ id: Q4, name: 'Q4 Projections', commit: archived, ref: REF, scenarios: 2, runs: 0 }] });
    expect(list.archived[0].archived_at).toEqual(expect.any(String));
    expect((await anaSync.log({ limit: 1 }))[0].message).toContain('Archived "Q4 Projections"');
  });

  it('removes it from the other computer when it syncs, keeping the change made there in a backup', async () => {
    const pull = await benSync.pull();
    expect(pull.committed_local_changes).toBe(true);
    expect(await syncedBytes(ben, Q4)).toEqual(new Map());
    const backups = (await benSync.conflicts()).past;
    expect(backups).toEqual([expect.objectContaining({ path: scenarioPath(Q4, HIRING), side: 'local', strategy: 'workspace-removed' })]);
    const kept = await fsp.readFile(path.join(ben, '.planalign-sync-backups', backups[0].id, ...scenarioPath(Q4, HIRING).split('/')));
    expect(kept).toEqual(benEdit);

    // Ben's next push does not bring half of it back; the archive list is the same here.
    await benSync.push();
    expect(remoteFiles(bare).filter((file) => file.startsWith(`${Q4}/`))).toEqual([]);
    expect((await benSync.archived()).archived.map((entry) => entry.id)).toEqual([Q4]);
    expect((await benSync.status()).workspaces.map((w) => w.id)).toEqual([BOARD]);
    expectFsckClean(bare);
  });

  it('brings it back by name on the other computer, and the first one gets it back byte for byte', async () => {
    await expect(benSync.unarchive('Board Review')).rejects.toBeInstanceOf(SyncNotFoundError);
    const result = await benSync.unarchive('Q4 Projections');
    expect(result).toMatchObject({ id: Q4, archived: false, files: before.size });
    expect(result.message).toContain('2 scenarios');
    sameBytes(before, await syncedBytes(ben, Q4));
    expect(gitLocal(bare, ['for-each-ref', '--format=%(refname)', 'refs/planalign']).trim()).toBe('');
    expect(remoteFile(bare, '.planalign-sync.yaml')).not.toContain('archived');
    expect((await benSync.archived()).archived).toEqual([]);
    expectFsckClean(bare);

    await anaSync.pull();
    sameBytes(before, await syncedBytes(ana, Q4));
    // What never synced waited in the folder and is beside its workspace again.
    expect(existsSync(path.join(ana, Q4, 'data', 'census.parquet'))).toBe(true);
    expect((await anaSync.status()).workspaces.find((w) => w.id === Q4)).toMatchObject({ state: 'synced', scenario_count: 2 });
    expect((await anaSync.archived()).archived).toEqual([]);
    // Ben's change waits in his backups; restoring it is an ordinary edit that syncs.
    const backup = (await benSync.conflicts()).past[0];
    await benSync.restore(backup.id);
    await benSync.push();
    await anaSync.pull();
    expect(await fsp.readFile(path.join(ana, scenarioPath(Q4, HIRING)))).toEqual(benEdit);
    expectFsckClean(bare);
  });
});

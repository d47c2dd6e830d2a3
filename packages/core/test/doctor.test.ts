import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { DOCTOR_CHECKS, type DoctorCheck, type DoctorReport } from '../src/models/doctor.js';
import { SyncService } from '../src/sync/sync-service.js';
import { expectFsckClean, gitLocal, isolateFromThisComputer, machineRoot, scenarioPath, writeWorkspace } from './machines.js';

const WS = '7a2b3c4d-0000-4000-8000-000000000001';
const SCENARIO = '7a2b3c4d-0000-4000-8000-0000000000b1';

const finding = (report: DoctorReport, check: DoctorCheck) => {
  const found = report.findings.find((f) => f.check === check);
  if (!found) throw new Error(`no ${check} finding in ${JSON.stringify(report, null, 2)}`);
  return found;
};

/** Every file under a folder with its size and modification time: what "nothing changed" compares. */
async function snapshot(folder: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (relative: string) => {
    for (const entry of await fsp.readdir(path.join(folder, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) await walk(child);
      else {
        const stat = await fsp.lstat(path.join(folder, child), { bigint: true });
        files.set(child, `${stat.size}:${stat.mtimeNs}`);
      }
    }
  };
  await walk('');
  return files;
}

/** `git fsck --full` in the root: exit status and what it reports. */
function fsck(root: string): { status: number | null; output: string } {
  const result = spawnSync('git', ['fsck', '--full', '--no-dangling', '--no-progress'], { cwd: root, encoding: 'utf8' });
  return { status: result.status, output: result.stderr + result.stdout };
}

/**
 * The doctor against the loopback Git server, with native git as the reference for what a
 * damaged repository is.
 */
describe('doctor', () => {
  let server: GitServer;
  let repos = 0;

  beforeAll(async () => {
    await isolateFromThisComputer();
    server = await startGitServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function syncedRoot() {
    repos += 1;
    const url = await server.createRepo(`doctor-${repos}`);
    const root = await machineRoot(`doctor-${repos}`);
    await writeWorkspace(root, { id: WS, name: 'Q4 Projections', scenarios: [{ id: SCENARIO, name: 'Baseline' }] });
    const sync = new SyncService(root);
    await sync.init({ remote: url });
    await sync.push();
    return { root, url, sync };
  }

  it('finds a synced root healthy, as git fsck does, and changes nothing to find it', async () => {
    const { root, sync } = await syncedRoot();
    const before = await snapshot(root);
    const report = await sync.doctor();
    expect(report.findings.filter((f) => f.status !== 'ok' && f.status !== 'skipped')).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.findings.map((f) => f.check)).toEqual([...DOCTOR_CHECKS]);
    expect(finding(report, 'clock').seconds).toBeLessThan(5);
    expect(finding(report, 'disk_space').bytes).toBeGreaterThan(0);
    expect(finding(report, 'repository_size').largest_file_bytes).toBeGreaterThan(0);
    expect(await snapshot(root)).toEqual(before);
    expectFsckClean(path.join(root, '.git'));
  });

  it('reports a root where sync is not set up, and nothing else it cannot check', async () => {
    const root = await machineRoot('doctor-none');
    await writeWorkspace(root, { id: WS, name: 'Local only', scenarios: [] });
    const report = await new SyncService(root).doctor();
    expect(report.healthy).toBe(false);
    expect(report.findings.map((f) => [f.check, f.status])).toEqual([
      ['setup', 'problem'],
      ['disk_space', expect.stringMatching(/ok|warning|problem/)],
    ]);
    expect(finding(report, 'setup').next).toEqual({ action: 'set_up_sync' });
    await expect(fsp.access(path.join(root, '.git'))).rejects.toThrow();
  });

  it("measures this computer's clock against the server's Date header", async () => {
    const { sync } = await syncedRoot();
    const ahead = await sync.doctor({ now: () => Date.now() + 10 * 60_000 });
    expect(finding(ahead, 'clock')).toMatchObject({ status: 'warning', remote: 'origin', next: { action: 'set_clock' } });
    expect(Math.abs(finding(ahead, 'clock').seconds! - 600)).toBeLessThanOrEqual(2);
    expect(finding(ahead, 'clock').summary).toMatch(/10 minutes ahead/);
    const behind = await sync.doctor({ now: () => Date.now() - 3 * 3600_000 });
    expect(finding(behind, 'clock').summary).toMatch(/3 hours behind/);
    expect(behind.healthy).toBe(false);
  });

  it('finds missing and damaged objects wherever git fsck finds them', async () => {
    const { root, sync } = await syncedRoot();
    // Native git commits two files beside the workspaces (sync carries what it does not cover).
    await fsp.writeFile(path.join(root, 'notes.txt'), 'kept by git\n');
    await fsp.writeFile(path.join(root, 'more-notes.txt'), 'also kept by git\n');
    const git = (args: string[]) => gitLocal(path.join(root, '.git'), [`--work-tree=${root}`, '-c', 'user.name=N', '-c', 'user.email=n@example.com', ...args]);
    git(['add', '-f', 'notes.txt', 'more-notes.txt']);
    git(['commit', '-q', '-m', 'Notes']);
    const notes = git(['rev-parse', 'HEAD:notes.txt']).trim();
    const moreNotes = git(['rev-parse', 'HEAD:more-notes.txt']).trim();
    expect(fsck(root).status).toBe(0);
    expect((await sync.doctor()).healthy).toBe(true);

    const loose = (oid: string) => path.join(root, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
    await fsp.rm(loose(notes));
    await fsp.chmod(loose(moreNotes), 0o644);
    await fsp.writeFile(loose(moreNotes), deflateSync(Buffer.from('blob 5\0other')));
    const native = fsck(root);
    expect(native.status).not.toBe(0);
    expect(native.output).toContain(notes);
    expect(native.output).toContain(moreNotes);

    const report = await sync.doctor();
    const objects = finding(report, 'objects');
    expect(objects).toMatchObject({ status: 'problem', next: { action: 'repair_repository' } });
    expect(objects.summary).toMatch(/^2 objects/);
    expect(objects.paths!.find((line) => line.startsWith(notes))).toMatch(/notes\.txt.*missing/);
    expect(objects.paths!.find((line) => line.startsWith(moreNotes))).toMatch(/more-notes\.txt/);
  });

  it('reports a file update cut off half-way until the next sync finishes it', async () => {
    const { root, sync } = await syncedRoot();
    const head = gitLocal(path.join(root, '.git'), ['rev-parse', 'HEAD^{tree}']).trim();
    // What a pull records before it moves any file, left behind as a killed pull leaves it.
    await fsp.writeFile(path.join(root, '.git', 'planalign-sync', 'checkout.json'), JSON.stringify({ from: head, to: head, branchRef: null, commit: null }));
    const report = await sync.doctor();
    expect(finding(report, 'checkout')).toMatchObject({ status: 'warning', next: { action: 'sync_again' } });
    await sync.status();
    expect(finding(await sync.doctor(), 'checkout').status).toBe('ok');
  });

  it('lists files the rules cover that do not sync: half-written, too large', async () => {
    const { root, sync } = await syncedRoot();
    await fsp.writeFile(path.join(root, scenarioPath(WS, SCENARIO)), '{"id": "half-writ');
    await fsp.writeFile(path.join(root, WS, 'big.json'), `[${'1,'.repeat(6 * 1024 * 1024)}1]`);
    const skipped = finding(await sync.doctor(), 'skipped_files');
    expect(skipped).toMatchObject({ status: 'warning', next: { action: 'fix_skipped_files' } });
    expect(skipped.paths?.sort()).toEqual([`${WS}/big.json`, scenarioPath(WS, SCENARIO)].sort());
    expect(skipped.detail).toMatch(/not valid JSON/);
    expect(skipped.detail).toMatch(/MB limit/);
  });
});

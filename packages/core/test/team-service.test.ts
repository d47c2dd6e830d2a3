import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { SyncConfigError, SyncNotFoundError } from '../src/errors.js';
import { readShareSource } from '../src/models/share-link.js';
import { SyncService } from '../src/sync/sync-service.js';
import { TeamService } from '../src/team/team-service.js';
import {
  editJson,
  expectFsckClean,
  gitLocal,
  isolateFromThisComputer,
  machineRoot,
  readJson,
  remoteFile,
  remoteFiles,
  scenarioPath,
  syncedFiles,
  writeWorkspace,
} from './machines.js';

const PENSIONS = '7a000000-0000-4000-8000-000000000001';
const PRIVATE = '7a000000-0000-4000-8000-000000000002';
const SANDBOX = '7a000000-0000-4000-8000-000000000003';
const BASELINE = '7a000000-0000-4000-8000-0000000000b1';
const RETIREMENT = '7a000000-0000-4000-8000-0000000000b2';

/** Files of one workspace in a root, path → content. */
async function workspaceFiles(root: string, workspace: string): Promise<Map<string, string>> {
  return new Map([...(await syncedFiles(root))].filter(([file]) => file.startsWith(`${workspace}/`)));
}

/**
 * Ana shares one of her workspaces with her team through a team remote; Carl, who syncs his own
 * root with a remote of his own, imports it by link. Each step builds on the one before, as a
 * team's week would; native git reads what each bare repository holds.
 */
describe('TeamService: a workspace shared through a team remote', () => {
  let server: GitServer;
  let teamUrl: string;
  let team: string;
  let anaOrigin: string;
  let carlOrigin: string;
  let ana: string;
  let carl: string;
  let anaSync: SyncService;
  let carlSync: SyncService;
  let anaTeam: TeamService;
  let carlTeam: TeamService;
  let link: string;

  beforeAll(async () => {
    await isolateFromThisComputer();
    server = await startGitServer({ onBackendError: (report) => console.error(report) });
    teamUrl = await server.createRepo('team');
    team = server.repoPath('team');
    const anaUrl = await server.createRepo('ana');
    anaOrigin = server.repoPath('ana');
    const carlUrl = await server.createRepo('carl');
    carlOrigin = server.repoPath('carl');

    ana = await machineRoot('ana');
    await writeWorkspace(ana, {
      id: PENSIONS,
      name: 'Pension Plans',
      scenarios: [
        { id: BASELINE, name: 'Baseline' },
        { id: RETIREMENT, name: 'Early Retirement', growth: 0.01 },
      ],
    });
    await writeWorkspace(ana, { id: PRIVATE, name: 'Private Budget', scenarios: [] });
    anaSync = new SyncService(ana);
    anaTeam = new TeamService(ana);
    await anaSync.init({ remote: anaUrl, author: { name: 'Ana Lima', email: 'ana@example.com' } });
    await anaSync.push();

    carl = await machineRoot('carl');
    await writeWorkspace(carl, { id: SANDBOX, name: "Carl's Sandbox", scenarios: [] });
    carlSync = new SyncService(carl);
    carlTeam = new TeamService(carl);
    await carlSync.init({ remote: carlUrl, author: { name: 'Carl Berg', email: 'carl@example.com' } });
    await carlSync.push();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a team remote carries only the workspaces given to it, and the sharing link names it once it is there', async () => {
    const remotes = await anaSync.addRemote('team', teamUrl, { workspaces: ['Pension Plans'] });
    expect(remotes.remotes.map((r) => [r.name, r.workspaces])).toEqual([
      ['origin', null],
      ['team', [{ id: PENSIONS, name: 'Pension Plans' }]],
    ]);
    const early = await anaTeam.share('Pension Plans', { remote: 'team' });
    expect(early).toMatchObject({ on_remote: false, remote_url: teamUrl, workspace_id: PENSIONS });
    expect(early.message).toContain('not on the remote yet');

    const push = await anaSync.push();
    expect(push.remotes).toEqual([{ name: 'team', pushed: true, files_changed: 0, error: null }]);
    const onTeam = remoteFiles(team);
    expect(onTeam.filter((file) => file.startsWith(`${PENSIONS}/`))).toEqual([...(await workspaceFiles(ana, PENSIONS)).keys()].sort());
    expect(onTeam.some((file) => file.startsWith(`${PRIVATE}/`))).toBe(false);
    // Origin still carries everything.
    expect(remoteFiles(anaOrigin).some((file) => file.startsWith(`${PRIVATE}/`))).toBe(true);
    expect(gitLocal(team, ['log', '--format=%an', 'main']).trim().split('\n')).toEqual(['Ana Lima']);

    const shared = await anaTeam.share('Pension Plans', { remote: 'team' });
    expect(shared).toMatchObject({ on_remote: true, remote_url: teamUrl, branch: 'main', workspace_id: PENSIONS, workspace_name: 'Pension Plans' });
    expect(readShareSource(shared.link)).toEqual({
      shared: { remote: teamUrl, branch: 'main', workspace: PENSIONS, name: 'Pension Plans' },
      problem: null,
    });
    // A workspace the team remote does not carry cannot be shared through it.
    await expect(anaTeam.share('Private Budget', { remote: 'team' })).rejects.toThrow(/does not carry "Private Budget"/);
    link = shared.link;
    expectFsckClean(team);
  });

  it('a teammate imports by link: that workspace arrives whole, theirs are untouched, a second import merges', async () => {
    const carlOwn = await workspaceFiles(carl, SANDBOX);
    const imported = await carlTeam.importWorkspace(link);
    expect(imported).toMatchObject({ workspace_id: PENSIONS, workspace_name: 'Pension Plans', remote: 'team', merged: false, resolved_conflicts: [] });
    expect(await workspaceFiles(carl, PENSIONS)).toEqual(await workspaceFiles(ana, PENSIONS));
    expect(await workspaceFiles(carl, SANDBOX)).toEqual(carlOwn);
    expect(existsSync(path.join(carl, PRIVATE))).toBe(false);
    expect((await carlSync.listRemotes()).remotes.map((r) => [r.name, r.url])).toEqual([
      ['origin', expect.stringContaining('/carl.git')],
      ['team', teamUrl],
    ]);

    const again = await carlTeam.importWorkspace(link);
    expect(again).toMatchObject({ workspace_id: PENSIONS, merged: true, files_changed: 0, remote: 'team' });
    expect((await carlSync.listRemotes()).remotes).toHaveLength(2);
  });

  it('edits flow both ways through the team remote, each commit keeping who made it', async () => {
    await editJson(carl, scenarioPath(PENSIONS, BASELINE), { description: 'Carl: retirement age 67' });
    const push = await carlSync.push();
    expect(push.remotes).toEqual([{ name: 'team', pushed: true, files_changed: 0, error: null }]);
    expect(JSON.parse(remoteFile(team, scenarioPath(PENSIONS, BASELINE))).description).toBe('Carl: retirement age 67');
    expect(gitLocal(team, ['log', '-1', '--format=%an <%ae>', 'main', '--', scenarioPath(PENSIONS, BASELINE)]).trim()).toBe('Carl Berg <carl@example.com>');
    // Carl's own remote gets the imported workspace too; the team remote never gets Carl's own.
    expect(remoteFiles(carlOrigin)).toContain(scenarioPath(PENSIONS, BASELINE));
    expect(remoteFiles(team).some((file) => file.startsWith(`${SANDBOX}/`))).toBe(false);

    const pull = await anaSync.pull();
    expect(pull.remotes).toEqual([{ name: 'team', pushed: false, files_changed: 1, error: null }]);
    expect((await readJson(ana, scenarioPath(PENSIONS, BASELINE))).description).toBe('Carl: retirement age 67');

    await editJson(ana, scenarioPath(PENSIONS, RETIREMENT), { name: 'Early Retirement (Ana)' });
    await anaSync.push();
    await carlSync.pull();
    expect((await readJson(carl, scenarioPath(PENSIONS, RETIREMENT))).name).toBe('Early Retirement (Ana)');
    expect(await workspaceFiles(carl, PENSIONS)).toEqual(await workspaceFiles(ana, PENSIONS));

    // Native git on the team's repository and each machine's history agree on who changed what.
    const authorsOnTeam = new Set(gitLocal(team, ['log', '--format=%an <%ae>', 'main']).trim().split('\n'));
    expect(authorsOnTeam).toEqual(new Set(['Ana Lima <ana@example.com>', 'Carl Berg <carl@example.com>']));
    for (const service of [anaTeam, carlTeam]) {
      const history = await service.history('Pension Plans');
      const byName = new Map(history.contributors.map((c) => [c.author.name, c]));
      expect([...byName.keys()].sort()).toEqual(['Ana Lima', 'Carl Berg']);
      expect(byName.get('Carl Berg')).toMatchObject({ author: { email: 'carl@example.com' }, changes: 1, scenarios: [{ id: BASELINE, name: 'Baseline' }] });
      expect(history.changes[0]).toMatchObject({ author: { name: 'Ana Lima' }, scenarios: [{ id: RETIREMENT, name: 'Early Retirement (Ana)' }] });
    }
    const versions = await carlTeam.scenarioVersions('Pension Plans', 'Baseline');
    expect(versions.versions.map((v) => v.author.name)).toEqual(['Carl Berg', 'Ana Lima']);
    for (const bare of [team, anaOrigin, carlOrigin]) expectFsckClean(bare);
  });

  it('refuses a link carrying a token before asking the server anything, and names what a remote has when a workspace is not there', async () => {
    const leaky = new URL(link);
    leaky.searchParams.set('remote', teamUrl.replace('http://', 'http://carl:s3cret-token@'));
    const requests = server.requests;
    const refused = await carlTeam.importWorkspace(leaky.toString()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SyncConfigError);
    expect((refused as Error).message).not.toContain('s3cret-token');
    expect(server.requests).toBe(requests);

    const missing = await carlTeam.importWorkspace(teamUrl, { workspace: 'Board Review' }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(SyncNotFoundError);
    expect((missing as Error).message).toContain('"Pension Plans"');
    expect(await fsp.readdir(carl)).not.toContain('Board Review');
  });

  it('the author of a root is its own setting, and a name git cannot record is refused', async () => {
    expect(await carlTeam.author()).toEqual({ name: 'Carl Berg', email: 'carl@example.com', configured: true });
    await expect(carlTeam.setAuthor({ name: 'Carl <Berg>' })).rejects.toBeInstanceOf(SyncConfigError);
    expect(await carlTeam.setAuthor({ name: 'Carl B.', email: 'carl.b@example.com' })).toEqual({
      name: 'Carl B.',
      email: 'carl.b@example.com',
      configured: true,
    });
    expect(gitLocal(path.join(carl, '.git'), ['config', 'user.name']).trim()).toBe('Carl B.');
  });
});

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { convertPlanAlignLog, convertPlanAlignSettings, isPlanAlignSettings, readPlanAlignSettingsText } from '../src/config/planalign-legacy.js';
import { parseSettings, readSettings } from '../src/config/settings-file.js';
import { SyncConfigError } from '../src/errors.js';
import { adoptPlanAlignRoot } from '../src/sync/adopt-planalign.js';
import { importJournal, readJournal } from '../src/sync/journal.js';
import { commitLocalChanges } from '../src/sync/local-commit.js';
import { loadSyncContext } from '../src/sync/sync-context.js';
import { takeNotices } from '../src/sync/notices.js';
import { SyncService } from '../src/sync/sync-service.js';

/**
 * The files PlanAlign's own sync writes (planalign_api/services/sync_service.py in
 * planwise_navigator): `yaml.dump(SyncConfig(...).model_dump(), default_flow_style=False)` and
 * `json.dump([SyncLogEntry(...).model_dump(mode="json"), ...], indent=2)`, byte for byte as
 * PyYAML 6 and pydantic 2 write them.
 */
const TOKEN = 'pat-old-3c9e0d41b7a2';
const flatSettings = (remote: string | null, branch = 'main') =>
  `auto_sync: false\nbranch: ${branch}\nconflict_strategy: last-write-wins\nenabled: ${remote ? 'true' : 'false'}\nremote: ${remote ?? 'null'}\nversion: 1\n`;
const planAlignLog = (remote: string) =>
  JSON.stringify(
    [
      {
        timestamp: '2025-11-20T09:15:02.481516Z',
        operation: 'init',
        workspaces_affected: 2,
        scenarios_affected: 5,
        message: `Sync initialized with ${remote}`,
        commit_sha: null,
        success: true,
      },
      {
        timestamp: '2025-11-20T09:20:11.020304Z',
        operation: 'push',
        workspaces_affected: 2,
        scenarios_affected: 5,
        message: `Pushed 31 file(s) to ${remote}`,
        commit_sha: '1a2b3c4d',
        success: true,
      },
      {
        timestamp: '2025-11-21T16:02:45Z',
        operation: 'pull',
        workspaces_affected: 0,
        scenarios_affected: 0,
        message: 'Pull failed: could not resolve host',
        commit_sha: null,
        success: false,
      },
      {
        timestamp: '2025-11-22T08:00:00.000001',
        operation: 'conflict',
        workspaces_affected: 0,
        scenarios_affected: 0,
        message: 'Conflicts in 1 file(s)',
        commit_sha: null,
        success: false,
      },
      {
        timestamp: '2025-11-23T12:30:00.5Z',
        operation: 'disconnect',
        workspaces_affected: 0,
        scenarios_affected: 0,
        message: 'Sync disconnected. Local workspaces preserved.',
        commit_sha: null,
        success: true,
      },
    ],
    null,
    2,
  );

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=Plan Align', '-c', 'user.email=planalign@example.test', '-c', 'init.defaultBranch=master', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function tempRoot(): Promise<string> {
  return path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-legacy-')), 'workspaces');
}

describe("PlanAlign's own sync files", () => {
  const remote = `https://alice:${TOKEN}@git.example.com/acme/workspaces.git`;

  it('reads the flat settings, without the token and keeping the user name', () => {
    const raw = parse(flatSettings(remote));
    expect(isPlanAlignSettings(raw)).toBe(true);
    const converted = convertPlanAlignSettings(raw);
    expect(converted.credential_removed).toBe(true);
    expect(converted.sync).toMatchObject({
      enabled: true,
      remote: 'https://alice@git.example.com/acme/workspaces.git',
      branch: 'main',
      auto_sync: false,
      conflict_strategy: 'last-write-wins',
    });
    // after PlanAlign's disconnect
    const disconnected = convertPlanAlignSettings(parse(flatSettings(null)));
    expect(disconnected).toMatchObject({ credential_removed: false, sync: { enabled: false, remote: null } });
  });

  it("tells planalign-sync's own file apart, and takes the sync map of a file holding both forms", () => {
    expect(isPlanAlignSettings(parse('version: 1\nsync:\n  branch: main\n'))).toBe(false);
    expect(isPlanAlignSettings({})).toBe(false);
    expect(isPlanAlignSettings(null)).toBe(false);
    const both = parse(`${flatSettings(remote)}sync:\n  remote: ${remote}\n  branch: team\n`);
    expect(isPlanAlignSettings(both)).toBe(true);
    expect(convertPlanAlignSettings(both).sync).toMatchObject({ remote: 'https://alice@git.example.com/acme/workspaces.git', branch: 'team' });
  });

  it('recognises the flat form however its YAML is written, and only it, from the text', () => {
    const recognised = (text: string) => readPlanAlignSettingsText(text) !== null;
    expect(recognised(`enabled: true\nremote: ${remote}\n`)).toBe(true);
    expect(recognised(`# PlanAlign\n---\n"remote": "${remote}"\n`)).toBe(true);
    expect(recognised(`{enabled: true, remote: "${remote}"}`)).toBe(true);
    expect(recognised(`version: 1\nsync:\n  remote: ${remote}\n  conflict_strategy: ask-user\n`)).toBe(false);
    expect(recognised(`sync: {remote: "${remote}"}\n`)).toBe(false);
    expect(recognised(`version: 1\nsync:\n  enabled: true\n  remotes: {}\n  workspaces: {}\n`)).toBe(false);
    expect(recognised(`--- {remote: "${remote}"}\n`)).toBe(true);
  });

  it('names the file and the field of a value it cannot take', () => {
    expect(() => convertPlanAlignSettings(parse('branch: main\nconflict_strategy: newest\n'))).toThrow(SyncConfigError);
    expect(() => convertPlanAlignSettings(parse('branch: main\nconflict_strategy: newest\n'))).toThrow(/\.planalign-sync\.yaml.*conflict_strategy/);
  });

  it('reads the log as journal entries, oldest first, with no secret', () => {
    const { entries, unreadable } = convertPlanAlignLog(planAlignLog(remote));
    expect(unreadable).toBe(0);
    expect(entries.map((e) => [e.timestamp, e.operation, e.commit])).toEqual([
      ['2025-11-20T09:15:02.481Z', 'init', null],
      ['2025-11-20T09:20:11.020Z', 'push', '1a2b3c4d'],
      ['2025-11-21T16:02:45.000Z', 'pull', null],
      ['2025-11-22T08:00:00.000Z', 'conflict', null],
      ['2025-11-23T12:30:00.500Z', 'disconnect', null],
    ]);
    expect(entries[0].message).toBe("Sync initialized with https://git.example.com/acme/workspaces.git (PlanAlign's sync; 2 workspaces, 5 scenarios)");
    expect(entries[2].message).toBe("Pull failed: could not resolve host (PlanAlign's sync)");
    expect(entries[3].message).toBe("Conflicts in 1 file(s) (failed) (PlanAlign's sync)");
    expect(JSON.stringify(entries)).not.toContain(TOKEN);
  });

  it('counts what it cannot read instead of failing', () => {
    const list = JSON.parse(planAlignLog(remote)) as unknown[];
    expect(convertPlanAlignLog(JSON.stringify([...list, { operation: 'teleport' }])).unreadable).toBe(1);
    expect(convertPlanAlignLog('[{"timestamp": "2025-').unreadable).toBe(1);
    expect(convertPlanAlignLog('{}')).toEqual({ entries: [], unreadable: 1 });
  });
});

describe('importing into the journal', () => {
  it('puts entries in time order among those present and never twice', async () => {
    const gitdir = path.join(await tempRoot(), '.git');
    const entry = (timestamp: string, message: string) => ({
      timestamp,
      operation: 'push' as const,
      workspaces_affected: [],
      scenarios_affected: [],
      message,
      commit: null,
    });
    await importJournal(gitdir, [entry('2025-01-02T00:00:00.000Z', 'second')]);
    expect(
      await importJournal(gitdir, [
        entry('2025-01-01T00:00:00.000Z', 'first'),
        entry('2025-01-03T00:00:00.000Z', 'third'),
        entry('2025-01-02T00:00:00.000Z', 'second'),
      ]),
    ).toBe(2);
    expect((await readJournal(gitdir, 10)).map((e) => e.message)).toEqual(['third', 'second', 'first']);
  });
});

describe('taking over a root set up by PlanAlign', () => {
  /** A root as PlanAlign's sync leaves it: its .gitignore, the flat settings and the log committed on master, the origin URL with the token. */
  async function planAlignRoot(settingsBranch = 'main'): Promise<string> {
    const root = await tempRoot();
    await fsp.mkdir(path.join(root, 'w1'), { recursive: true });
    git(root, 'init', '-q');
    git(root, 'remote', 'add', 'origin', remote);
    await fsp.writeFile(path.join(root, '.gitignore'), '# PlanAlign Workspace Sync - Auto-generated\n*.duckdb\n*.log\n!**/*.yaml\n');
    await fsp.writeFile(path.join(root, 'w1', 'workspace.json'), '{"id": "w1", "name": "Q4"}\n');
    await fsp.writeFile(path.join(root, '.planalign-sync.yaml'), flatSettings(remote, settingsBranch));
    await fsp.writeFile(path.join(root, '.planalign-sync-log.json'), planAlignLog(remote));
    git(root, 'add', '-f', '.gitignore', '.planalign-sync.yaml', '.planalign-sync-log.json', 'w1/workspace.json');
    git(root, 'commit', '-qm', 'Initial PlanAlign workspace sync');
    return root;
  }
  const remote = `https://alice:${TOKEN}@git.example.com/acme/workspaces.git`;

  it('rewrites the settings, keeps the originals without the token, moves the log into the journal and says so once', async () => {
    const root = await planAlignRoot();
    const adoption = await adoptPlanAlignRoot(root);
    expect(adoption).toMatchObject({ branch: 'master', credential_removed: true, log_entries: 5 });

    const settings = await readSettings(root);
    expect(settings?.sync).toMatchObject({ enabled: true, remote: 'https://alice@git.example.com/acme/workspaces.git', branch: 'master' });
    expect(parseSettings(await fsp.readFile(path.join(root, '.planalign-sync.yaml'), 'utf8')).sync.branch).toBe('master');
    expect(git(root, 'config', 'remote.origin.url').trim()).toBe('https://alice@git.example.com/acme/workspaces.git');
    expect(await fsp.readFile(path.join(root, '.gitignore'), 'utf8')).toContain('# >>> planalign-sync');
    await expect(fsp.access(path.join(root, '.planalign-sync-log.json'))).rejects.toThrow();

    const kept = await fsp.readdir(adoption!.backup);
    expect(kept.sort()).toEqual(['.planalign-sync-log.json', '.planalign-sync.yaml']);
    const keptLog = await fsp.readFile(path.join(adoption!.backup, '.planalign-sync-log.json'), 'utf8');
    expect(keptLog).not.toContain(TOKEN);
    expect(JSON.parse(keptLog)).toHaveLength(5);
    expect(await fsp.readFile(path.join(adoption!.backup, '.planalign-sync.yaml'), 'utf8')).toBe(
      flatSettings('https://alice@git.example.com/acme/workspaces.git'),
    );

    const journal = await readJournal(path.join(root, '.git'), 100);
    expect(journal).toHaveLength(6);
    expect(journal[0].message).toMatch(/^Took over the sync set up by PlanAlign/);
    expect(journal.at(-1)?.operation).toBe('init');

    const notices = await takeNotices(path.join(root, '.git'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/revoke it on the host/);
    expect(notices[0]).toMatch(/"main", but this root's commits are on "master"/);
    expect(notices[0]).not.toContain(TOKEN);
    expect(await takeNotices(path.join(root, '.git'))).toEqual([]);
    expect(await adoptPlanAlignRoot(root)).toBeNull();

    for (const file of [
      await fsp.readFile(path.join(root, '.git', 'config'), 'utf8'),
      await fsp.readFile(path.join(root, '.planalign-sync.yaml'), 'utf8'),
      JSON.stringify(journal),
    ]) {
      expect(file).not.toContain(TOKEN);
    }
  });

  it('keeps the settings branch when it has commits; the next commit leaves the log and the token out, on top of the old history', async () => {
    const root = await planAlignRoot('master');
    // status (offline) is a command like any other: it takes the root over first
    const status = await new SyncService(root).status({ offline: true });
    expect(status).toMatchObject({ is_initialized: true, branch: 'master' });
    expect((await takeNotices(path.join(root, '.git')))[0]).not.toMatch(/commits are on/);
    const before = git(root, 'rev-parse', 'HEAD').trim();
    expect(git(root, 'ls-files')).toContain('.planalign-sync-log.json');

    const local = await commitLocalChanges(await loadSyncContext(root));
    expect(local.changes).toEqual([
      { path: '.gitignore', kind: 'modified' },
      { path: '.planalign-sync-log.json', kind: 'deleted' },
      { path: '.planalign-sync.yaml', kind: 'modified' },
    ]);
    expect(git(root, 'rev-parse', 'HEAD~1').trim()).toBe(before);
    expect(git(root, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n').filter(Boolean).sort()).toEqual([
      '.gitignore',
      '.planalign-sync.yaml',
      'w1/workspace.json',
    ]);
    expect(spawnSync('git', ['grep', '-I', TOKEN, 'HEAD'], { cwd: root }).status).toBe(1);
    expect(git(root, 'status', '--porcelain')).toBe('');
    expect(spawnSync('git', ['fsck', '--full', '--strict', '--no-dangling'], { cwd: root, encoding: 'utf8' }).status).toBe(0);
  });

  it("sets up a repository for PlanAlign's settings left without one (after its disconnect, with .git removed)", async () => {
    const root = await tempRoot();
    await fsp.mkdir(path.join(root, 'w1'), { recursive: true });
    await fsp.writeFile(path.join(root, 'w1', 'workspace.json'), '{"id": "w1", "name": "Q4"}\n');
    await fsp.writeFile(path.join(root, '.planalign-sync.yaml'), flatSettings(null));
    const result = await new SyncService(root).init();
    expect(result).toMatchObject({ created_repository: true, remote_url: null, branch: 'main' });
    expect((await readSettings(root))?.sync).toMatchObject({ enabled: true, remote: null, branch: 'main' });
    expect(git(root, 'ls-tree', '-r', '--name-only', 'HEAD')).toContain('w1/workspace.json');
    expect((await takeNotices(path.join(root, '.git')))[0]).not.toMatch(/token/);
  });
});

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeGitignore, generatedBlock } from '../src/ignore/gitignore-template.js';
import { compileSyncRules } from '../src/ignore/sync-rules.js';
import { parseSettings, readSettings, writeSettings } from '../src/config/settings-file.js';
import { assertRemoteUrlIsSafe } from '../src/git/remote-url.js';
import { httpsEquivalent, redactUrl } from '../src/models/remote-url.js';
import { resolveWorkspacesRoot } from '../src/config/root.js';
import { SyncConfig } from '../src/models/sync-config.js';
import { SyncConfigError } from '../src/errors.js';

describe('.gitignore generation', () => {
  it("keeps the user's lines and replaces only its own block", () => {
    const user = '# mine\nnotes/\n!keep.csv\n';
    const first = mergeGitignore(user);
    expect(first).toContain(generatedBlock());
    expect(first).toContain('notes/');
    expect(first.indexOf('!keep.csv')).toBeGreaterThan(first.indexOf(generatedBlock()));
    expect(mergeGitignore(first)).toBe(first);
  });

  it("syncs PlanAlign's JSON and YAML and nothing regenerable", () => {
    const rules = compileSyncRules(mergeGitignore(null));
    const synced = [
      'w/workspace.json',
      'w/base_config.yaml',
      'w/scenarios/s/scenario.json',
      'w/scenarios/s/overrides.yaml',
      'w/scenarios/s/current_result.json',
      'w/scenarios/s/runs/r/run_metadata.json',
      'w/scenarios/s/runs/r/provenance.json',
      'w/comparisons/c.json',
      '.planalign-sync.yaml',
      '.gitignore',
    ];
    const ignored = [
      'w/scenarios/s/simulation.duckdb',
      'w/scenarios/s/simulation.duckdb.wal',
      'w/scenarios/s/results/summary.xlsx',
      'w/scenarios/s/runs/r/simulation.log',
      'w/scenarios/s/runs/r/seeds/a.csv',
      'w/scenarios/s/runs/r/dbt_project',
      'w/data/census.parquet',
      'w/imports/upload.json',
      'w/scenarios/s/scenario.json.tmp',
      'w/notes.txt',
    ];
    for (const p of synced) expect(rules.syncsFile(p), p).toBe(true);
    for (const p of ignored) expect(rules.syncsFile(p) && rules.entersFolder(path.posix.dirname(p)), p).toBe(false);
    expect(rules.entersFolder('w/data')).toBe(false);
    expect(rules.entersFolder('w/scenarios/s/runs/r/seeds')).toBe(false);
    expect(rules.entersFolder('.planalign-sync-backups')).toBe(false);
  });

  it('exclude and include globs from the settings narrow what is synced', () => {
    const rules = compileSyncRules(mergeGitignore(null), { include: ['keep/'], exclude: ['keep/private.json'] });
    expect(rules.syncsFile('keep/workspace.json')).toBe(true);
    expect(rules.syncsFile('keep/private.json')).toBe(false);
    expect(rules.syncsFile('other/workspace.json')).toBe(false);
    expect(rules.syncsFile('.planalign-sync.yaml')).toBe(true);
  });
});

describe('settings file', () => {
  it('writes version 1 with a sync map, and keeps comments and unknown-to-us order on rewrite', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-settings-'));
    await writeSettings(root, SyncConfig.parse({ remote: 'https://example.com/r.git' }));
    const file = path.join(root, '.planalign-sync.yaml');
    const first = await fsp.readFile(file, 'utf8');
    expect(first).toMatch(/^version: 1$/m);
    await fsp.writeFile(file, first.replace('auto_sync: false', 'auto_sync: false # turned on later'));
    await writeSettings(root, { ...(await readSettings(root))!.sync, branch: 'team' });
    const second = await fsp.readFile(file, 'utf8');
    expect(second).toContain('# turned on later');
    expect(second).toContain('branch: team');
  });

  it('reads a remembered parse of the file as it reads the file: each edit seen, every value checked, a damaged memo ignored', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-settings-memo-'));
    const memo = path.join(root, '.git', 'planalign-sync', 'settings-yaml.json');
    await fsp.mkdir(path.dirname(memo), { recursive: true });
    const file = path.join(root, '.planalign-sync.yaml');
    const write = (percent: string) => fsp.writeFile(file, `version: 1\nsync:\n  max_delete_percent: ${percent}\n`);
    await write('40');
    expect((await readSettings(root))!.sync.max_delete_percent).toBe(40);
    expect(JSON.parse(await fsp.readFile(memo, 'utf8')).data).toEqual({ version: 1, sync: { max_delete_percent: 40 } });
    // valid YAML, a value out of range: refused every time, and never remembered
    await write('500');
    await expect(readSettings(root)).rejects.toThrow(/sync\.max_delete_percent/);
    await expect(readSettings(root)).rejects.toThrow(/sync\.max_delete_percent/);
    expect(JSON.parse(await fsp.readFile(memo, 'utf8')).data.sync.max_delete_percent).toBe(40);
    // a password in a URL is refused, and copied nowhere
    await fsp.writeFile(file, 'version: 1\nsync:\n  remote: https://ana:s3cret-token@example.com/r.git\n');
    await expect(readSettings(root)).rejects.toThrow(SyncConfigError);
    expect(await fsp.readFile(memo, 'utf8')).not.toContain('s3cret-token');
    await fsp.writeFile(memo, '{"format": 1, "text": "ver');
    await write('30');
    expect((await readSettings(root))!.sync.max_delete_percent).toBe(30);
    // what JSON cannot carry is parsed every time, never remembered wrong
    await write('.inf');
    await expect(readSettings(root)).rejects.toThrow(/sync\.max_delete_percent/);
    expect(JSON.parse(await fsp.readFile(memo, 'utf8')).data.sync.max_delete_percent).toBe(30);
  });

  it('names the field and what is wrong', () => {
    expect(() => parseSettings('version: 1\nsync:\n  auto_sync: "yes"\n')).toThrow(/sync\.auto_sync/);
    expect(() => parseSettings('version: 2\n')).toThrow(/version/);
    expect(() => parseSettings('version: 1\nsync: [\n')).toThrow(/not valid YAML/);
    expect(() => parseSettings('version: 1\nsync:\n  remote: https://u:p4ss@h/r.git\n')).toThrow(SyncConfigError);
  });
});

describe('remote URLs', () => {
  it('refuses passwords in URLs and redacts them everywhere', () => {
    expect(() => assertRemoteUrlIsSafe('https://user:tok@github.com/a/b.git')).toThrow(/PLANALIGN_SYNC_TOKEN/);
    expect(assertRemoteUrlIsSafe('https://github.com/a/b.git')).toBe('https');
    expect(assertRemoteUrlIsSafe('git@github.com:a/b.git')).toBe('ssh');
    expect(() => assertRemoteUrlIsSafe('ftp://x/y')).toThrow(SyncConfigError);
    expect(redactUrl('failed for https://u:secret@h/r.git')).toBe('failed for https://h/r.git');
    expect(httpsEquivalent('git@gitlab.com:team/ws.git')).toBe('https://gitlab.com/team/ws.git');
  });
});

describe('workspaces root', () => {
  it('prefers --root, then PLANALIGN_WORKSPACES, then PLANALIGN_API_WORKSPACES_ROOT, then the home default', () => {
    expect(resolveWorkspacesRoot('/x', { PLANALIGN_WORKSPACES: '/y' })).toBe('/x');
    expect(resolveWorkspacesRoot(undefined, { PLANALIGN_WORKSPACES: '/y', PLANALIGN_API_WORKSPACES_ROOT: '/z' })).toBe('/y');
    expect(resolveWorkspacesRoot(undefined, { PLANALIGN_API_WORKSPACES_ROOT: '/z' })).toBe('/z');
    expect(resolveWorkspacesRoot(undefined, {})).toBe(path.join(os.homedir(), '.planalign', 'workspaces'));
  });
});

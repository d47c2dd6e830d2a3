import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, promises as fsp, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { SyncService } from '@planalign/sync-core';
import { nativeGit, remoteFiles, runCli, runJson, tempDir, twoMachines } from './harness.js';

/** Whatever a person (or a broken program) leaves in a root or types on the command line. */
describe('bad input', () => {
  let server: GitServer;
  let url: string;
  let root: string;
  let generated: GeneratedRoot;
  let workspace: string;
  let scenario: string;
  let outside: string;
  const settingsFile = () => path.join(root, '.planalign-sync.yaml');

  beforeAll(async () => {
    ({ server, url, machineA: root, generated } = await twoMachines('bad-input'));
    [workspace] = generated.workspaceIds;
    scenario = (await fsp.readdir(path.join(root, workspace, 'scenarios'))).sort()[0];
    outside = await tempDir('outside');
    await fsp.writeFile(path.join(outside, 'secret.json'), '{"secret": "do not read me"}');
    expect((await runCli(['--root', root, 'sync', 'init', '--remote', url])).code).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('files that cannot or must not sync are skipped with a warning naming each; the rest syncs', async () => {
    const ws = path.join(root, workspace);
    symlinkSync(path.join(outside, 'secret.json'), path.join(ws, 'scenarios', scenario, 'linked.json'));
    symlinkSync(outside, path.join(ws, 'outside-folder'));
    writeFileSync(path.join(ws, `${'n'.repeat(240)}.json`), '{"long": true}\n');
    writeFileSync(Buffer.concat([Buffer.from(`${ws}/odd-`), Buffer.from([0xff, 0xfe]), Buffer.from('.json')]), '{"odd": true}\n');
    writeFileSync(path.join(ws, 'huge.json'), `[${'1,'.repeat(6_000_000)}1]`);
    writeFileSync(path.join(ws, 'binary.json'), Buffer.from([0x00, 0x01, 0xff, 0x00, 0x10]));
    writeFileSync(path.join(root, generated.workspaceIds[1], 'workspace.json'), '{"id": "x", "name": ');

    const push = await runJson(['--root', root, 'sync', 'push']);
    expect(push.code, JSON.stringify(push.body)).toBe(0);
    const reasons = new Map(push.body.skipped.map((s: { path: string; reason: string }) => [s.path.replace(/\uFFFD/g, '?'), s.reason]));
    expect(reasons.get(`${workspace}/scenarios/${scenario}/linked.json`)).toMatch(/symbolic link/);
    expect(reasons.get(`${workspace}/odd-??.json`)).toMatch(/not valid UTF-8/);
    expect(reasons.get(`${workspace}/huge.json`)).toMatch(/over the 10 MB limit/);
    expect(reasons.get(`${workspace}/binary.json`)).toMatch(/not UTF-8 text/);
    expect(reasons.get(`${generated.workspaceIds[1]}/workspace.json`)).toMatch(/not valid JSON/);

    const files = remoteFiles(server.repoPath('bad-input'));
    expect(files).toContain(`${workspace}/${'n'.repeat(240)}.json`);
    expect(files.some((f) => /linked|outside-folder|huge|binary|odd-/.test(f))).toBe(false);
    // The broken workspace.json keeps its last good version on the remote; nothing outside the root was read.
    expect(files).toContain(`${generated.workspaceIds[1]}/workspace.json`);
    const history = execFileSync('git', ['log', '--all', '-p'], { cwd: server.repoPath('bad-input'), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(history).not.toContain('do not read me');
    // Nothing was changed or removed by skipping.
    expect(existsSync(path.join(ws, 'huge.json')) && existsSync(path.join(ws, 'binary.json'))).toBe(true);
    expect(nativeGit(root, ['fsck', '--no-progress']).code).toBe(0);
    await fsp.writeFile(path.join(root, generated.workspaceIds[1], 'workspace.json'), JSON.stringify({ id: generated.workspaceIds[1], name: 'Repaired' }));
  });

  it('settings files that are not valid name the file and the setting, with exit 2', async () => {
    const original = await fsp.readFile(settingsFile(), 'utf8');
    const cases: [string, RegExp][] = [
      [original.replace('sync:', 'sync:\n  colour: blue').replace(/conflict_strategy: .*/, 'conflict_strategy: coin-flip'), /conflict_strategy/],
      ['version: 1\nsync: [unclosed', /is not valid YAML/],
      [original.replace(/remote: .*/, 'remote: ftp://example.com/r.git'), /sync\.remote "ftp:\/\/example\.com\/r\.git" is not a Git remote URL/],
      [original.replace(/remote: .*/, 'remote: https://me:t0ken-in-file@example.com/r.git'), /password or token/],
      [original.replace(/conflict_strategy: .*/, 'conflict_strategy: coin-flip'), /conflict_strategy/],
      [original.replace('version: 1', 'version: 9'), /version/],
      ['', /version/],
    ];
    try {
      for (const [content, message] of cases) {
        await fsp.writeFile(settingsFile(), content);
        const result = await runCli(['--root', root, 'sync', 'push']);
        expect(result.code, `${content}\n${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).toContain('.planalign-sync.yaml');
        expect(result.stderr).not.toContain('t0ken-in-file');
      }
    } finally {
      await fsp.writeFile(settingsFile(), original);
    }
    expect((await runCli(['--root', root, 'sync', 'status', '--offline'])).code).toBe(0);
  });

  it('a setting this version does not know (a newer version’s) is ignored with a warning and kept, never stopping the sync', async () => {
    const original = await fsp.readFile(settingsFile(), 'utf8');
    try {
      await fsp.writeFile(settingsFile(), `${original.replace('sync:', 'sync:\n  colour: blue')}dashboard:\n  theme: dark\n`);
      const status = await runJson(['--root', root, 'sync', 'status', '--offline']);
      expect(status.code).toBe(0);
      expect(status.body.warnings).toEqual(
        expect.arrayContaining([
          expect.stringContaining('sync.colour is not a setting this version knows'),
          expect.stringContaining('dashboard is not a setting'),
        ]),
      );
      expect((await runCli(['--root', root, 'sync', 'push'])).code).toBe(0);
      // a settings change (as the dashboard makes it) keeps them
      await new SyncService(root).configure({ auto_sync_interval_minutes: 20 });
      const kept = await fsp.readFile(settingsFile(), 'utf8');
      expect(kept).toContain('colour: blue');
      expect(kept).toContain('theme: dark');
    } finally {
      await fsp.writeFile(settingsFile(), original);
    }
  });

  it('any settings file at all: a clear answer (0, 2 or 6), never a crash', async () => {
    const original = await fsp.readFile(settingsFile(), 'utf8');
    const settingsText = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc
        .record({
          version: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
          sync: fc.dictionary(
            fc.constantFrom('remote', 'branch', 'auto_sync', 'conflict_strategy', 'include', 'exclude', 'max_file_size_mb', 'workspaces', 'remotes', 'x'),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        })
        .map((value) => JSON.stringify(value)),
    );
    try {
      await fc.assert(
        fc.asyncProperty(settingsText, async (text) => {
          await fsp.writeFile(settingsFile(), text);
          const result = await runCli(['--root', root, 'sync', 'status', '--offline', '--json']);
          if (![0, 2, 6].includes(result.code)) throw new Error(`exit ${result.code} for ${JSON.stringify(text)}: ${result.stderr}`);
          if (result.code !== 0 && !/\.planalign-sync\.yaml|not set up/.test(result.stdout + result.stderr))
            throw new Error(`no file named for ${JSON.stringify(text)}: ${result.stdout}`);
        }),
        { numRuns: Number(process.env.PLANALIGN_FUZZ_RUNS ?? 25), seed: 42 },
      );
    } finally {
      await fsp.writeFile(settingsFile(), original);
    }
  }, 240_000);

  it('remote URLs, workspace and scenario names with .. or absolute paths are refused, naming what to do', async () => {
    const fresh = path.join(await tempDir('fresh'), 'workspaces');
    for (const [remote, message] of [
      ['not a url', /is not a Git remote URL/],
      ['ftp://example.com/r.git', /is not a Git remote URL/],
      ['https://user:s3cret@example.com/r.git', /password or token/],
      ['file:///etc', /is not a Git remote URL/],
    ] as const) {
      const result = await runCli(['--root', fresh, 'sync', 'init', '--remote', remote]);
      expect(result.code, remote).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('s3cret');
    }
    for (const args of [
      ['exclude', '../../etc'],
      ['exclude', '/etc'],
      ['history', workspace, '../../../etc'],
      ['history', workspace, '/etc/passwd'],
      ['branch', 'create', workspace, '../escape'],
      ['regenerate', workspace, '../../x'],
    ]) {
      const result = await runCli(['--root', root, 'sync', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/No workspace|No scenario|not usable/);
    }
  });

  it('a remote that is not a planalign-sync repository is refused before anything in the root changes', async () => {
    const foreign = await server.createRepo('code', { defaultBranch: 'main' });
    const source = await tempDir('code');
    execFileSync('git', ['init', '-q', '-b', 'main', source]);
    await fsp.writeFile(path.join(source, 'README.md'), '# some code\n');
    await fsp.mkdir(path.join(source, 'src'));
    await fsp.writeFile(path.join(source, 'src', 'index.js'), 'console.log(1)\n');
    execFileSync('git', ['-C', source, 'add', '.']);
    execFileSync('git', ['-C', source, '-c', 'user.name=x', '-c', 'user.email=x@example.com', 'commit', '-qm', 'code']);
    // Asynchronously: the Git server answering it runs in this process.
    await promisify(execFile)('git', ['-C', source, 'push', '-q', foreign, 'main']);

    const other = path.join(await tempDir('other'), 'workspaces');
    await generateWorkspaces({ root: other, ...PRESETS.demo, seed: 5 });
    const before = (await fsp.readdir(other)).sort();
    const result = await runCli(['--root', other, 'sync', 'init', '--remote', foreign]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds README\.md, src\/ and no PlanAlign workspaces: it is not a planalign-sync repository/);
    expect((await fsp.readdir(other)).filter((f) => f !== '.git').sort()).toEqual(before.filter((f) => f !== '.git'));
    expect(existsSync(path.join(other, 'README.md'))).toBe(false);
  });
});

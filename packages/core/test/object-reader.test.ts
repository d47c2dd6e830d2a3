import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepository } from '../src/git/repository.js';
import { indexPack } from '../src/git/pack-indexer.js';
import { buildPackIndex } from '../src/git/pack-writer.js';

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...sameSecond },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Set to pin every commit to one timestamp, as fast machines do within a second. */
let sameSecond: Record<string, string> = {};

/** A history with branches, merges and many similar file versions, so `git gc` writes deltas. */
async function historyWithMerges(): Promise<string> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-history-'));
  git(root, 'init', '-q', '-b', 'main');
  const write = (name: string, text: string) => fsp.writeFile(path.join(root, name), text);
  const big = (n: number) => Array.from({ length: 400 }, (_, i) => `line ${i} ${i === n ? 'changed' : 'same'}`).join('\n');
  for (let i = 0; i < 6; i += 1) {
    await write('config.yaml', big(i));
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', `main ${i}`);
  }
  git(root, 'checkout', '-q', '-b', 'side', 'HEAD~3');
  for (let i = 0; i < 4; i += 1) {
    await write(`side-${i}.json`, `{"i": ${i}}`);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', `side ${i}`);
  }
  git(root, 'checkout', '-q', 'main');
  git(root, 'merge', '-q', '--no-edit', 'side');
  await write('after.json', '{}');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'after merge');
  git(root, 'checkout', '-q', 'side');
  await write('side-late.json', '{"late": true}');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'side late');
  git(root, 'checkout', '-q', 'main');
  git(root, 'gc', '-q', '--aggressive');
  return root;
}

describe('reading objects and histories directly', () => {
  it('reads every object of a packed, deltified repository exactly as native git does', async () => {
    const root = await historyWithMerges();
    const repo = new GitRepository(root);
    const objects = git(root, 'rev-list', '--objects', '--all')
      .split('\n')
      .map((line) => line.split(' ')[0]);
    expect(objects.length).toBeGreaterThan(20);
    for (const oid of objects) {
      const type = git(root, 'cat-file', '-t', oid);
      const object = await repo.readRawObject(oid);
      expect(object.type).toBe(type);
      const native = spawnSync('git', ['cat-file', type, oid], { cwd: root }).stdout;
      expect(Buffer.compare(Buffer.from(object.content), native)).toBe(0);
    }
  });

  it('counts ahead/behind and finds the merge base like native git', async () => {
    const root = await historyWithMerges();
    const repo = new GitRepository(root);
    const main = git(root, 'rev-parse', 'main');
    const side = git(root, 'rev-parse', 'side');
    const { onlyLocal, onlyRemote, bases } = await repo.compareHistories(main, side);
    const [ahead, behind] = git(root, 'rev-list', '--left-right', '--count', 'main...side').split(/\s+/).map(Number);
    expect(onlyLocal.length).toBe(ahead);
    expect(onlyRemote.length).toBe(behind);
    expect(bases).toEqual([git(root, 'merge-base', 'main', 'side')]);
    const equal = await repo.compareHistories(main, main);
    expect(equal).toEqual({ onlyLocal: [], onlyRemote: [], bases: [main] });
  });

  it('indexes a pack native git wrote, deltas included, into the same .idx git index-pack makes', async () => {
    const root = await historyWithMerges();
    const packFolder = path.join(root, '.git', 'objects', 'pack');
    const name = (await fsp.readdir(packFolder)).find((f) => f.endsWith('.pack'))!;
    const pack = await fsp.readFile(path.join(packFolder, name));
    const { entries } = await indexPack(pack, () => Promise.reject(new Error('no external bases expected')));
    const nativeIndex = await fsp.readFile(path.join(packFolder, name.replace('.pack', '.idx')));
    expect(Buffer.compare(buildPackIndex(entries, pack.subarray(pack.length - 20)), nativeIndex)).toBe(0);
    const damaged = Buffer.from(pack);
    damaged[40] ^= 0xff;
    await expect(indexPack(damaged, () => Promise.reject(new Error('none')))).rejects.toThrow(/damaged/);
  });

  it('indexes a thin pack, resolving deltas on objects the repository already has', async () => {
    const root = await historyWithMerges();
    const repo = new GitRepository(root);
    const wanted = git(root, 'rev-list', '--objects', 'main~1..main')
      .split('\n')
      .map((line) => line.split(' ')[0])
      .filter(Boolean);
    const thin = spawnSync('git', ['pack-objects', '--thin', '--stdout', '--revs', '--delta-base-offset'], { cwd: root, input: 'main\n^main~1\n' }).stdout;
    const bases: string[] = [];
    const { entries } = await indexPack(thin, (oid) => {
      bases.push(oid);
      return repo.readRawObject(oid);
    });
    expect(bases.length).toBeGreaterThan(0);
    // The outside bases are appended, as `git index-pack --fix-thin` does.
    expect(entries.map((e) => e.oid).sort()).toEqual([...new Set([...wanted, ...bases])].sort());
  });

  it('counts and finds bases correctly when every commit has the same timestamp', async () => {
    sameSecond = { GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z' };
    try {
      const root = await historyWithMerges();
      const repo = new GitRepository(root);
      for (const [left, right] of [
        ['main', 'side'],
        ['side', 'main'],
        ['main', 'main~2'],
        ['side~1', 'main~1'],
      ]) {
        const a = git(root, 'rev-parse', left);
        const b = git(root, 'rev-parse', right);
        const { onlyLocal, onlyRemote, bases } = await repo.compareHistories(a, b);
        const [ahead, behind] = git(root, 'rev-list', '--left-right', '--count', `${a}...${b}`).split(/\s+/).map(Number);
        expect([onlyLocal.length, onlyRemote.length], `${left}...${right}`).toEqual([ahead, behind]);
        expect(bases.sort(), `${left}...${right}`).toEqual(git(root, 'merge-base', '--all', a, b).split('\n').sort());
      }
    } finally {
      sameSecond = {};
    }
  });
});

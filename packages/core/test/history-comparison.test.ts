import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeRepo, type NativeRepo } from './native-repo.js';
import { lastChanges } from '../src/sync/integrate.js';

/** One commit of a history to build: its parents (by name) and its committer time. */
interface Node {
  name: string;
  parents: string[];
  time: number;
}

/**
 * Writes the commits with native git (fast-import: one process for a whole history) and
 * returns name → commit id. Every commit has the empty tree and its name as message.
 */
async function buildHistory(git: NativeRepo, nodes: Node[]): Promise<Map<string, string>> {
  const marks = new Map(nodes.map((node, index) => [node.name, index + 1]));
  const stream = nodes
    .map((node) => {
      const [first, ...others] = node.parents;
      return [
        `commit refs/heads/history/${node.name}`,
        `mark :${marks.get(node.name)}`,
        `committer Tester <tester@example.com> ${node.time} +0000`,
        `data ${Buffer.byteLength(node.name)}`,
        node.name,
        ...(first ? [`from :${marks.get(first)}`] : []),
        ...others.map((parent) => `merge :${marks.get(parent)}`),
        '',
      ].join('\n');
    })
    .join('');
  const marksFile = path.join(git.root, 'marks');
  git.git(['fast-import', '--quiet', `--export-marks=${marksFile}`], { input: stream });
  const byMark = new Map(
    (await fsp.readFile(marksFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
  return new Map(nodes.map((node) => [node.name, byMark.get(`:${marks.get(node.name)}`)!]));
}

/** What native git says about two commits: counts each side only has, and the merge bases. */
function nativeAnswer(git: NativeRepo, local: string, remote: string) {
  const count = (range: string) => Number(git.git(['rev-list', '--count', range]).trim());
  let bases: string[] = [];
  try {
    bases = git.git(['merge-base', '--all', local, remote]).split('\n').filter(Boolean);
  } catch {
    // exit 1: no common ancestor
  }
  return { onlyLocal: count(`${remote}..${local}`), onlyRemote: count(`${local}..${remote}`), bases: bases.sort() };
}

async function compare(git: NativeRepo, local: string, remote: string) {
  const result = await git.repo.compareHistories(local, remote);
  return { onlyLocal: result.onlyLocal.length, onlyRemote: result.onlyRemote.length, bases: [...result.bases].sort(), raw: result };
}

function isAncestorNatively(git: NativeRepo, ancestor: string, descendant: string): boolean {
  try {
    git.git(['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}

/** A line of `count` commits named `${prefix}1…`, on top of `from`, one `step` second apart from `start`. */
function line(prefix: string, count: number, from: string | null, start: number, step = 1): Node[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${i + 1}`,
    parents: i === 0 ? (from ? [from] : []) : [`${prefix}${i}`],
    time: start + i * step,
  }));
}

describe('compareHistories, checked against native git', () => {
  it('a line ahead of another: the commits only it has, the other as the base, and ancestry both ways', async () => {
    const git = await nativeRepo('history-line');
    const ids = await buildHistory(git, line('c', 8, null, 1_700_000_000));
    const [behind, ahead] = [ids.get('c5')!, ids.get('c8')!];
    const result = await compare(git, ahead, behind);
    expect(result).toMatchObject(nativeAnswer(git, ahead, behind));
    expect(result).toMatchObject({ onlyLocal: 3, onlyRemote: 0, bases: [behind] });
    expect(new Set(result.raw.onlyLocal)).toEqual(new Set(['c6', 'c7', 'c8'].map((n) => ids.get(n))));
    expect(await compare(git, behind, ahead)).toMatchObject({ onlyLocal: 0, onlyRemote: 3, bases: [behind] });
    expect(await git.repo.isAncestor(behind, ahead)).toBe(isAncestorNatively(git, behind, ahead));
    expect(await git.repo.isAncestor(ahead, behind)).toBe(isAncestorNatively(git, ahead, behind));
    expect(await compare(git, ahead, ahead)).toMatchObject({ onlyLocal: 0, onlyRemote: 0, bases: [ahead] });
    expect(new Set(await git.repo.history(ahead))).toEqual(new Set(git.git(['rev-list', ahead]).split('\n').filter(Boolean)));
  });

  it('two machines that diverged after a long shared history', async () => {
    const git = await nativeRepo('history-diverged');
    const t = 1_700_000_000;
    const ids = await buildHistory(git, [...line('s', 60, null, t), ...line('a', 4, 's60', t + 100), ...line('b', 7, 's60', t + 100)]);
    const result = await compare(git, ids.get('a4')!, ids.get('b7')!);
    expect(result).toMatchObject(nativeAnswer(git, ids.get('a4')!, ids.get('b7')!));
    expect(result).toMatchObject({ onlyLocal: 4, onlyRemote: 7, bases: [ids.get('s60')] });
  });

  it('a criss-cross merge has two merge bases, as git merge-base --all lists them', async () => {
    const git = await nativeRepo('history-criss-cross');
    const t = 1_700_000_000;
    const ids = await buildHistory(git, [
      { name: 'root', parents: [], time: t },
      { name: 'a1', parents: ['root'], time: t + 1 },
      { name: 'b1', parents: ['root'], time: t + 1 },
      // each side merges the other's first commit
      { name: 'a2', parents: ['a1', 'b1'], time: t + 2 },
      { name: 'b2', parents: ['b1', 'a1'], time: t + 2 },
      { name: 'a3', parents: ['a2'], time: t + 3 },
      { name: 'b3', parents: ['b2'], time: t + 3 },
    ]);
    const result = await compare(git, ids.get('a3')!, ids.get('b3')!);
    expect(result).toMatchObject(nativeAnswer(git, ids.get('a3')!, ids.get('b3')!));
    expect(result.bases).toEqual([ids.get('a1'), ids.get('b1')].sort());
    expect(result).toMatchObject({ onlyLocal: 2, onlyRemote: 2 });
  });

  it('commits made in the same second, and clocks that went backwards, give the same answers', async () => {
    const git = await nativeRepo('history-clocks');
    const t = 1_700_000_000;
    const ids = await buildHistory(git, [
      ...line('s', 20, null, t, 0),
      // one machine's clock is a year behind, and its commits go back in time
      ...line('a', 5, 's20', t - 31_536_000, -60),
      ...line('b', 3, 's20', t, 0),
      { name: 'm', parents: ['b3', 'a2'], time: t },
    ]);
    for (const [local, remote] of [
      ['a5', 'm'],
      ['m', 'a5'],
      ['a5', 'b3'],
      ['s20', 'm'],
    ]) {
      const result = await compare(git, ids.get(local)!, ids.get(remote)!);
      expect(result, `${local} vs ${remote}`).toMatchObject(nativeAnswer(git, ids.get(local)!, ids.get(remote)!));
    }
  });

  it('unrelated histories have no base, and each side has all of its own commits', async () => {
    const git = await nativeRepo('history-unrelated');
    const ids = await buildHistory(git, [...line('x', 3, null, 1_700_000_000), ...line('y', 2, null, 1_700_000_500)]);
    const result = await compare(git, ids.get('x3')!, ids.get('y2')!);
    expect(result).toMatchObject(nativeAnswer(git, ids.get('x3')!, ids.get('y2')!));
    expect(result).toMatchObject({ onlyLocal: 3, onlyRemote: 2, bases: [] });
    expect(await git.repo.isAncestor(ids.get('x1')!, ids.get('y2')!)).toBe(false);
  });

  it('any history: the same commits on each side and the same best common ancestors as walking every commit', async () => {
    // Histories of up to 24 commits, each with one to three parents among the earlier ones (or
    // none: several roots), at times that may go backwards; two tips compared.
    const history = fc
      .integer({ min: 2, max: 24 })
      .chain((size) =>
        fc.tuple(
          fc.tuple(
            ...Array.from({ length: size }, (_, i) =>
              fc.tuple(fc.uniqueArray(fc.nat(Math.max(0, i - 1)), { maxLength: i === 0 ? 0 : 3 }), fc.integer({ min: -5, max: 5 })),
            ),
          ),
          fc.nat(size - 1),
          fc.nat(size - 1),
        ),
      );
    await fc.assert(
      fc.asyncProperty(history, async ([specs, left, right]) => {
        const nodes: Node[] = specs.map(([parents, drift], i) => ({
          name: `n${i}`,
          parents: parents.map((p) => `n${p}`),
          time: 1_700_000_000 + i + drift * 3,
        }));
        const git = await nativeRepo('history-any');
        const ids = await buildHistory(git, nodes);
        const reach = (name: string): Set<string> => {
          const seen = new Set<string>();
          const stack = [name];
          while (stack.length > 0) {
            const next = stack.pop()!;
            if (seen.has(next)) continue;
            seen.add(next);
            stack.push(...nodes.find((n) => n.name === next)!.parents);
          }
          return seen;
        };
        const [a, b] = [reach(`n${left}`), reach(`n${right}`)];
        const common = [...a].filter((n) => b.has(n));
        const best = common.filter((n) => !common.some((other) => other !== n && reach(other).has(n)));
        const result = await git.repo.compareHistories(ids.get(`n${left}`)!, ids.get(`n${right}`)!);
        const id = (names: Iterable<string>) => [...names].map((n) => ids.get(n)!).sort();
        expect([...result.onlyLocal].sort()).toEqual(id([...a].filter((n) => !b.has(n))));
        expect([...result.onlyRemote].sort()).toEqual(id([...b].filter((n) => !a.has(n))));
        expect([...result.bases].sort()).toEqual(id(best));
        await fsp.rm(git.root, { recursive: true, force: true });
      }),
      {
        numRuns: 40,
        // found by a run: a base reached from the other only through commits the walk had not painted
        examples: [
          [
            [
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[0], 0],
              [[4], -2],
              [[], 0],
              [[5], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[], 0],
              [[0, 7], 0],
              [[], 0],
              [[], 0],
              [[], 0],
            ] as [number[], number][],
            17,
            7,
          ],
        ].map((example) => [example] as never),
      },
    );
  });
});

describe('lastChanges: when one side last changed each file, for last-write-wins', () => {
  it('finds the commit git log finds for each file, asked in any order and at once; a change of mode alone is no edit', async () => {
    const git = await nativeRepo('last-change');
    const T0 = 1_700_000_000;
    const commit = (tree: string, parent: string | null, time: number) =>
      git
        .git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', `at ${time}`], {
          env: {
            GIT_AUTHOR_DATE: `${time} +0000`,
            GIT_COMMITTER_DATE: `${time} +0000`,
            GIT_AUTHOR_NAME: 'T',
            GIT_AUTHOR_EMAIL: 't@example.com',
            GIT_COMMITTER_NAME: 'T',
            GIT_COMMITTER_EMAIL: 't@example.com',
          },
        })
        .trim();
    const base = commit(git.tree({ 'ws/a.json': '0', 'ws/b.yaml': 'b: 0', 'ws/d.json': 'd' }), null, T0);
    const c1 = commit(git.tree({ 'ws/a.json': '1', 'ws/b.yaml': 'b: 1', 'ws/d.json': 'd' }), base, T0 + 1_000);
    const c2 = commit(git.tree({ 'ws/a.json': '2', 'ws/b.yaml': 'b: 1', 'ws/d.json': 'd' }), c1, T0 + 2_000);
    const c3 = commit(git.tree({ 'ws/a.json': '2', 'ws/b.yaml': { mode: '100755', content: 'b: 1' }, 'ws/c.json': 'c', 'ws/d.json': 'd' }), c2, T0 + 3_000);
    const changedAt = lastChanges(git.repo, [c1, c3, c2]);
    const files = ['ws/d.json', 'ws/b.yaml', 'ws/a.json', 'ws/c.json', 'ws/a.json'];
    const answers = await Promise.all(files.map((file) => changedAt(file)));
    const native = (file: string) =>
      git
        .git(['log', '--format=%at', `${base}..${c3}`, '--', file])
        .split('\n')
        .filter(Boolean)
        .map(Number);
    expect(answers[0]).toBe(0); // unchanged on this side
    expect(native('ws/d.json')).toEqual([]);
    // c3 changed only b.yaml's mode: its last edit is c1's
    expect(native('ws/b.yaml')).toEqual([T0 + 3_000, T0 + 1_000]);
    expect(answers[1]).toBe(T0 + 1_000);
    expect([answers[2], answers[3], answers[4]]).toEqual([native('ws/a.json')[0], native('ws/c.json')[0], native('ws/a.json')[0]]);
    expect([answers[2], answers[3]]).toEqual([T0 + 2_000, T0 + 3_000]);
  });
});

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { listBackups } from '../src/conflict/backups.js';
import type { FileDecision } from '../src/conflict/open-conflicts.js';
import { createStrategyResolver } from '../src/conflict/strategy-resolver.js';
import { mergeTrees } from '../src/conflict/three-way-merge.js';
import type { ResolvedConflict } from '../src/models/results.js';
import type { ConflictStrategy } from '../src/models/sync-config.js';
import { nativeRepo, type NativeRepo } from './native-repo.js';

const OURS_COMMIT = '1111111111111111111111111111111111111111';
const THEIRS_COMMIT = '2222222222222222222222222222222222222222';
const SCENARIO = 'w/scenarios/s1/scenario.json';
const OVERRIDES = 'w/scenarios/s1/overrides.yaml';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * A resolver as a merge makes it: `ours` is this machine, `theirs` the remote, each side's
 * file changed at the given second (last-write-wins compares those).
 */
function resolverFor(git: NativeRepo, strategy: ConflictStrategy, options: { oursAt?: number; theirsAt?: number; decisions?: Map<string, FileDecision> } = {}) {
  const resolved: ResolvedConflict[] = [];
  const resolver = createStrategyResolver({
    repo: git.repo,
    strategyFor: () => strategy,
    ours: { commit: OURS_COMMIT, changedAt: async () => options.oursAt ?? 100 },
    theirs: { commit: THEIRS_COMMIT, changedAt: async () => options.theirsAt ?? 100 },
    resolved,
    decisions: options.decisions,
  });
  return { ...resolver, resolved };
}

/** One file changed on both sides: its three versions as blobs. */
function conflictOf(git: NativeRepo, file: string, base: string | null, ours: string | null, theirs: string | null) {
  const oid = (content: string | null) => (content === null ? null : git.blob(content));
  return { path: file, base: oid(base), ours: oid(ours), theirs: oid(theirs) };
}

async function backupOf(git: NativeRepo, id: string, file: string): Promise<string> {
  return fsp.readFile(path.join(git.root, '.planalign-sync-backups', id, ...file.split('/')), 'utf8');
}

const base = { id: 's1', name: 'Baseline', description: 'first', config_overrides: { growth: 0.03, merit: 0.04 } };
// The same key (name) changed on both sides; each side also changed a key of its own.
const ours = { ...base, name: 'Baseline (here)', config_overrides: { ...base.config_overrides, growth: 0.05 } };
const theirs = { ...base, name: 'Baseline (there)', description: 'edited there' };

describe('conflict strategies', () => {
  it('edits to different keys are merged by every strategy, ask-user included, with no backup', async () => {
    const git = await nativeRepo('strategy-keys');
    for (const strategy of ['keep-local', 'keep-remote', 'last-write-wins', 'ask-user'] as const) {
      const { resolve, resolved, unresolved } = resolverFor(git, strategy);
      const conflict = conflictOf(git, SCENARIO, json(base), json({ ...base, name: 'here' }), json({ ...base, description: 'there' }));
      const { oid } = await resolve(conflict);
      expect(JSON.parse(git.show(oid!)), strategy).toEqual({ ...base, name: 'here', description: 'there' });
      expect(resolved).toEqual([{ path: SCENARIO, winner: 'merged', strategy: 'structural-merge', backup: null, keys: [] }]);
      expect(unresolved).toEqual([]);
    }
    expect(await listBackups(git.root)).toEqual([]);
  });

  it.each<{ strategy: ConflictStrategy; oursAt?: number; theirsAt?: number; winner: 'local' | 'remote' }>([
    { strategy: 'keep-local', oursAt: 100, theirsAt: 200, winner: 'local' },
    { strategy: 'keep-remote', oursAt: 200, theirsAt: 100, winner: 'remote' },
    { strategy: 'last-write-wins', oursAt: 200, theirsAt: 100, winner: 'local' },
    { strategy: 'last-write-wins', oursAt: 100, theirsAt: 200, winner: 'remote' },
    // The same second: this machine's edit stays.
    { strategy: 'last-write-wins', oursAt: 150, theirsAt: 150, winner: 'local' },
  ])(
    '$strategy (here at $oursAt, there at $theirsAt): the $winner value of the key both changed wins, the rest merges, the loser is backed up whole',
    async ({ strategy, oursAt, theirsAt, winner }) => {
      const git = await nativeRepo('strategy-same-key');
      const { resolve, resolved, unresolved } = resolverFor(git, strategy, { oursAt, theirsAt });
      const { oid } = await resolve(conflictOf(git, SCENARIO, json(base), json(ours), json(theirs)));
      expect(JSON.parse(git.show(oid!))).toEqual({
        ...base,
        name: winner === 'local' ? 'Baseline (here)' : 'Baseline (there)',
        description: 'edited there',
        config_overrides: { growth: 0.05, merit: 0.04 },
      });
      expect(unresolved).toEqual([]);
      expect(resolved).toEqual([{ path: SCENARIO, winner, strategy, backup: expect.any(String), keys: ['name'] }]);
      const loser = winner === 'local' ? theirs : ours;
      expect(await backupOf(git, resolved[0].backup!, SCENARIO)).toBe(json(loser));
      expect(await listBackups(git.root)).toEqual([
        expect.objectContaining({
          id: resolved[0].backup,
          path: SCENARIO,
          side: winner === 'local' ? 'remote' : 'local',
          strategy,
          commit: winner === 'local' ? THEIRS_COMMIT : OURS_COMMIT,
          reason: 'lost a conflict',
        }),
      ]);
    },
  );

  it('YAML: the merge keeps the local comments and layout, and settles the key both changed by the strategy', async () => {
    const git = await nativeRepo('strategy-yaml');
    const baseText = '# growth assumptions, see the board memo\nworkforce:\n  target_growth_rate: 0.03  # steady\ncompensation:\n  merit_budget: 0.04\n';
    const oursText = baseText.replace('0.03  # steady', '0.05  # steady').replace('merit_budget: 0.04', 'merit_budget: 0.045');
    const theirsText = baseText.replace('0.03  # steady', '0.02').concat('plan_design:\n  auto_enrollment: true\n');
    const { resolve, resolved } = resolverFor(git, 'keep-remote');
    const { oid } = await resolve(conflictOf(git, OVERRIDES, baseText, oursText, theirsText));
    const merged = git.show(oid!);
    expect(parseYaml(merged)).toEqual({
      workforce: { target_growth_rate: 0.02 },
      compensation: { merit_budget: 0.045 },
      plan_design: { auto_enrollment: true },
    });
    expect(merged).toContain('# growth assumptions, see the board memo');
    expect(resolved).toEqual([expect.objectContaining({ winner: 'remote', strategy: 'keep-remote', keys: ['workforce.target_growth_rate'] })]);
    expect(await backupOf(git, resolved[0].backup!, OVERRIDES)).toBe(oursText);
  });

  it('YAML: a winning value whose comment the merge cannot carry keeps the winning file whole in a backup too', async () => {
    const git = await nativeRepo('strategy-yaml-winner');
    const baseText = 'compensation:\n  cola_rate: 0.03\n';
    const oursText = 'compensation:\n  cola_rate: 0.2\n';
    const theirsText = 'compensation:\n  cola_rate: 0.1  # raised after review\n# board note\n';
    const { resolve, resolved } = resolverFor(git, 'last-write-wins', { oursAt: 100, theirsAt: 200 });
    const { oid } = await resolve(conflictOf(git, OVERRIDES, baseText, oursText, theirsText));
    expect(parseYaml(git.show(oid!))).toEqual({ compensation: { cola_rate: 0.1 } });
    expect(resolved).toEqual([expect.objectContaining({ winner: 'remote', keys: ['compensation.cola_rate'] })]);
    // the losing version, and the winner's comments wherever the merged file does not hold them
    const backups = await listBackups(git.root);
    const kept = await Promise.all(backups.map((backup) => backupOf(git, backup.id, OVERRIDES)));
    expect(kept).toContain(oursText);
    if (!git.show(oid!).includes('# raised after review')) expect(kept).toContain(theirsText);
  });

  it('a file that does not parse on one side is settled whole by the strategy, the other version backed up', async () => {
    const git = await nativeRepo('strategy-broken');
    const halfWritten = '{"id": "s1", "name": "Basel';
    const { resolve, resolved } = resolverFor(git, 'keep-remote');
    const { oid } = await resolve(conflictOf(git, SCENARIO, json(base), json(ours), halfWritten));
    expect(git.show(oid!)).toBe(halfWritten);
    expect(resolved).toEqual([expect.objectContaining({ winner: 'remote', strategy: 'keep-remote', keys: [] })]);
    expect(await backupOf(git, resolved[0].backup!, SCENARIO)).toBe(json(ours));

    // Another kind of file (a README someone keeps in the root) is chosen whole too.
    const lastWrite = resolverFor(git, 'last-write-wins', { oursAt: 300, theirsAt: 200 });
    const readme = await lastWrite.resolve(conflictOf(git, 'README.md', 'base\n', 'here\n', 'there\n'));
    expect(git.show(readme.oid!)).toBe('here\n');
    expect(await backupOf(git, lastWrite.resolved[0].backup!, 'README.md')).toBe('there\n');
  });

  it('a file changed on one side and deleted on the other is kept, whatever the strategy', async () => {
    const git = await nativeRepo('strategy-deleted');
    for (const strategy of ['keep-local', 'keep-remote', 'ask-user'] as const) {
      const deletedHere = resolverFor(git, strategy);
      expect((await deletedHere.resolve(conflictOf(git, SCENARIO, json(base), null, json(theirs)))).oid).toBe(git.blob(json(theirs)));
      const deletedThere = resolverFor(git, strategy);
      expect((await deletedThere.resolve(conflictOf(git, SCENARIO, json(base), json(ours), null))).oid).toBe(git.blob(json(ours)));
      expect([...deletedHere.resolved, ...deletedThere.resolved]).toEqual([
        { path: SCENARIO, winner: 'remote', strategy: 'modified-beats-deleted', backup: null, keys: [] },
        { path: SCENARIO, winner: 'local', strategy: 'modified-beats-deleted', backup: null, keys: [] },
      ]);
      expect([...deletedHere.unresolved, ...deletedThere.unresolved]).toEqual([]);
    }
  });

  it('ask-user: a real conflict is left for a decision, with this side kept meanwhile and nothing backed up', async () => {
    const git = await nativeRepo('strategy-ask');
    const { resolve, resolved, unresolved } = resolverFor(git, 'ask-user');
    const conflict = conflictOf(git, SCENARIO, json(base), json(ours), json(theirs));
    expect((await resolve(conflict)).oid).toBe(conflict.ours);
    expect(unresolved).toEqual([conflict]);
    expect(resolved).toEqual([]);
    expect(await listBackups(git.root)).toEqual([]);
  });

  it('a decision settles the setting both changed with the chosen side, keeps each side’s other edits, and backs up the side that lost', async () => {
    const git = await nativeRepo('strategy-decided');
    const { resolve, resolved, unresolved } = resolverFor(git, 'ask-user', { decisions: new Map([[SCENARIO, { use: 'remote', choices: {} }]]) });
    const conflict = conflictOf(git, SCENARIO, json(base), json(ours), json(theirs));
    const { oid } = await resolve(conflict);
    // name: the other computer's; growth (changed here only) and description (there only) both stay
    expect(JSON.parse(git.show(oid!))).toEqual({
      ...base,
      name: 'Baseline (there)',
      description: 'edited there',
      config_overrides: { growth: 0.05, merit: 0.04 },
    });
    expect(unresolved).toEqual([]);
    expect(resolved).toEqual([{ path: SCENARIO, winner: 'remote', strategy: 'chosen', backup: expect.any(String), keys: ['name'] }]);
    expect(await backupOf(git, resolved[0].backup!, SCENARIO)).toBe(json(ours));

    // A file that does not parse is taken whole.
    const whole = resolverFor(git, 'ask-user', { decisions: new Map([['README.md', { use: 'remote', choices: {} }]]) });
    const readme = conflictOf(git, 'README.md', 'base\n', 'here\n', 'there\n');
    expect((await whole.resolve(readme)).oid).toBe(readme.theirs);
    expect(await backupOf(git, whole.resolved[0].backup!, 'README.md')).toBe('here\n');
  });

  it('choices setting by setting: each takes its own side, and both versions are kept whole', async () => {
    const git = await nativeRepo('strategy-by-setting');
    const baseText = 'compensation:\n  cola_rate: 0.025  # board memo\n  merit_budget: 0.04\nworkforce:\n  target_growth_rate: 0.03\n';
    const oursText = baseText.replace('0.025', '0.03').replace('merit_budget: 0.04', 'merit_budget: 0.045').replace('0.03\n', '0.035\n');
    const theirsText = baseText.replace('0.025', '0.045').replace('merit_budget: 0.04', 'merit_budget: 0.05').concat('plan_design:\n  auto_enrollment: true\n');
    const decisions = new Map([[OVERRIDES, { use: 'local' as const, choices: { 'compensation.merit_budget': 'remote' as const } }]]);
    const { resolve, resolved } = resolverFor(git, 'ask-user', { decisions });
    const { oid } = await resolve(conflictOf(git, OVERRIDES, baseText, oursText, theirsText));
    const merged = git.show(oid!);
    expect(parseYaml(merged)).toEqual({
      compensation: { cola_rate: 0.03, merit_budget: 0.05 },
      workforce: { target_growth_rate: 0.035 },
      plan_design: { auto_enrollment: true },
    });
    expect(merged).toContain('# board memo');
    expect(resolved).toEqual([
      { path: OVERRIDES, winner: 'merged', strategy: 'chosen', backup: expect.any(String), keys: ['compensation.cola_rate', 'compensation.merit_budget'] },
    ]);
    // this computer's version first: the merge leaves no history holding it
    expect(await backupOf(git, resolved[0].backup!, OVERRIDES)).toBe(oursText);
    const kept = await listBackups(git.root);
    expect(kept.map((b) => b.side).sort()).toEqual(['local', 'remote']);
  });

  it('each file follows the strategy of its own workspace', async () => {
    const git = await nativeRepo('strategy-per-workspace');
    const resolved: ResolvedConflict[] = [];
    const { resolve } = createStrategyResolver({
      repo: git.repo,
      strategyFor: (file) => (file.startsWith('shared/') ? 'keep-remote' : 'keep-local'),
      ours: { commit: OURS_COMMIT, changedAt: async () => 1 },
      theirs: { commit: THEIRS_COMMIT, changedAt: async () => 1 },
      resolved,
    });
    await resolve(conflictOf(git, 'shared/a.txt', 'b\n', 'here\n', 'there\n'));
    await resolve(conflictOf(git, 'mine/a.txt', 'b\n', 'here\n', 'there\n'));
    expect(resolved.map((r) => [r.path, r.winner, r.strategy])).toEqual([
      ['shared/a.txt', 'remote', 'keep-remote'],
      ['mine/a.txt', 'local', 'keep-local'],
    ]);
  });

  // git keeps both (the file renamed beside the folder); here the folder keeps the path and the
  // edited file goes to a backup that `sync conflicts` lists.
  it('a file edited on one side where the other made a folder of the same name is not lost', async () => {
    const git = await nativeRepo('strategy-file-folder');
    const baseTree = git.tree({ 'w/notes.json': '{"a": 1}\n' });
    const oursTree = git.tree({ 'w/notes.json/a.json': '{"a": 1}\n' });
    const theirsTree = git.tree({ 'w/notes.json': '{"a": 2}\n' });
    const { resolve, resolved } = resolverFor(git, 'keep-local');
    const merged = await mergeTrees(git.repo, baseTree, oursTree, theirsTree, resolve);
    const inMerge = [...git.files(merged).values()].some((file) => file.content === '{"a": 2}\n');
    const backups = await Promise.all((await listBackups(git.root)).map((record) => backupOf(git, record.id, record.path)));
    expect(resolved).toEqual([expect.objectContaining({ path: 'w/notes.json', winner: 'local', strategy: 'folder-beats-file' })]);
    expect(inMerge).toBe(false);
    expect(backups).toEqual(['{"a": 2}\n']);
  });
});

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mergeStructured } from '../src/conflict/structural-merge.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('structural merge of JSON', () => {
  const base = { id: 's1', name: 'Baseline', description: 'first', config_overrides: { growth: 0.03, merit: 0.04 }, tags: ['a'] };

  it('keeps edits to different keys from both sides, in the local key order and format', () => {
    const ours = { ...base, name: 'Baseline (A)', config_overrides: { ...base.config_overrides, growth: 0.05 } };
    const theirs = { ...base, description: 'edited on B', config_overrides: { ...base.config_overrides, merit: 0.06 }, status: 'completed' };
    const result = mergeStructured('s/scenario.json', json(base), json(ours), json(theirs), 'ours')!;
    expect(result.conflicts).toEqual([]);
    expect(JSON.parse(result.content)).toEqual({
      id: 's1',
      name: 'Baseline (A)',
      description: 'edited on B',
      config_overrides: { growth: 0.05, merit: 0.06 },
      tags: ['a'],
      status: 'completed',
    });
    expect(Object.keys(JSON.parse(result.content))).toEqual(['id', 'name', 'description', 'config_overrides', 'tags', 'status']);
    expect(result.content.endsWith('}\n')).toBe(true);
    expect(result.content).toContain('\n  "name"');
  });

  it('reports the same key changed to different values, and takes the preferred side for it only', () => {
    const ours = { ...base, name: 'A name', description: 'A' };
    const theirs = { ...base, name: 'B name', tags: ['a', 'b'] };
    const preferTheirs = mergeStructured('x.json', json(base), json(ours), json(theirs), 'theirs')!;
    expect(preferTheirs.conflicts.map((c) => c.path)).toEqual([['name']]);
    expect(preferTheirs.conflicts[0]).toMatchObject({ base: 'Baseline', ours: 'A name', theirs: 'B name' });
    expect(JSON.parse(preferTheirs.content)).toMatchObject({ name: 'B name', description: 'A', tags: ['a', 'b'] });
    expect(JSON.parse(mergeStructured('x.json', json(base), json(ours), json(theirs), 'ours')!.content).name).toBe('A name');
  });

  it('deletes a key deleted on one side and untouched on the other; a key deleted against a change keeps the change', () => {
    const { tags: _tags, ...withoutTags } = base;
    const deleted = mergeStructured('x.json', json(base), json(base), json(withoutTags), 'ours')!;
    expect(deleted.conflicts).toEqual([]);
    expect(JSON.parse(deleted.content)).not.toHaveProperty('tags');

    const { description: _description, ...withoutDescription } = base;
    const clash = mergeStructured('x.json', json(base), json(withoutDescription), json({ ...base, description: 'changed on B' }), 'ours')!;
    expect(clash.conflicts.map((c) => c.path)).toEqual([['description']]);
    expect(JSON.parse(clash.content).description).toBe('changed on B');
  });

  it('merges two files added on both sides with no common ancestor', () => {
    const result = mergeStructured('x.json', null, json({ a: 1, same: true }), json({ b: 2, same: true }), 'ours')!;
    expect(result.conflicts).toEqual([]);
    expect(JSON.parse(result.content)).toEqual({ a: 1, same: true, b: 2 });
  });

  it("keeps this computer's CRLF line endings, whatever the other side wrote", () => {
    const crlf = (text: string) => text.replace(/\n/g, '\r\n');
    const ours = crlf(json({ ...base, name: 'Baseline (A)' }));
    const result = mergeStructured('s/scenario.json', json(base), ours, json({ ...base, description: 'edited on B' }), 'ours')!;
    expect(result.content).toBe(crlf(json({ ...base, name: 'Baseline (A)', description: 'edited on B' })));
    const yaml = mergeStructured('s/config.yaml', 'a: 1\nb: 2\n', 'a: 5\r\nb: 2\r\n', 'a: 1\nb: 7\n', 'ours')!;
    expect(yaml.content).toBe('a: 5\r\nb: 7\r\n');
  });

  it('gives up (null) when a side does not parse', () => {
    expect(mergeStructured('x.json', json(base), '{"half": ', json(base), 'ours')).toBeNull();
  });
});

describe('structural merge of YAML', () => {
  const base = ['# Simulation settings for Q4', 'simulation:', '  start_year: 2025  # first year', '  end_year: 2029', 'workforce:', '  growth: 0.03', ''].join(
    '\n',
  );

  it("keeps both sides' edits and the local comments", () => {
    const ours = base.replace('end_year: 2029', 'end_year: 2030');
    const theirs = base.replace('growth: 0.03', 'growth: 0.05').concat('compensation:\n  merit: 0.04\n');
    const result = mergeStructured('config.yaml', base, ours, theirs, 'ours')!;
    expect(result.conflicts).toEqual([]);
    expect(parseYaml(result.content)).toEqual({ simulation: { start_year: 2025, end_year: 2030 }, workforce: { growth: 0.05 }, compensation: { merit: 0.04 } });
    expect(result.content).toContain('# Simulation settings for Q4');
    expect(result.content).toContain('# first year');
  });

  it("keeps the comments both sides added: notes at the end, above a key the other side changed, on the same line as git's merge would clash", () => {
    const bothAppend = mergeStructured('config.yaml', base, `${base}# note from A\n`, `${base}# note from B\n`, 'ours')!;
    expect(bothAppend).toMatchObject({ conflicts: [], dropped: [] });
    expect(bothAppend.content).toBe(`${base}# note from A\n# note from B\n`);

    const ours = base.replace('workforce:', '# why growth is low\nworkforce:');
    const theirs = base.replace('end_year: 2029', 'end_year: 2031');
    const aboveAKey = mergeStructured('config.yaml', base, ours, theirs, 'ours')!;
    expect(aboveAKey).toMatchObject({ conflicts: [], dropped: [] });
    expect(aboveAKey.content).toContain('# why growth is low');
    expect(parseYaml(aboveAKey.content)).toEqual({ simulation: { start_year: 2025, end_year: 2031 }, workforce: { growth: 0.03 } });
  });

  it('names the side whose comments a merge by key could not carry, for the caller to keep it whole', () => {
    // both sides edit one line: one its comment, the other its value
    const commented = base.replace('  start_year: 2025  # first year', '  start_year: 2025  # first year of the plan');
    const changed = base.replace('  start_year: 2025  # first year', '  start_year: 2026  # first year');
    const localComment = mergeStructured('config.yaml', base, commented, changed, 'ours')!;
    expect(localComment).toMatchObject({ conflicts: [], dropped: [] });
    expect(localComment.content).toContain('start_year: 2026 # first year of the plan');
    const remoteComment = mergeStructured('config.yaml', base, changed, commented, 'ours')!;
    expect(remoteComment).toMatchObject({ conflicts: [], dropped: ['theirs'] });
    expect(parseYaml(remoteComment.content).simulation.start_year).toBe(2026);
  });

  it("a value taken from the other side comes with that side's comment, not with this side's note on the value it replaces", () => {
    const start = 'compensation:\n  cola_rate: 0.03\n  merit: 0.04\n';
    const here = 'compensation:\n  cola_rate: 0.2  # B says\n  merit: 0.04\n';
    const there = 'compensation:\n  cola_rate: 0.1  # P says\n  merit: 0.04\n';
    const result = mergeStructured('config.yaml', start, here, there, 'theirs')!;
    expect(result.content).toContain('cola_rate: 0.1 # P says');
    expect(result.content).not.toContain('B says');
    // this side's note is in no file now: the caller keeps this side whole
    expect(result.dropped).toContain('ours');
  });

  it('reports a key changed differently on both sides', () => {
    const result = mergeStructured('config.yaml', base, base.replace('0.03', '0.04'), base.replace('0.03', '0.06'), 'theirs')!;
    expect(result.conflicts.map((c) => c.path)).toEqual([['workforce', 'growth']]);
    expect(parseYaml(result.content).workforce.growth).toBe(0.06);
  });
});

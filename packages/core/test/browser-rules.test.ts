import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SyncConfigError } from '../src/errors.js';
import { assertRemoteUrlIsSafe } from '../src/git/remote-url.js';
import { branchNameProblem, buildShareLink, readShareSource, remoteUrlProblem, workspaceBranchNameProblem } from '../src/rules.js';
import { assertBranchName } from '../src/state/branch-state.js';
import { parseShareSource } from '../src/team/share-link.js';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

describe('the rules entry the dashboard bundles', () => {
  it('reaches only modules of core itself: no Node built-in, no package', async () => {
    const seen = new Set<string>();
    const outside: string[] = [];
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await fsp.readFile(file, 'utf8');
      for (const [, specifier] of text.matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)) {
        if (specifier.startsWith('.')) await visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
        else outside.push(`${path.relative(src, file)}: ${specifier}`);
      }
    };
    await visit(path.join(src, 'rules.ts'));
    expect(outside).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('decides remote URLs as assertRemoteUrlIsSafe does', () => {
    const cases: [string, string | null][] = [
      ['https://github.com/a/b.git', null],
      ['git@github.com:a/b.git', null],
      ['ssh://git@host:22/a/b.git', null],
      ['ftp://x/y', 'not-a-remote'],
      ['', 'not-a-remote'],
      ['https://exa mple.com/r.git', 'invalid-url'],
      ['https://user:tok@github.com/a/b.git', 'carries-password'],
    ];
    for (const [url, problem] of cases) {
      expect(remoteUrlProblem(url), url).toBe(problem);
      if (problem) expect(() => assertRemoteUrlIsSafe(url), url).toThrow(SyncConfigError);
      else expect(() => assertRemoteUrlIsSafe(url), url).not.toThrow();
    }
  });

  it('decides workspace branch names as assertBranchName does', () => {
    const cases: [string, string | null][] = [
      ['what-if', null],
      ['Q4_2026.v2', null],
      ['x'.repeat(63), null],
      ['', 'empty'],
      ['x'.repeat(64), 'too-long'],
      ['-what-if', 'first-character'],
      ['.hidden', 'first-character'],
      ['what if', 'character'],
      ['a/b', 'character'],
      ['a..b', 'double-dot'],
      ['a.', 'ending'],
      ['a.lock', 'ending'],
      ['main', 'main-line'],
    ];
    for (const [name, problem] of cases) {
      expect(workspaceBranchNameProblem(name, 'main'), name).toBe(problem);
      if (problem) expect(() => assertBranchName(name, 'main'), name).toThrow(SyncConfigError);
      else expect(() => assertBranchName(name, 'main'), name).not.toThrow();
    }
  });

  it('reads sharing links and addresses as parseShareSource does', () => {
    const link = buildShareLink({ remote: 'https://example.com/team.git', branch: 'plans', workspace: 'ws-1', name: 'Pension plan' });
    expect(readShareSource(`  ${link} `)).toEqual({
      shared: { remote: 'https://example.com/team.git', branch: 'plans', workspace: 'ws-1', name: 'Pension plan' },
      problem: null,
    });
    const refused: [string, string][] = [
      ['planalign://import:99999?remote=x', 'invalid-link'],
      ['planalign://import?branch=main', 'no-remote'],
      ['planalign://other?remote=https%3A%2F%2Fexample.com%2Fr.git', 'no-remote'],
      ['planalign://import?remote=https%3A%2F%2Fu%3At%40example.com%2Fr.git', 'link-remote'],
      ['planalign://import?remote=https%3A%2F%2Fexample.com%2Fr.git&branch=a..b', 'link-branch'],
      ['https://u:t@example.com/r.git', 'address'],
      ['not an address', 'address'],
    ];
    for (const [source, reason] of refused) {
      expect(readShareSource(source).problem?.reason, source).toBe(reason);
      expect(() => parseShareSource(source), source).toThrow(SyncConfigError);
    }
    expect(parseShareSource('git@example.com:team/r.git')).toEqual(readShareSource('git@example.com:team/r.git').shared);
    expect(branchNameProblem('a..b')).toBe('it contains ".."');
  });
});

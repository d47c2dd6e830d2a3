import { spawnSync } from 'node:child_process';
import os from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { branchNameProblem } from '../src/models/branch-name.js';

/** Whether native git takes a name as a branch (outside any repository, so nothing is expanded). */
const gitAccepts = (name: string) => spawnSync('git', ['check-ref-format', '--branch', name], { cwd: os.tmpdir(), encoding: 'utf8' }).status === 0;
/** Git's own words for the current commit: git would take them, sync refuses them. */
const reserved = (name: string) => name === 'HEAD' || name === '@';

describe('branch names', () => {
  it('are accepted and refused as git check-ref-format --branch does (HEAD refused besides)', () => {
    const names = [
      'main',
      'Main',
      'feature/x',
      'what-if/q4-2026',
      'été',
      'a.b',
      'v1.0',
      '@',
      'HEAD',
      'x.lock',
      'a/.b',
      '.a',
      'a..b',
      'a//b',
      '/a',
      'a/',
      'a.',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'a\\b',
      'a@{1}',
      '-a',
      'a\tb',
      'a.lock/b',
      '',
    ];
    for (const name of names) {
      const expected = !reserved(name) && gitAccepts(name);
      expect({ name, accepted: branchNameProblem(name) === null }).toEqual({ name, accepted: expected });
    }
  });

  it('agree with git on random names made of the characters that matter', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '/', '-', '@', '{', '~', ':', ' ', '\\', 'é', 'l', 'o', 'c', 'k', '*');
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 8 }).map((chars) => chars.join('')),
        (name) => {
          expect(branchNameProblem(name) === null).toBe(!reserved(name) && gitAccepts(name));
        },
      ),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyncConfigError } from '../src/errors.js';
import { branchNameProblem } from '../src/models/branch-name.js';
import { REMOTE_NAME_PATTERN } from '../src/models/sync-config.js';
import { buildShareLink, isShareLink, readShareSource, type SharedWorkspace } from '../src/models/share-link.js';
import { parseShareSource, remoteNameFor, sameRemote } from '../src/team/share-link.js';

const REMOTE = 'https://git.example.com/acme/pension-plans.git';

describe('sharing links', () => {
  it('any workspace on any usable remote and branch comes back from its link as it went in', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
    const remote = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('https', 'http'),
          fc.constantFrom('git.example.com', '127.0.0.1:8080', 'Example.COM'),
          fc.array(segment, { minLength: 1, maxLength: 3 }),
        )
        .map(([scheme, host, parts]) => `${scheme}://${host}/${parts.join('/')}.git`),
      fc
        .tuple(fc.constantFrom('git@example.com', 'example.com'), fc.array(segment, { minLength: 1, maxLength: 2 }))
        .map(([host, parts]) => `${host}:${parts.join('/')}.git`),
      fc.constant(`${REMOTE}?query=1&x=y#fragment`),
    );
    const branch = fc.oneof(
      fc.constantFrom('main', 'plans/2026', 'feature-ä'),
      fc.string({ minLength: 1, maxLength: 20 }).filter((name) => branchNameProblem(name) === null),
    );
    const text = fc.option(fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), { nil: null });
    fc.assert(
      fc.property(fc.record({ remote, branch, workspace: text, name: text }), (shared: SharedWorkspace) => {
        const link = buildShareLink(shared);
        expect(isShareLink(link)).toBe(true);
        expect(readShareSource(link)).toEqual({ shared, problem: null });
        expect(parseShareSource(`\n ${link} \t`)).toEqual(shared);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the link people see: planalign://import with the remote, branch, workspace and name', () => {
    const link = buildShareLink({ remote: REMOTE, branch: 'main', workspace: 'ws-1', name: 'Q4 Projections & Board' });
    expect(link).toBe(
      'planalign://import?remote=https%3A%2F%2Fgit.example.com%2Facme%2Fpension-plans.git&branch=main&workspace=ws-1&name=Q4+Projections+%26+Board',
    );
    // A link without a branch means main; the scheme and the host may come in any letter case.
    expect(parseShareSource(`PLANALIGN://Import?remote=${encodeURIComponent(REMOTE)}`)).toEqual({
      remote: REMOTE,
      branch: 'main',
      workspace: null,
      name: null,
    });
    // A bare address is a source too: the workspace is then named separately.
    expect(parseShareSource(REMOTE)).toEqual({ remote: REMOTE, branch: 'main', workspace: null, name: null });
    expect(isShareLink(REMOTE)).toBe(false);
  });

  it.each([
    ['planalign://imp ort?remote=x', /is not a valid planalign link\./],
    ['planalign://import?workspace=ws-1', /does not name a remote: a sharing link looks like planalign:\/\/import\?remote=/],
    [`planalign://export?remote=${encodeURIComponent(REMOTE)}`, /does not name a remote/],
    [
      `planalign://import?remote=${encodeURIComponent('ftp://example.com/r.git')}`,
      /The remote in the link "ftp:\/\/example.com\/r.git" is not a Git remote URL/,
    ],
    [`planalign://import?remote=${encodeURIComponent('https://exa mple.com/r.git')}`, /is not a valid URL: check it for typos/],
    [
      `planalign://import?remote=${encodeURIComponent(REMOTE)}&branch=${encodeURIComponent('plans..old')}`,
      /The branch "plans\.\.old" in the link is not a valid branch name/,
    ],
    ['just some words', /the link "just some words" is not a Git remote URL: use https:\/\/host\/owner\/repo\.git/],
  ])('refuses %s with a message that says what to do', (source, message) => {
    expect(() => parseShareSource(source)).toThrow(SyncConfigError);
    expect(() => parseShareSource(source)).toThrow(message);
  });

  it('says what to do next as data, for each front end to word', () => {
    expect(() => parseShareSource('planalign://imp ort?remote=x')).toThrow(expect.objectContaining({ next: { action: 'copy_link_again' } }));
  });

  it('never repeats a password or token, in a link or an address, and says where a token belongs', () => {
    const withToken = 'https://ana:ghp_s3cret@git.example.com/acme/plans.git';
    for (const source of [withToken, buildShareLink({ remote: withToken, branch: 'main', workspace: 'ws-1', name: null })]) {
      expect(readShareSource(source).problem?.reason).toMatch(/^(address|link-remote)$/);
      const error = (() => {
        try {
          parseShareSource(source, 'the pasted link');
        } catch (caught) {
          return caught as Error;
        }
        throw new Error(`${source} was accepted`);
      })();
      expect(error).toBeInstanceOf(SyncConfigError);
      expect(error.message).toContain('contains a password or token');
      expect(error.message).toContain('PLANALIGN_SYNC_TOKEN');
      expect(error.message).not.toContain('ghp_s3cret');
    }
    // A user name alone is not a secret (some hosts need it).
    expect(parseShareSource('https://ana@git.example.com/acme/plans.git').remote).toBe('https://ana@git.example.com/acme/plans.git');
  });

  it('two spellings of one remote are the same remote; different repositories are not', () => {
    expect(sameRemote(REMOTE, 'https://GIT.example.com/acme/pension-plans/')).toBe(true);
    expect(sameRemote(REMOTE, ' https://git.example.com/acme/pension-plans ')).toBe(true);
    expect(sameRemote(REMOTE, 'https://git.example.com/acme/pension-plans-2.git')).toBe(false);
    expect(sameRemote(REMOTE, 'https://git.example.com/ACME/pension-plans.git')).toBe(false);
    expect(sameRemote('git@example.com:acme/plans.git', 'git@example.com:acme/plans')).toBe(true);
  });

  it('names a team remote after its repository, never origin, and never one already taken', () => {
    const none = new Set<string>();
    expect(remoteNameFor(REMOTE, none)).toBe('pension-plans');
    expect(remoteNameFor('git@example.com:Acme/Team Plans!.git', none)).toBe('team-plans');
    expect(remoteNameFor('https://example.com/origin.git', none)).toBe('origin-shared');
    expect(remoteNameFor('https://example.com/_x.git', none)).toBe('x');
    expect(remoteNameFor('https://example.com/%%%/', none)).toBe('shared');
    expect(remoteNameFor(REMOTE, new Set(['pension-plans', 'pension-plans-2']))).toBe('pension-plans-3');
    expect(remoteNameFor(`https://example.com/${'a'.repeat(80)}.git`, none)).toHaveLength(34);
    // Whatever the address, the name is one the settings accept, and a new one.
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.uniqueArray(fc.constantFrom('shared', 'plans', 'plans-2', 'origin-shared', 'x'), { maxLength: 5 }),
        (tail, taken) => {
          const name = remoteNameFor(`https://example.com/team/${tail}`, new Set(taken));
          expect(name).toMatch(REMOTE_NAME_PATTERN);
          expect(taken).not.toContain(name);
        },
      ),
    );
  });
});

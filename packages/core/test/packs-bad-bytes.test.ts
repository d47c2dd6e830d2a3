import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SyncCorruptDataError } from '../src/errors.js';
import { GitRepository } from '../src/git/repository.js';
import { indexPack } from '../src/git/pack-indexer.js';
import { applyDelta } from '../src/git/pack-format.js';
import { storePack } from '../src/git/pack-writer.js';
import { blobId, delta, git, gitRaw, packOf, refDeltaEntry, repoWithCommits, servePack, tempFolder, wholeEntry } from './packs-helpers.js';

const BASE = Buffer.from('hello world');
const BASE_ID = blobId(BASE);
const noOutsideBases = () => Promise.reject(new Error('no outside base expected'));

/** A pack of BASE and one delta on it. */
const withDelta = (bytes: Buffer) => packOf([wholeEntry('blob', BASE), refDeltaEntry(BASE_ID, bytes)]);

/** Junk after the last entry, under a checksum that covers it (so only the junk is wrong). */
function withJunk(): Buffer {
  const good = packOf([wholeEntry('blob', BASE)]);
  const body = Buffer.concat([good.subarray(0, good.length - 20), Buffer.from('junk!')]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function withBadChecksum(): Buffer {
  const pack = packOf([wholeEntry('blob', BASE)]);
  pack[pack.length - 1] ^= 0xff;
  return pack;
}

const BAD_PACKS: [string, () => Buffer, RegExp][] = [
  ['a delta copying past the end of its base', () => withDelta(delta.of(11, 20, delta.copy(5, 20))), /copies bytes 5-25 of a base of 11 bytes/],
  ['an insert writing past the size the delta announces', () => withDelta(delta.of(11, 3, delta.insert('abcde'))), /writes past the 3 bytes it announces/],
  ['a copy writing past the size the delta announces', () => withDelta(delta.of(11, 4, delta.copy(0, 11))), /writes past the 4 bytes it announces/],
  ['a delta result shorter than announced', () => withDelta(delta.of(11, 20, delta.insert('abcde'))), /makes 5 bytes, but announces 20/],
  [
    'a delta with trailing garbage',
    () => withDelta(Buffer.concat([delta.of(11, 5, delta.insert('abcde')), Buffer.from([0x02, 0x41, 0x42])])),
    /writes past the 5 bytes/,
  ],
  [
    'a delta cut in the middle of an instruction',
    () => withDelta(Buffer.concat([delta.of(11, 10), Buffer.from([10]), Buffer.from('abc')])),
    /ends in the middle of an instruction/,
  ],
  ['a delta for a base of another size', () => withDelta(delta.of(12, 5, delta.insert('abcde'))), /for a base of 12 bytes, but its base has 11/],
  ['a pack announcing more entries than it holds', () => packOf([wholeEntry('blob', BASE)], 2), /announces 2 objects but holds 1/],
  [
    'a pack announcing fewer entries than it holds',
    () => packOf([wholeEntry('blob', BASE), wholeEntry('blob', Buffer.from('x'))], 1),
    /junk after its 1 objects/,
  ],
  ['a wrong trailing checksum', withBadChecksum, /checksum mismatch/],
  ['junk after the last entry', withJunk, /5 bytes of junk after its 1 objects/],
  ['an object whose inflated size differs from its header', () => packOf([wholeEntry('blob', BASE, 7)]), /announces 7 bytes but inflates to 11/],
  ['an entry of an unknown type', () => packOf([Buffer.concat([Buffer.from([0x51]), deflateSync(Buffer.from('x'))])]), /unknown type 5/],
];

describe('bytes that are not a sound pack or object are refused, as native git refuses them', () => {
  it.each(BAD_PACKS)('refuses %s, naming the fault; git index-pack --strict refuses it too', async (_, make, message) => {
    const pack = make();
    await expect(indexPack(pack, noOutsideBases)).rejects.toThrow(message);
    const bare = await tempFolder('bad-pack');
    git(bare, 'init', '-q', '--bare');
    const native = gitRaw(bare, ['index-pack', '--stdin', '--strict'], pack);
    expect(native.status, native.stderr).not.toBe(0);
  });

  it('applies a sound delta exactly, and refuses an invalid instruction (0)', () => {
    expect(applyDelta(BASE, delta.of(11, 9, delta.copy(6, 5), delta.insert('!!!!'))).toString()).toBe('world!!!!');
    expect(() => applyDelta(BASE, Buffer.concat([delta.of(11, 1), Buffer.from([0])]))).toThrow(/invalid instruction/);
  });

  it('refuses, when reading a stored pack, a delta that does not apply', async () => {
    const root = await repoWithCommits(1);
    const pack = withDelta(delta.of(11, 20, delta.copy(5, 20)));
    const deltaOffset = 12 + wholeEntry('blob', BASE).length;
    const fake = 'ab'.repeat(20);
    await storePack(path.join(root, '.git'), pack, [
      { oid: BASE_ID, offset: 12, crc: 0 },
      { oid: fake, offset: deltaOffset, crc: 0 },
    ]);
    const repo = new GitRepository(root);
    expect((await repo.readRawObject(BASE_ID)).content.toString()).toBe('hello world');
    await expect(repo.readRawObject(fake)).rejects.toThrow(new RegExp(`delta at offset ${deltaOffset} .* copies bytes 5-25`));
  });

  it('reports an object whose delta base is missing as damaged, not as absent', async () => {
    const root = await repoWithCommits(1);
    const missing = blobId(Buffer.from('never stored'));
    const pack = packOf([refDeltaEntry(missing, delta.of(12, 2, delta.insert('hi')))]);
    const orphan = 'cd'.repeat(20);
    await storePack(path.join(root, '.git'), pack, [{ oid: orphan, offset: 12, crc: 0 }]);
    const repo = new GitRepository(root);
    const error = await repo.readRawObject(orphan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncCorruptDataError);
    expect((error as Error).message).toMatch(new RegExp(`is on ${missing}, which is missing`));
    await expect(repo.hasCommit(orphan)).rejects.toThrow(/missing/);
  });

  it('refuses a loose object whose bytes do not hash to its name, or whose header lies about its size, as git fsck does', async () => {
    const root = await repoWithCommits(1);
    const gitdir = path.join(root, '.git');
    const repo = new GitRepository(root);
    const head = git(root, 'rev-parse', 'HEAD');
    const file = path.join(gitdir, 'objects', head.slice(0, 2), head.slice(2));
    await fsp.chmod(file, 0o644);
    await fsp.writeFile(file, deflateSync(Buffer.from('blob 5\0hello')));
    await expect(repo.readRawObject(head)).rejects.toThrow(new RegExp(`hash to ${blobId(Buffer.from('hello'))}, not ${head}`));
    expect(gitRaw(root, ['fsck', '--full', '--strict']).status).not.toBe(0);
    const sized = deflateSync(Buffer.from('blob 9\0hello'));
    const sizedId = createHash('sha1').update('blob 9\0hello').digest('hex');
    await fsp.mkdir(path.join(gitdir, 'objects', sizedId.slice(0, 2)), { recursive: true });
    await fsp.writeFile(path.join(gitdir, 'objects', sizedId.slice(0, 2), sizedId.slice(2)), sized);
    await expect(repo.readRawObject(sizedId)).rejects.toThrow(/announces 9 bytes but holds 5/);
    // git cat-file prints what it can; git fsck names the fault.
    expect(gitRaw(root, ['fsck', '--full', '--strict']).stderr).toContain(sizedId.slice(2));
  });

  it('stores nothing and moves no ref when a fetch receives a bad pack', async () => {
    const root = await repoWithCommits(2);
    const repo = new GitRepository(root);
    const tracking = 'refs/remotes/origin/main';
    const before = git(root, 'rev-parse', 'HEAD~1');
    git(root, 'update-ref', tracking, before);
    const packFolder = path.join(root, '.git', 'objects', 'pack');
    const listing = async () => (await fsp.readdir(packFolder).catch(() => [])).sort();
    const packsBefore = await listing();
    for (const [what, make, message] of BAD_PACKS) {
      const server = await servePack('c'.repeat(40), () => make());
      try {
        const error = await repo.fetch({ url: server.url, branch: 'main' }).catch((e: unknown) => e);
        expect(error, what).toBeInstanceOf(SyncCorruptDataError);
        expect((error as Error).message, what).toMatch(message);
        expect((error as Error).message, what).toMatch(/sent a pack that git would refuse: .* Nothing was stored and no branch moved/);
      } finally {
        await server.close();
      }
      expect(await listing(), what).toEqual(packsBefore);
      expect(git(root, 'rev-parse', tracking), what).toBe(before);
    }
    git(root, 'fsck', '--full', '--strict', '--no-progress');
  });
});

import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncBusyError } from '../src/errors.js';
import { IndexLock, inspectIndexLock } from '../src/git/index-lock.js';

const gitdirOf = async () => {
  const gitdir = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-index-lock-')), '.git');
  await fsp.mkdir(path.join(gitdir, 'planalign-sync'), { recursive: true });
  return gitdir;
};

/**
 * A process that stops where a run of this project can be killed: its claim made (the file named
 * by its pid), and linked into place as index.lock or not yet; SIGKILLed once there.
 */
async function killedAt(gitdir: string, step: 'claimed' | 'linked'): Promise<void> {
  const script = `
    const fs = require('node:fs');
    const path = require('node:path');
    const claim = path.join(${JSON.stringify(gitdir)}, 'planalign-sync', 'index-lock-claim.' + process.pid + '.1');
    fs.writeFileSync(claim, '');
    if (${JSON.stringify(step)} === 'linked') fs.linkSync(claim, path.join(${JSON.stringify(gitdir)}, 'index.lock'));
    process.stdout.write('there\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const claimsIn = async (gitdir: string) => (await fsp.readdir(path.join(gitdir, 'planalign-sync'))).filter((name) => name.startsWith('index-lock-claim.'));

describe('index.lock', () => {
  it('a run killed after taking the lock leaves one the next run knows for its own, removes and takes', async () => {
    const gitdir = await gitdirOf();
    await killedAt(gitdir, 'linked');
    expect(existsSync(path.join(gitdir, 'index.lock'))).toBe(true);
    expect(await inspectIndexLock(gitdir)).toMatchObject({ ownLeftover: true });
    const lock = await IndexLock.acquire(gitdir);
    await lock.commit(Buffer.from('new index'));
    expect(await fsp.readFile(path.join(gitdir, 'index'), 'utf8')).toBe('new index');
    expect(existsSync(path.join(gitdir, 'index.lock'))).toBe(false);
    expect(await claimsIn(gitdir)).toEqual([]);
  });

  it('a run killed before taking it leaves no lock, and its claim is cleared by the next run', async () => {
    const gitdir = await gitdirOf();
    await killedAt(gitdir, 'claimed');
    expect(existsSync(path.join(gitdir, 'index.lock'))).toBe(false);
    const lock = await IndexLock.acquire(gitdir);
    expect(await claimsIn(gitdir)).toEqual([expect.stringMatching(new RegExp(`^index-lock-claim\\.${process.pid}\\.\\d+$`))]);
    await lock.release();
    expect(await claimsIn(gitdir)).toEqual([]);
  });

  it("a lock native git holds is left alone, even beside a dead run's claim", async () => {
    const gitdir = await gitdirOf();
    await killedAt(gitdir, 'claimed');
    await fsp.writeFile(path.join(gitdir, 'index.lock'), 'native git at work');
    expect(await inspectIndexLock(gitdir)).toMatchObject({ ownLeftover: false });
    await expect(IndexLock.acquire(gitdir)).rejects.toBeInstanceOf(SyncBusyError);
    expect(await fsp.readFile(path.join(gitdir, 'index.lock'), 'utf8')).toBe('native git at work');
  });

  it('is held by one at a time: a second taker waits, then fails as busy while the first holds it', async () => {
    const gitdir = await gitdirOf();
    const first = await IndexLock.acquire(gitdir);
    await expect(IndexLock.acquire(gitdir)).rejects.toBeInstanceOf(SyncBusyError);
    await first.commit(Buffer.from('first'));
    const second = await IndexLock.acquire(gitdir);
    await second.release();
    expect(await fsp.readFile(path.join(gitdir, 'index'), 'utf8')).toBe('first');
  });
});

import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncBusyError } from '../src/errors.js';
import { lockHolder, lockPath, tryLock, withFileLock, withRootLock } from '../src/state/lock.js';

const gitdirOf = async () => path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-lock-')), '.git');

/** A process that holds a lock file of its own making, as another planalign would, until killed. */
async function otherProcessHolding(file: string): Promise<{ pid: number; stop: () => void }> {
  const script = `
    const fs = require('node:fs');
    fs.mkdirSync(require('node:path').dirname(${JSON.stringify(file)}), { recursive: true });
    fs.writeFileSync(${JSON.stringify(file)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), operation: 'push', started_at: new Date().toISOString() }));
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

describe('the root lock', () => {
  it('is held by one at a time, names its holder, and is free again once released', async () => {
    const file = lockPath(await gitdirOf());
    const release = await tryLock(file, 'push');
    expect(release).not.toBeNull();
    expect(await tryLock(file, 'pull')).toBeNull();
    expect(await lockHolder(file)).toMatchObject({ pid: process.pid, operation: 'push' });
    await release!();
    const again = await tryLock(file, 'pull');
    expect(again).not.toBeNull();
    await again!();
  });

  it('a live holder in another process makes a waiting sync give up with SyncBusyError naming it', async () => {
    const gitdir = await gitdirOf();
    const holder = await otherProcessHolding(lockPath(gitdir));
    try {
      let ran = false;
      const waited = withRootLock(gitdir, 'pull', async () => (ran = true), 300);
      await expect(waited).rejects.toBeInstanceOf(SyncBusyError);
      await expect(withRootLock(gitdir, 'pull', async () => (ran = true), 300)).rejects.toThrow(new RegExp(`push, process ${holder.pid}`));
      expect(ran).toBe(false);
    } finally {
      holder.stop();
    }
  });

  it('a lock left by a process that is gone (killed mid-sync) never blocks the next one', async () => {
    const gitdir = await gitdirOf();
    const holder = await otherProcessHolding(lockPath(gitdir));
    holder.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await withRootLock(gitdir, 'pull', async () => 'synced', 2_000)).toBe('synced');
  });

  it('an empty lock file (its writer died between creating and filling it) is stale only once it is old', async () => {
    const file = lockPath(await gitdirOf());
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, '');
    expect(await tryLock(file, 'push')).toBeNull();
    const old = new Date(Date.now() - 60_000);
    await fsp.utimes(file, old, old);
    const release = await tryLock(file, 'push');
    expect(release).not.toBeNull();
    await release!();
  });

  it('waits for a holder that finishes, and runs the work once free', async () => {
    const file = lockPath(await gitdirOf());
    const order: string[] = [];
    const first = withFileLock(
      file,
      'push',
      async () => {
        order.push('first starts');
        await new Promise((resolve) => setTimeout(resolve, 150));
        order.push('first ends');
      },
      5_000,
      () => 'busy',
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = withFileLock(
      file,
      'pull',
      async () => order.push('second runs'),
      5_000,
      () => 'busy',
    );
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second runs']);
  });
});

import { promises as fsp } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './harness.js';

/**
 * bin/planalign.cjs keeps V8's compiled code of the bundle between runs. Where Node does not
 * keep it itself (before 22.1), the command keeps it in the user's cache folder: it must never
 * change what a command does, and a cache that is damaged or from another build is replaced.
 */
const nodeKeepsItsOwn = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe.skipIf(nodeKeepsItsOwn)('the compiled-code cache (Node 20)', () => {
  const withCache = async (name: string) => {
    const cacheHome = await tempDir(name);
    return { cacheHome, dir: path.join(cacheHome, 'planalign-sync', 'compile-cache'), env: { XDG_CACHE_HOME: cacheHome } };
  };
  const cacheFiles = async (dir: string) => (await fsp.readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.v8')).sort();

  it('is made by the first run, readable by the user alone, and made fuller once by each command that runs', async () => {
    const { dir, env } = await withCache('cache-levels');
    const first = await runCli(['--help'], { env });
    expect(first.code).toBe(0);
    const afterHelp = await cacheFiles(dir);
    expect(afterHelp).toHaveLength(1);
    expect(afterHelp[0]).toMatch(/^planalign\.cjs-\d+-\d+-v[\d.]+-\w+-startup\.v8$/);
    if (process.platform !== 'win32') {
      expect((await fsp.stat(dir)).mode & 0o777).toBe(0o700);
      expect((await fsp.stat(path.join(dir, afterHelp[0]))).mode & 0o777).toBe(0o600);
    }
    // A command loads the rest of the bundle: its cache holds that code too.
    const root = await tempDir('cache-levels-root');
    const status = await runCli(['--root', root, 'sync', 'status', '--offline'], { env });
    expect(status.code).toBe(6);
    const afterCommand = await cacheFiles(dir);
    expect(afterCommand.map((name) => name.replace(/.*-/, ''))).toEqual(['command.v8', 'startup.v8']);
    const [command, startup] = await Promise.all(afterCommand.map((name) => fsp.stat(path.join(dir, name))));
    expect(command.size).toBeGreaterThan(startup.size);
    // Another command's code is added once: the cache grows, and that command no longer rewrites it.
    const commandFile = path.join(dir, afterCommand[0]);
    expect((await runCli(['--root', root, 'sync', 'log'], { env })).code).toBe(6);
    const fuller = await fsp.stat(commandFile);
    expect(fuller.size).toBeGreaterThan(command.size);
    expect((await runCli(['--root', root, 'sync', 'log'], { env })).code).toBe(6);
    expect((await fsp.stat(commandFile)).mtimeMs).toBe(fuller.mtimeMs);
    // Help and the version read the startup cache, which V8 reads in faster; one made again after it was lost stays small.
    await fsp.rm(path.join(dir, afterCommand[1]));
    expect((await runCli(['--version'], { env })).code).toBe(0);
    const remade = await fsp.stat(path.join(dir, afterCommand[1]));
    expect(remade.size).toBeLessThan(fuller.size / 2);
    expect((await fsp.stat(commandFile)).mtimeMs).toBe(fuller.mtimeMs);
    // the same answers with the cache as without it
    const again = await runCli(['--help'], { env });
    expect(again.stdout).toBe(first.stdout);
    expect((await fsp.stat(path.join(dir, afterCommand[1]))).mtimeMs).toBe(remade.mtimeMs);
    const uncached = await runCli(['--root', root, 'sync', 'status', '--offline'], { env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(uncached.stdout).toBe(status.stdout);
  });

  it('a cache damaged anywhere, or one of an earlier build, changes nothing the command does, and is replaced', async () => {
    const { dir, env } = await withCache('cache-damaged');
    const root = await tempDir('cache-damaged-root');
    const expected = await runCli(['--root', root, 'sync', 'status', '--offline'], { env });
    const [command] = (await cacheFiles(dir)).filter((name) => name.endsWith('-command.v8'));
    const file = path.join(dir, command);
    const sound = await fsp.readFile(file);
    // junk throughout, then a few bytes flipped in the middle of V8's data (its header intact)
    const damages = [
      Buffer.alloc(4096, 0x5a),
      Buffer.from(sound.map((byte, i) => (i >= sound.length / 2 && i < sound.length / 2 + 4096 ? byte ^ 0xff : byte))),
    ];
    for (const damaged of damages) {
      await fsp.writeFile(file, damaged);
      // an earlier build's cache, left behind by an update
      const earlier = command.replace(/^planalign\.cjs-\d+-\d+/, 'planalign.cjs-1-1');
      await fsp.writeFile(path.join(dir, earlier), damaged);
      const result = await runCli(['--root', root, 'sync', 'status', '--offline'], { env });
      expect(result).toMatchObject({ code: expected.code, stdout: expected.stdout, stderr: expected.stderr });
      expect((await fsp.readFile(file)).equals(damaged)).toBe(false);
      expect(await cacheFiles(dir)).not.toContain(earlier);
      // and the cache written in its place works
      expect(await runCli(['--root', root, 'sync', 'status', '--offline'], { env })).toMatchObject({ code: expected.code, stdout: expected.stdout });
    }
  });

  it('a relative XDG_CACHE_HOME is ignored, as the XDG specification says: the cache goes under ~/.cache', async () => {
    const home = await tempDir('cache-relative');
    const cwd = await tempDir('cache-relative-cwd');
    expect((await runCli(['--version'], { env: { HOME: home, XDG_CACHE_HOME: 'relcache' }, cwd })).code).toBe(0);
    expect(await fsp.readdir(cwd)).toEqual([]);
    expect(await cacheFiles(path.join(home, '.cache', 'planalign-sync', 'compile-cache'))).toHaveLength(1);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 keeps none, as it does for Node itself', async () => {
    const { dir, env } = await withCache('cache-disabled');
    expect((await runCli(['--version'], { env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' } })).code).toBe(0);
    expect(await cacheFiles(dir)).toEqual([]);
  });
});

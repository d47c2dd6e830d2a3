import { createHash } from 'node:crypto';
import fs from 'node:fs';
import module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/**
 * Loads the command line's bundle with V8's code cache, so that a command does not spend most
 * of its start-up compiling 2 MB of JavaScript. Node 22.1 and later keep the cache themselves
 * (`module.enableCompileCache`). On Node 20 the bundle is compiled through `vm.Script` with the
 * cached data of an earlier run; the cache is written after the command ran, so that it holds
 * every function the command compiled, not only the ones compiled up front (which is what
 * packages such as v8-compile-cache store), and written again, fuller, when a command it does
 * not hold yet runs: each command compiles its code once. `NODE_DISABLE_COMPILE_CACHE=1` turns
 * both off.
 */
export function runBundle(file: string): void {
  const disabled = !!process.env.NODE_DISABLE_COMPILE_CACHE;
  // in Node's types from 22.1 on; this project builds against Node 20's
  const { enableCompileCache } = module as { enableCompileCache?: () => unknown };
  if (enableCompileCache || disabled) {
    if (!disabled) enableCompileCache?.();
    createRequire(file)(file);
    return;
  }
  const source = fs.readFileSync(file, 'utf8');
  const cacheBase = cacheBaseFor(file);
  // V8 reads a whole cache in: a run that only prints help or the version takes the small one.
  const levels: CacheLevel[] = printsHelpOrVersion(process.argv.slice(2)) ? ['startup'] : ['command', 'startup'];
  const cached = cacheBase ? readCache(cacheBase, levels) : null;
  const script = new vm.Script(module.wrap(source), {
    filename: file,
    cachedData: cached?.data,
  });
  const bundleModule: { exports: BundleExports; filename: string; id: string } = { exports: {}, filename: file, id: file };
  if (cacheBase) {
    process.once('exit', () => {
      const command = bundleModule.exports.commandName?.() ?? null;
      const known = cached && !script.cachedDataRejected ? cached : null;
      // A cache holds what the commands it names compiled: one more command makes it fuller. A
      // startup cache comes only from a run that loaded no command's code.
      if (command === null ? !known : !known || !known.commands.includes(command)) {
        const commands = [...(known?.commands ?? []), ...(command === null ? [] : [command])];
        writeQuietly(cacheBase, commands.length > 0 ? 'command' : 'startup', commands, script.createCachedData());
      }
    });
  }
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(bundleModule.exports, bundleModule.exports, createRequire(file), bundleModule, file, path.dirname(file));
}

/** `--help`, `-h`, `--version` or `-V` anywhere: commander prints and exits before any command loads. */
function printsHelpOrVersion(args: string[]): boolean {
  return args.some((arg) => arg === '--help' || arg === '-h' || arg === '--version' || arg === '-V');
}

/** What the bundle tells its loader: the command it loaded and ran, if any. */
interface BundleExports {
  commandName?: () => string | null;
}

/** A cache made by a run that only parsed the command line, or by one that ran a command. */
type CacheLevel = 'startup' | 'command';

/**
 * The file: a mark, a SHA-1 of the rest, the commands whose code it holds (JSON, after its
 * length), then V8's data. V8 checks only its data's header before running it: a file damaged
 * in the middle crashed every command until it was removed.
 */
const MARK = Buffer.from('PSC2');
const HASH_LENGTH = 20;
const digest = (...parts: Uint8Array[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha1')).digest();

interface Cache {
  data: Buffer;
  commands: string[];
}

/** The first sound cache of the levels asked for; a damaged one, or one of another format, counts as none (and is written again). */
function readCache(base: string, levels: CacheLevel[]): Cache | null {
  for (const level of levels) {
    let file: Buffer;
    try {
      file = fs.readFileSync(`${base}-${level}.v8`);
    } catch {
      continue;
    }
    const rest = file.subarray(MARK.length + HASH_LENGTH);
    if (!file.subarray(0, MARK.length).equals(MARK) || !file.subarray(MARK.length, MARK.length + HASH_LENGTH).equals(digest(rest)) || rest.length < 4)
      return null;
    const namesEnd = 4 + rest.readUInt32BE(0);
    try {
      return { commands: JSON.parse(rest.toString('utf8', 4, namesEnd)) as string[], data: rest.subarray(namesEnd) };
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * The cache of this bundle as built (size and time) for this Node and machine, in the user's
 * own cache folder: cached code is run as is, so it is never taken from a shared folder.
 */
function cacheBaseFor(file: string): string | null {
  try {
    const { size, mtimeMs } = fs.statSync(file);
    const dir = path.join(userCacheDir(), 'planalign-sync', 'compile-cache');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return path.join(dir, `${path.basename(file)}-${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}`);
  } catch {
    return null;
  }
}

function userCacheDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') return process.env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches');
  // as the XDG specification says, a relative XDG_CACHE_HOME is ignored
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
}

/**
 * Written whole or not at all (two commands may write it at once), in place of the caches of
 * earlier builds; a cache that cannot be written only makes the next start slower.
 */
function writeQuietly(base: string, level: CacheLevel, commands: string[], data: Buffer): void {
  const file = `${base}-${level}.v8`;
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const names = Buffer.from(JSON.stringify(commands));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(names.length);
    fs.writeFileSync(temporary, Buffer.concat([MARK, digest(length, names, data), length, names, data]), { mode: 0o600 });
    fs.renameSync(temporary, file);
    const [dir, thisBuild] = [path.dirname(base), path.basename(base)];
    const bundle = thisBuild.slice(0, thisBuild.indexOf('-'));
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(`${bundle}-`) && name.endsWith('.v8') && !name.startsWith(`${thisBuild}-`)) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

import { accessSync, constants, openSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * PlanAlign's own command-line program is called `planalign`, like this project's. Ours runs
 * `planalign sync …` and hands every other command to PlanAlign's; regeneration runs
 * PlanAlign's. Ours is told apart by this marker, which its entry file carries.
 */
export const SYNC_ENTRY_MARKER = 'planalign-sync: the planalign command of planalign-sync';

/** Where PlanAlign's program is named when it is not on the PATH. */
export const PLANALIGN_CLI_VARIABLE = 'PLANALIGN_CLI';

/** Why PlanAlign's program cannot be run, in the words of a person who wanted it to run. */
export class PlanalignNotFoundError extends Error {
  constructor(
    readonly reason: 'not-installed' | 'bad-setting',
    message: string,
  ) {
    super(message);
    this.name = 'PlanalignNotFoundError';
  }
}

const HEAD_BYTES = 4096;

function head(file: string): string {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(HEAD_BYTES);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, HEAD_BYTES, 0));
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Whether a program on the PATH is this project's `planalign`: its entry file (a link to it, as
 * npm makes on Linux and macOS), or one of the small scripts npm writes on Windows that start it.
 */
export function isSyncEntry(file: string): boolean {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return false;
  }
  const text = head(real);
  if (text.includes(SYNC_ENTRY_MARKER)) return true;
  // npm's shims name the script they start relative to themselves: %dp0%\…, $basedir/…, $basedir\….
  for (const match of text.matchAll(/(?:%~?dp0%?|\$basedir)[\\/]([^"'\s]+\.(?:m?js|cjs))/g)) {
    if (head(path.resolve(path.dirname(real), match[1].replace(/\\/g, '/'))).includes(SYNC_ENTRY_MARKER)) return true;
  }
  return false;
}

function executable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The names a program is found under: `planalign`, and on Windows with each of PATHEXT's endings. */
function candidateNames(env: NodeJS.ProcessEnv): string[] {
  if (process.platform !== 'win32') return ['planalign'];
  const endings = (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  return endings.map((ending) => `planalign${ending.toLowerCase()}`);
}

/**
 * PlanAlign's `planalign` program: `PLANALIGN_CLI` when set, else the first `planalign` on the
 * PATH that is not this project's. Throws PlanalignNotFoundError saying what to install or set.
 */
export function findPlanalignProgram(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[PLANALIGN_CLI_VARIABLE]?.trim();
  if (configured) {
    if (!executable(configured)) {
      throw new PlanalignNotFoundError(
        'bad-setting',
        `${PLANALIGN_CLI_VARIABLE} is set to "${configured}", which is not a program this computer can run. Point it at PlanAlign's planalign program, or unset it to use the one on the PATH.`,
      );
    }
    if (isSyncEntry(configured)) {
      throw new PlanalignNotFoundError(
        'bad-setting',
        `${PLANALIGN_CLI_VARIABLE} points at this sync tool's own planalign ("${configured}"). Point it at PlanAlign's planalign program.`,
      );
    }
    return configured;
  }
  const names = candidateNames(env);
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (executable(file) && !isSyncEntry(file)) return file;
    }
  }
  throw new PlanalignNotFoundError(
    'not-installed',
    `PlanAlign is not installed on this computer (no planalign program of PlanAlign's is on the PATH). Install PlanAlign, or set ${PLANALIGN_CLI_VARIABLE} to its planalign program.`,
  );
}

/** Whether a configured command names PlanAlign's program by its bare name (as the default does). */
export const namesPlanalign = (program: string): boolean => program === 'planalign' || /^planalign\.(exe|cmd|bat)$/i.test(program);

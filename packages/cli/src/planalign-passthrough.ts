import { spawn } from 'node:child_process';

/** What a shell answers for a command it cannot find: PlanAlign's program, here. */
export const PLANALIGN_NOT_FOUND_EXIT = 127;

/** Options of this program that may come before `sync`; any other first word is PlanAlign's. */
const OWN_OPTIONS = new Set(['--root', '--json', '--debug', '-V', '--version', '-h', '--help']);

/**
 * The PlanAlign command a command line names (`planalign simulate …`, `planalign studio`,
 * `planalign --verbose …`), and whether this program's own options came before it
 * (`planalign --root … simulate`, which is refused with a message); null for this program's own
 * (`planalign sync …`, `planalign --root … sync …`, `--help`, `--version`).
 */
export function planalignCommand(args: string[]): { word: string; afterOwnOptions: boolean } | null {
  for (let i = 0; i < args.length; i += 1) {
    const word = args[i];
    if (OWN_OPTIONS.has(word.split('=')[0])) {
      if (word === '--root') i += 1;
      continue;
    }
    if (word === 'sync' || word === 'help') return null;
    // An unknown option after ours is a mistake on this command line: commander names it.
    if (i > 0 && word.startsWith('-')) return null;
    return { word, afterOwnOptions: i > 0 };
  }
  return null;
}

/** Signals a terminal or a supervisor sends to stop a program; the child gets them too (as npm does). */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs PlanAlign's own `planalign` with the same arguments and standard streams, passes on the
 * signals meant to stop it, and ends the way it ended: its exit code, or the signal that ended it.
 */
export async function runPlanalign(args: string[]): Promise<number> {
  // Loaded here: the core is not needed to tell PlanAlign's commands from this program's.
  const { findPlanalignProgram, PlanalignNotFoundError } = await import('@planalign/sync-core');
  let program: string;
  try {
    program = findPlanalignProgram();
  } catch (error) {
    if (!(error instanceof PlanalignNotFoundError)) throw error;
    process.stderr.write(
      `planalign: "${args[0]}" is a command of PlanAlign. ${error.message}\nThis planalign runs "planalign sync …" (see planalign --help).\n`,
    );
    return PLANALIGN_NOT_FOUND_EXIT;
  }
  const child = spawn(program, args, { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      process.stderr.write(`planalign: could not start PlanAlign's planalign (${program}): ${error.message}\n`);
      resolve(PLANALIGN_NOT_FOUND_EXIT);
    });
    child.once('exit', (code, signal) => {
      for (const forwarded of FORWARDED_SIGNALS) process.off(forwarded, forward);
      // Ended by a signal: end by the same one, so whoever waits sees what a direct run shows.
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

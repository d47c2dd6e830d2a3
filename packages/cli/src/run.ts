import { EXIT_CODES, SyncError, SyncService, adoptPlanAlignRoot, redactUrl, resolveWorkspacesRoot } from '@planalign/sync-core';
import * as actions from './actions/index.js';
import type { CommandRun, GlobalOptions } from './command.js';
import { flagOf, nextStepSentence } from './next-steps.js';
import { TerminalProgress } from './progress.js';

/**
 * Runs one command once its code is loaded: takes over a root PlanAlign's own sync set up,
 * prints the outcome (or the error) and gives the exit code.
 */
export async function runCommand(run: CommandRun, globals: GlobalOptions): Promise<number> {
  const progress = new TerminalProgress();
  const sync = new SyncService(resolveWorkspacesRoot(globals.root));
  let exitCode: number;
  try {
    // A root set up by PlanAlign's own sync is taken over before any command reads it.
    await adoptPlanAlignRoot(sync.root);
    // Said before the command runs: `sync watch` runs until stopped.
    await tellNotices(sync);
    const outcome = await run(actions, globals, progress);
    progress.clear();
    // A command that printed as it went (`sync watch`) has nothing left to print.
    if (globals.json ? outcome.json !== undefined : outcome.text) {
      process.stdout.write(globals.json ? `${JSON.stringify(outcome.json, null, 2)}\n` : `${outcome.text}\n`);
    }
    exitCode = outcome.exitCode ?? EXIT_CODES.ok;
  } catch (error) {
    progress.clear();
    exitCode = reportError(error, globals);
  }
  await tellNotices(sync);
  return exitCode;
}

/** Prints an error as one clear sentence (or JSON), never a stack trace unless --debug. */
export function reportError(error: unknown, globals: GlobalOptions): number {
  const known = error instanceof SyncError;
  const exitCode = known ? error.exitCode : EXIT_CODES.unexpected;
  // Core says what happened; the command line names the flag at fault and the command to go on with.
  const flag = known ? flagOf(error.field) : null;
  const nextStep = known && error.next ? ` ${nextStepSentence(error.next)}` : '';
  const message = (flag ? `${flag}: ` : '') + redactUrl(error instanceof Error ? error.message : String(error)) + nextStep;
  if (globals.json) {
    const body = known ? { ...error.toJSON(), message } : { code: 'unexpected', message, exit_code: exitCode, data: {} };
    process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  } else {
    process.stderr.write(`Error: ${message}\n`);
    if (!known && !globals.debug) process.stderr.write('This is unexpected; run again with --debug for details.\n');
  }
  if (globals.debug && error instanceof Error && error.stack) process.stderr.write(`${redactUrl(error.stack)}\n`);
  return exitCode;
}

/** What the person must hear once (a root taken over from PlanAlign's sync), on stderr so that --json output stays clean. */
async function tellNotices(sync: SyncService): Promise<void> {
  const notices = await sync.takeNotices().catch(() => []);
  for (const notice of notices) process.stderr.write(`Note: ${redactUrl(notice)}\n`);
}

import { CommanderError } from 'commander';
import { EXIT_CODES, SyncError, SyncService, adoptPlanAlignRoot, redactUrl, resolveWorkspacesRoot } from '@planalign/sync-core';
import { buildProgram, type CommandOutcome, type GlobalOptions } from './program.js';
import { planalignCommand, runPlanalign } from './planalign-passthrough.js';
import { TerminalProgress } from './progress.js';
import { flagOf, nextStepSentence } from './next-steps.js';

/** Prints an error as one clear sentence (or JSON), never a stack trace unless --debug. */
function reportError(error: unknown, globals: GlobalOptions): number {
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

async function main(argv: string[]): Promise<number> {
  const planalign = planalignCommand(argv.slice(2));
  if (planalign && !planalign.afterOwnOptions) return runPlanalign(argv.slice(2));
  if (planalign) {
    process.stderr.write(
      `Error: "${planalign.word}" is a command of PlanAlign, which takes none of planalign-sync's options (--root, --json, --debug) before it. Run it as 'planalign ${planalign.word} …'.\n`,
    );
    return EXIT_CODES.usage;
  }
  let exitCode: number = EXIT_CODES.ok;
  let globals: GlobalOptions = {};
  const program = buildProgram(async (command: (globals: GlobalOptions, progress: TerminalProgress) => Promise<CommandOutcome>) => {
    globals = program.opts<GlobalOptions>();
    const progress = new TerminalProgress();
    const sync = new SyncService(resolveWorkspacesRoot(globals.root));
    try {
      // A root set up by PlanAlign's own sync is taken over before any command reads it.
      await adoptPlanAlignRoot(sync.root);
      // Said before the command runs: `sync watch` runs until stopped.
      await tellNotices(sync);
      const outcome = await command(globals, progress);
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
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, successfully.
      if (error.exitCode === 0) return EXIT_CODES.ok;
      // Commander has said it on stderr; a --json caller reads the same error on stdout, as any other.
      if (argv.includes('--json')) {
        const body = { code: 'usage', message: error.message.replace(/^error: /, ''), exit_code: EXIT_CODES.usage, data: {} };
        process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
      }
      return EXIT_CODES.usage;
    }
    return reportError(error, globals);
  }
  return exitCode;
}

process.exitCode = await main(process.argv);

import { CommanderError } from 'commander';
import { EXIT_CODES } from '@planalign/sync-core/rules';
import { buildProgram, type GlobalOptions } from './program.js';
import { planalignCommand, runPlanalign } from './planalign-passthrough.js';
import type { CommandRun } from './command.js';

/** A command line that cannot be run, said on stdout as JSON too when --json asks for it (stderr has it in words). */
function reportUsageAsJson(argv: string[], message: string): void {
  if (!argv.includes('--json')) return;
  const body = { code: 'usage', message, exit_code: EXIT_CODES.usage, data: {} };
  process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
}

let commandRun: string | null = null;

/**
 * The command this run loaded and ran ("sync status"), null for none (`--help`): bin/planalign.cjs
 * keeps V8's cache of the code each command compiled.
 */
export const commandName = () => commandRun;

/**
 * The command line's entry. Parsing, `--help` and `--version` load only the commands'
 * declarations; the core and the commands' work load when a command runs (run.ts).
 */
async function main(argv: string[]): Promise<number> {
  const planalign = planalignCommand(argv.slice(2));
  if (planalign && !planalign.afterOwnOptions) return runPlanalign(argv.slice(2));
  if (planalign) {
    const message = `"${planalign.word}" is a command of PlanAlign, which takes none of planalign-sync's options (--root, --json, --debug) before it. Run it as 'planalign ${planalign.word} …'.`;
    process.stderr.write(`Error: ${message}\n`);
    reportUsageAsJson(argv, message);
    return EXIT_CODES.usage;
  }
  let exitCode: number = EXIT_CODES.ok;
  let globals: GlobalOptions = {};
  let named = '';
  const program = buildProgram(async (run: CommandRun) => {
    globals = program.opts<GlobalOptions>();
    const { runCommand } = await import('./run.js');
    commandRun = named;
    exitCode = await runCommand(run, globals);
  });
  program.hook('preAction', (_program, command) => {
    const names: string[] = [];
    for (let at: typeof command | null = command; at && at !== program; at = at.parent) names.unshift(at.name());
    named = names.join(' ');
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, successfully.
      if (error.exitCode === 0) return EXIT_CODES.ok;
      // Commander has said it on stderr; a --json caller reads the same error on stdout, as any other.
      reportUsageAsJson(argv, error.message.replace(/^error: /, ''));
      return EXIT_CODES.usage;
    }
    const { reportError } = await import('./run.js');
    return reportError(error, globals);
  }
  return exitCode;
}

// A reader that stops early (`planalign sync jobs | head`) closes the pipe: what is left to print
// goes nowhere, and the command itself runs to its end (a sync is never cut short by it).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

main(process.argv).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\nThis is unexpected; run again with --debug for details.\n`);
    process.exitCode = EXIT_CODES.unexpected;
  },
);

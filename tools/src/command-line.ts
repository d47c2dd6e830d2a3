import { parseArgs } from 'node:util';

/**
 * The command lines of the scripts in `src/bin/`: options parsed strictly with `node:util`'s
 * `parseArgs` (an unknown option, a missing value or a stray argument is refused with exit
 * code 2), `--help` listing them, and a failure of the work itself reported with exit code 1.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** the option may be given more than once; its values are collected in order */
  multiple?: boolean;
  /** the placeholder shown after a string option in --help: `--runs N` */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** What was given on the command line; an option left out is undefined. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

/** A command line that cannot be run as given: reported with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Command<O extends OptionSpecs, T> {
  /** the name messages start with */
  name: string;
  /** how it is run, shown first by --help */
  usage: string;
  /** what it does, shown by --help */
  summary: string;
  options: O;
  /** checks the values and turns them into the work's options; throws UsageError when they cannot be used */
  parse: (values: OptionValues<O>) => T;
  /** the work; false when it found a failure (exit code 1) */
  run: (options: T) => Promise<boolean | void> | boolean | void;
  /** the message printed when the work throws; default: the error's message */
  failure?: (error: unknown) => string;
}

/** The text --help prints. */
export function helpText(command: Pick<Command<OptionSpecs, unknown>, 'usage' | 'summary' | 'options'>): string {
  const rows = [
    ...Object.entries(command.options).map(([name, spec]) => [`--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`, spec.description]),
    ['-h, --help', 'print these options and exit'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [`Usage: ${command.usage}`, '', command.summary, '', 'Options:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`), ''].join('\n');
}

/** Parses `argv` strictly: the values given, or 'help' when --help (or -h) was. */
export function parseOptions<O extends OptionSpecs>(argv: string[], options: O): OptionValues<O> | 'help' {
  const config = Object.fromEntries(Object.entries(options).map(([name, spec]) => [name, { type: spec.type, multiple: spec.multiple ?? false }]));
  try {
    const { values } = parseArgs({ args: argv, options: { ...config, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) return 'help';
    return values as OptionValues<O>;
  } catch (error) {
    throw new UsageError(usageMessage(error));
  }
}

/** parseArgs' message, shorter where it explains more than this command needs. */
function usageMessage(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1];
    if (option) return `unknown option ${option}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']*)'/.exec(message)?.[1];
    if (argument !== undefined) return `unexpected argument '${argument}' (this command takes options only)`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    if (option && /argument missing/.test(message)) return `${option} needs a value`;
    if (option && /argument is ambiguous/.test(message)) return `${option} needs a value (one starting with a dash is written ${option}=VALUE)`;
    if (option && /does not take an argument/.test(message)) return `${option} takes no value`;
  }
  return message;
}

/**
 * A whole number given to `option` (as `--name`), or `fallback` when it was left out; anything
 * else, or a number outside `min`..`max`, is a UsageError.
 */
export function wholeNumber(value: string | undefined, option: string, range: { fallback: number; min: number; max?: number }): number {
  if (value === undefined) return range.fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(number) || number < range.min || number > max) {
    const bounds = range.max === undefined ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new UsageError(`${option} must be a whole number ${bounds} (got '${value}')`);
  }
  return number;
}

/** One of `choices` given to `option`, or `fallback` when it was left out. */
export function oneOf<C extends string>(value: string | undefined, option: string, choices: readonly C[], fallback: C): C {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${option} must be one of ${choices.join(', ')} (got '${value}')`);
  return value as C;
}

/**
 * Runs a command with the arguments after the script's path: --help prints the options (exit
 * 0); a command line that cannot be used is reported on stderr with exit code 2; the work's
 * failure sets exit code 1.
 */
export async function runCommand<O extends OptionSpecs, T>(command: Command<O, T>, argv: string[] = process.argv.slice(2)): Promise<void> {
  let options: T;
  try {
    const values = parseOptions(argv, command.options);
    if (values === 'help') {
      process.stdout.write(helpText(command));
      return;
    }
    options = command.parse(values);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${command.name}: ${error.message}\nRun it with --help to see its options.\n`);
    process.exitCode = 2;
    return;
  }
  try {
    if ((await command.run(options)) === false) process.exitCode = 1;
  } catch (error) {
    process.stderr.write(`${command.failure ? command.failure(error) : error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

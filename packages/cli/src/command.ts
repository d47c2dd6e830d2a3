import type { TerminalProgress } from './progress.js';

/** The options every command takes (before or after `sync`). */
export interface GlobalOptions {
  root?: string;
  json?: boolean;
  debug?: boolean;
}

/** What a command hands back: the model to print with --json, the text for people, and the exit code. */
export interface CommandOutcome {
  json: unknown;
  text: string;
  exitCode?: number;
}

/** What the commands do (actions/), handed to a command once it runs. */
export type Actions = typeof import('./actions/index.js');

/** A command's work: given the actions, the global options and the progress line, its outcome. */
export type CommandRun = (actions: Actions, globals: GlobalOptions, progress: TerminalProgress) => Promise<CommandOutcome>;

/** Runs a command's work: main.ts loads the actions, prints the outcome and maps errors to exit codes. */
export type Execute = (run: CommandRun) => Promise<void>;

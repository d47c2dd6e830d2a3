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

import { SyncConfigError } from '../errors.js';

export const PLACEHOLDERS = [
  'workspace_id',
  'scenario_id',
  'run_id',
  'start_year',
  'end_year',
  'config',
  'database',
  'run_dir',
  'scenario_dir',
  'workspace_dir',
  'root',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * Splits `regenerate.command` into a program and its arguments the way a shell would split
 * words (spaces, single and double quotes, backslash escapes), without any of a shell's
 * expansion: values from synced files are never interpreted as shell code.
 */
export function splitCommand(template: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < template.length; i += 1) {
    const char = template[i];
    if (quote) {
      if (char === quote) quote = null;
      else if (char === '\\' && quote === '"' && i + 1 < template.length) word += template[++i];
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < template.length) {
      word += template[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new SyncConfigError(`regenerate.command in .planalign-sync.yaml has an unclosed ${quote} quote.`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new SyncConfigError('regenerate.command in .planalign-sync.yaml is empty: give the program that rebuilds a run.');
  return words;
}

/** The program and arguments for one run: each placeholder replaced inside its own argument. */
export function fillCommand(template: string, values: Record<Placeholder, string>): { program: string; args: string[] } {
  const words = splitCommand(template).map((word) =>
    word.replace(/\{([a-z_]+)\}/g, (match, name: string) => {
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new SyncConfigError(
          `regenerate.command in .planalign-sync.yaml uses an unknown placeholder ${match}: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`,
        );
      }
      return values[name as Placeholder];
    }),
  );
  return { program: words[0], args: words.slice(1) };
}

import ignore, { type Ignore } from 'ignore';
import { GENERATED_RULES } from './gitignore-template.js';

/**
 * One compiled decision of what sync carries, built once per operation from the root's
 * .gitignore and the include/exclude globs of the settings (never re-read per path).
 */
export interface SyncRules {
  /** Whether a file (root-relative, forward slashes) is synced. */
  syncsFile(relativePath: string): boolean;
  /** Whether a folder may hold synced files; false lets the scan skip it without reading it. */
  entersFolder(relativePath: string): boolean;
}

function patternsOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/**
 * Whether a file's fate depends only on its name once its folder is entered: true when every
 * rule that can match a file is a bare name or glob (`*.duckdb`, `dbt_project`), or is anchored
 * to the root itself (`/.gitignore`). Folder-only rules (`seeds/`) are decided by entersFolder.
 * Then a decision made for `run_metadata.json` holds in each of 10,000 run folders.
 */
function decidedByNameBelowRoot(patterns: string[]): boolean {
  return patterns.every((raw) => {
    const pattern = raw.replace(/^!/, '').replace(/\\ $/, ' ');
    if (pattern.endsWith('/')) return true;
    if (pattern.includes('**')) return false;
    const slash = pattern.indexOf('/');
    if (slash === -1) return true;
    return slash === 0 && !pattern.slice(1).includes('/');
  });
}

export function compileSyncRules(gitignoreText: string | null, settings: { include: string[]; exclude: string[] } = { include: [], exclude: [] }): SyncRules {
  const patterns = [...patternsOf(gitignoreText ?? GENERATED_RULES.join('\n')), ...settings.exclude];
  const rules: Ignore = ignore().add(patterns);
  const include = settings.include.length > 0 ? ignore().add(settings.include) : null;
  const byName = include === null && decidedByNameBelowRoot(patterns) ? new Map<string, boolean>() : null;
  const decide = (relativePath: string): boolean => {
    if (rules.ignores(relativePath)) return false;
    // Root files of sync itself are always carried, whatever `include` says.
    if (include && !relativePath.startsWith('.') && !include.ignores(relativePath)) return false;
    return true;
  };
  return {
    syncsFile(relativePath) {
      const slash = relativePath.lastIndexOf('/');
      if (byName === null || slash === -1) return decide(relativePath);
      const name = relativePath.slice(slash + 1);
      let decision = byName.get(name);
      if (decision === undefined) {
        decision = decide(relativePath);
        byName.set(name, decision);
      }
      return decision;
    },
    entersFolder(relativePath) {
      return !rules.ignores(`${relativePath}/`);
    },
  };
}

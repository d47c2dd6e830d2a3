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

export function compileSyncRules(
  gitignoreText: string | null,
  settings: { include: string[]; exclude: string[] } = { include: [], exclude: [] },
): SyncRules {
  const rules: Ignore = ignore().add(gitignoreText ?? GENERATED_RULES.join('\n'));
  rules.add(settings.exclude);
  const include = settings.include.length > 0 ? ignore().add(settings.include) : null;
  return {
    syncsFile(relativePath) {
      if (rules.ignores(relativePath)) return false;
      // Root files of sync itself are always carried, whatever `include` says.
      if (include && !relativePath.startsWith('.') && !include.ignores(relativePath)) return false;
      return true;
    },
    entersFolder(relativePath) {
      return !rules.ignores(`${relativePath}/`);
    },
  };
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

export const GITIGNORE_FILE = '.gitignore';
export const BACKUPS_DIR = '.planalign-sync-backups';
const BEGIN = '# >>> planalign-sync: generated, edit outside this block';
const END = '# <<< planalign-sync';

/**
 * The rules of what sync carries. Only PlanAlign's JSON and YAML go up; large regenerable
 * outputs, user uploads, logs, temporary and lock files never do. Native `git status` in the
 * root agrees with planalign-sync because the same rules live in the real .gitignore.
 */
export const GENERATED_RULES = [
  "# Only PlanAlign's JSON and YAML are synced; everything else stays on this machine.",
  '*',
  '!*/',
  '!*.json',
  '!*.yaml',
  '!*.yml',
  '!/.gitignore',
  '# Large regenerable outputs and user uploads: never synced, rebuilt on demand.',
  '*.duckdb',
  '*.duckdb.wal',
  '*.wal',
  '*.xlsx',
  '*.parquet',
  '*.csv',
  '*.log',
  'dbt_project',
  'dbt_project/',
  'seeds/',
  '/*/data/',
  '/*/imports/',
  '# Temporary, lock and editor files.',
  '*.tmp',
  '*.temp',
  '*.lock',
  '*.swp',
  '*~',
  '.#*',
  '.DS_Store',
  'Thumbs.db',
  '# Versions kept after a conflict: machine-local.',
  `/${BACKUPS_DIR}/`,
];

export function generatedBlock(): string {
  return [BEGIN, ...GENERATED_RULES, END].join('\n');
}

/**
 * Merges the generated block into whatever the user already has: their lines are kept in
 * place; an older generated block is replaced.
 */
export function mergeGitignore(existing: string | null): string {
  const block = generatedBlock();
  if (!existing || existing.trim() === '') return `${block}\n`;
  const start = existing.indexOf(BEGIN);
  const end = existing.indexOf(END);
  if (start !== -1 && end > start) {
    return existing.slice(0, start) + block + existing.slice(end + END.length);
  }
  // User rules come after ours so that their own negations (e.g. `!notes/*.csv`) still win.
  return `${block}\n\n${existing.replace(/\s*$/, '\n')}`;
}

export async function readGitignore(root: string): Promise<string | null> {
  try {
    return readFileSync(path.join(root, GITIGNORE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function writeMergedGitignore(root: string): Promise<void> {
  const current = await readGitignore(root);
  const merged = mergeGitignore(current);
  if (merged !== current) await writeFileAtomic(path.join(root, GITIGNORE_FILE), merged);
}

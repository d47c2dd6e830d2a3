import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { stateDir } from '../state/state-dir.js';

/**
 * Workspaces this computer keeps to itself, as Dropbox's selective sync does: stored in
 * `.git/planalign-sync/selection.json`, so the choice never travels and the other computers
 * go on syncing the workspace. (Keeping one out on every computer is a shared setting,
 * `sync.workspaces.<id>.enabled: false` in `.planalign-sync.yaml`.)
 */
const selectionFile = (gitdir: string) => path.join(stateDir(gitdir), 'selection.json');

export async function readExcludedHere(gitdir: string): Promise<Set<string>> {
  try {
    const parsed = JSON.parse(readFileSync(selectionFile(gitdir), 'utf8')) as { excluded?: unknown };
    return new Set(Array.isArray(parsed.excluded) ? parsed.excluded.filter((id): id is string => typeof id === 'string') : []);
  } catch {
    return new Set();
  }
}

export async function writeExcludedHere(gitdir: string, excluded: Iterable<string>): Promise<void> {
  await fsp.mkdir(path.dirname(selectionFile(gitdir)), { recursive: true });
  await writeFileAtomic(selectionFile(gitdir), `${JSON.stringify({ excluded: [...excluded].sort() }, null, 2)}\n`);
}

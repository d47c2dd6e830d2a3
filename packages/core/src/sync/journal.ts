import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { SyncLogEntry } from '../models/sync-log.js';

/**
 * Machine-local state kept inside `.git/planalign-sync/`, so it is never pushed: the journal
 * of sync operations (one JSON object per line) and the last successful sync time.
 */
export function stateDir(gitdir: string): string {
  return path.join(gitdir, 'planalign-sync');
}

const journalFile = (gitdir: string) => path.join(stateDir(gitdir), 'journal.jsonl');
const stateFile = (gitdir: string) => path.join(stateDir(gitdir), 'state.json');

export async function appendJournal(gitdir: string, entry: SyncLogEntry): Promise<void> {
  await fsp.mkdir(stateDir(gitdir), { recursive: true });
  await fsp.appendFile(journalFile(gitdir), `${JSON.stringify(SyncLogEntry.parse(entry))}\n`);
}

/** Newest first. A torn last line (a killed process) is skipped, not fatal. */
export async function readJournal(gitdir: string, limit: number): Promise<SyncLogEntry[]> {
  let text: string;
  try {
    text = await fsp.readFile(journalFile(gitdir), 'utf8');
  } catch {
    return [];
  }
  const entries: SyncLogEntry[] = [];
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0 && entries.length < limit; i -= 1) {
    if (!lines[i].trim()) continue;
    try {
      entries.push(SyncLogEntry.parse(JSON.parse(lines[i])));
    } catch {
      // skip a torn line
    }
  }
  return entries;
}

export interface LocalState {
  last_sync: string | null;
}

export async function readLocalState(gitdir: string): Promise<LocalState> {
  try {
    const parsed = JSON.parse(await fsp.readFile(stateFile(gitdir), 'utf8')) as Partial<LocalState>;
    return { last_sync: parsed.last_sync ?? null };
  } catch {
    return { last_sync: null };
  }
}

export async function writeLocalState(gitdir: string, state: LocalState): Promise<void> {
  await fsp.mkdir(stateDir(gitdir), { recursive: true });
  await writeFileAtomic(stateFile(gitdir), JSON.stringify(state));
}

import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { SyncLogEntry } from '../models/sync-log.js';
import { stateDir } from '../state/state-dir.js';

// The journal of sync operations (one JSON object per line) and the last successful sync time,
// among this machine's own state.

const journalFile = (gitdir: string) => path.join(stateDir(gitdir), 'journal.jsonl');
const stateFile = (gitdir: string) => path.join(stateDir(gitdir), 'state.json');

export async function appendJournal(gitdir: string, entry: SyncLogEntry): Promise<void> {
  await fsp.mkdir(stateDir(gitdir), { recursive: true });
  await fsp.appendFile(journalFile(gitdir), `${JSON.stringify(SyncLogEntry.parse(entry))}\n`);
}

/**
 * Brings entries recorded elsewhere (PlanAlign's own sync log) into the journal, in time order
 * with the entries already there; an entry the journal holds already is not added twice.
 * Written whole and atomically: a killed process leaves the journal as it was.
 */
export async function importJournal(gitdir: string, entries: SyncLogEntry[]): Promise<number> {
  const present = await readJournal(gitdir, Number.MAX_SAFE_INTEGER);
  const seen = new Set(present.map((entry) => JSON.stringify(entry)));
  const added = entries.map((entry) => SyncLogEntry.parse(entry)).filter((entry) => !seen.has(JSON.stringify(entry)));
  if (added.length === 0) return 0;
  const time = (entry: SyncLogEntry) => Date.parse(entry.timestamp) || 0;
  // readJournal gives newest first; a stable sort keeps entries of the same instant in their order.
  const merged = [...present.reverse(), ...added].sort((a, b) => time(a) - time(b));
  await fsp.mkdir(stateDir(gitdir), { recursive: true });
  await writeFileAtomic(journalFile(gitdir), merged.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  return added.length;
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
    const parsed = JSON.parse(readFileSync(stateFile(gitdir), 'utf8')) as Partial<LocalState>;
    return { last_sync: parsed.last_sync ?? null };
  } catch {
    return { last_sync: null };
  }
}

export async function writeLocalState(gitdir: string, state: LocalState): Promise<void> {
  await fsp.mkdir(stateDir(gitdir), { recursive: true });
  await writeFileAtomic(stateFile(gitdir), JSON.stringify(state));
}

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { ConflictSide } from '../models/conflicts.js';
import type { FileConflict } from './three-way-merge.js';

/**
 * Conflicts left for the user (strategy `ask-user`), kept in `.git/` until every file has a
 * decision. Meanwhile the branch stays where it was, so the root stays usable and unchanged.
 */
export type Decision = ConflictSide;

export interface OpenConflict extends FileConflict {
  /** the side chosen for the file: for JSON and YAML, for each setting not in `choices` */
  decision: Decision | null;
  /** for JSON and YAML, a side chosen setting by setting, by key name ("compensation.cola_rate") */
  choices?: Record<string, Decision>;
}

/** What the user chose for one file. */
export interface FileDecision {
  use: Decision;
  choices: Record<string, Decision>;
}

export interface OpenConflicts {
  remote_commit: string;
  detected_at: string;
  files: OpenConflict[];
}

const fileOf = (gitdir: string) => path.join(gitdir, 'planalign-sync', 'conflicts.json');

export async function readOpenConflicts(gitdir: string): Promise<OpenConflicts | null> {
  try {
    return JSON.parse(await fsp.readFile(fileOf(gitdir), 'utf8')) as OpenConflicts;
  } catch {
    return null;
  }
}

/** Records newly found conflicts, keeping decisions already taken for the same files. */
export async function saveOpenConflicts(gitdir: string, remoteCommit: string, found: FileConflict[]): Promise<OpenConflicts> {
  const previous = await readOpenConflicts(gitdir);
  const decided = new Map((previous?.files ?? []).map((f) => [f.path, f]));
  const record: OpenConflicts = {
    remote_commit: remoteCommit,
    detected_at: new Date().toISOString(),
    files: found.map((conflict) => {
      const before = decided.get(conflict.path);
      return { ...conflict, decision: before?.decision ?? null, ...(before?.choices ? { choices: before.choices } : {}) };
    }),
  };
  await fsp.mkdir(path.dirname(fileOf(gitdir)), { recursive: true });
  await writeFileAtomic(fileOf(gitdir), JSON.stringify(record, null, 2));
  return record;
}

export async function decide(gitdir: string, filePath: string, decision: Decision, choices: Record<string, Decision> = {}): Promise<OpenConflicts | null> {
  const record = await readOpenConflicts(gitdir);
  const file = record?.files.find((f) => f.path === filePath);
  if (!record || !file) return null;
  file.decision = decision;
  if (Object.keys(choices).length > 0) file.choices = choices;
  else delete file.choices;
  await writeFileAtomic(fileOf(gitdir), JSON.stringify(record, null, 2));
  return record;
}

export async function clearOpenConflicts(gitdir: string): Promise<void> {
  await fsp.rm(fileOf(gitdir), { force: true });
}

/** Decisions taken so far, by path. */
export async function decisionsOf(gitdir: string): Promise<Map<string, FileDecision>> {
  const record = await readOpenConflicts(gitdir);
  return new Map((record?.files ?? []).filter((f) => f.decision).map((f) => [f.path, { use: f.decision!, choices: f.choices ?? {} }]));
}

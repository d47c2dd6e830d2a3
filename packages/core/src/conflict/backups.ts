import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { BACKUPS_DIR } from '../ignore/gitignore-template.js';

/** What a backup holds and why: enough to tell people which version it is and to put it back. */
export interface BackupRecord {
  id: string;
  path: string;
  side: 'local' | 'remote' | 'working-copy';
  reason: string;
  strategy: string | null;
  commit: string | null;
  machine: string;
  created_at: string;
}

export function backupsRoot(root: string): string {
  return path.join(root, BACKUPS_DIR);
}

/**
 * Keeps a version that is about to be replaced, under a git-ignored dated folder that mirrors
 * the file's path, with a record beside it. Never overwrites an earlier backup.
 */
export async function saveBackup(
  root: string,
  relativePath: string,
  content: Uint8Array,
  details: Omit<BackupRecord, 'id' | 'path' | 'machine' | 'created_at'>,
): Promise<BackupRecord> {
  const now = new Date();
  const id = `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const folder = path.join(backupsRoot(root), id);
  const target = path.join(folder, ...relativePath.split('/'));
  await fsp.mkdir(path.dirname(target), { recursive: true });
  await writeFileAtomic(target, content);
  const record: BackupRecord = { id, path: relativePath, machine: os.hostname(), created_at: now.toISOString(), ...details };
  await writeFileAtomic(path.join(folder, 'backup.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

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

/** Every backup under the root, newest first; unreadable records are skipped. */
export async function listBackups(root: string): Promise<BackupRecord[]> {
  const ids = await fsp.readdir(backupsRoot(root)).catch(() => [] as string[]);
  const records: BackupRecord[] = [];
  for (const id of ids) {
    try {
      records.push(JSON.parse(await fsp.readFile(path.join(backupsRoot(root), id, 'backup.json'), 'utf8')) as BackupRecord);
    } catch {
      // not a backup folder
    }
  }
  return records.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

/** A backup's record and the bytes it kept, or null when there is no such backup. */
export async function readBackup(root: string, id: string): Promise<{ record: BackupRecord; content: Buffer } | null> {
  if (!/^[\w.-]+$/.test(id)) return null;
  try {
    const record = JSON.parse(await fsp.readFile(path.join(backupsRoot(root), id, 'backup.json'), 'utf8')) as BackupRecord;
    const content = await fsp.readFile(path.join(backupsRoot(root), id, ...record.path.split('/')));
    return { record, content };
  } catch {
    return null;
  }
}

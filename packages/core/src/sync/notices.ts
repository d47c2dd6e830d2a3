import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, tempSuffix } from '../fs/atomic-write.js';
import { stateDir } from '../state/state-dir.js';

/**
 * Things a person must be told once, whichever way they reach this root next (the command line,
 * the dashboard): kept in `.git/planalign-sync/` until something shows them, then forgotten.
 * Core records them where they arise; the command line and the API take them and show them.
 */
const noticesFile = (gitdir: string) => path.join(stateDir(gitdir), 'notices.json');

async function readNotices(file: string): Promise<string[]> {
  try {
    const parsed: unknown = JSON.parse(await fsp.readFile(file, 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/** Keeps a notice until it is shown; the same notice twice is kept once. */
export async function addNotice(gitdir: string, notice: string): Promise<void> {
  const file = noticesFile(gitdir);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const notices = await readNotices(file);
  if (!notices.includes(notice)) await writeFileAtomic(file, JSON.stringify([...notices, notice]));
}

/**
 * The notices waiting to be shown, which are then forgotten. The file is moved aside before it
 * is read, so two processes taking them at once never both show one.
 */
export async function takeNotices(gitdir: string): Promise<string[]> {
  const file = noticesFile(gitdir);
  const taken = `${file}.${tempSuffix()}`;
  try {
    await fsp.rename(file, taken);
  } catch {
    return [];
  }
  try {
    return await readNotices(taken);
  } finally {
    await fsp.rm(taken, { force: true });
  }
}

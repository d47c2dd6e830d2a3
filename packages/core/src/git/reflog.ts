import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Committer } from './committer.js';
import { looseSymbolicTarget } from './refs.js';

const ZERO_OID = '0'.repeat(40);

/**
 * Records a ref's move in its reflog, as git does with `core.logAllRefUpdates` (on by default
 * in a repository with a working tree): `.git/logs/<ref>`, one line per move, for branches,
 * remote-tracking refs and HEAD, and for any other ref whose log already exists. When HEAD
 * points at the branch that moved, HEAD's log gets the line too. `git reflog` then shows every
 * state a branch was in, which is how someone finds a commit again. A log that cannot be written
 * does not stop the sync: the ref itself is what counts.
 */
export function logRefUpdate(
  gitdir: string,
  ref: string,
  previous: string | null,
  next: string,
  who: Committer,
  message: string,
  logAllRefUpdates: boolean,
  now: Date = new Date(),
): void {
  const line = `${previous ?? ZERO_OID} ${next} ${identityLine(who, now)}\t${message.replace(/\n/g, ' ')}\n`;
  const logs = [ref];
  if (looseSymbolicTarget(gitdir, 'HEAD') === ref) logs.push('HEAD');
  for (const name of logs) {
    const file = path.join(gitdir, 'logs', name);
    if (!(logAllRefUpdates && autoCreatesLog(name)) && !existsSync(file)) continue;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, line);
    } catch {
      // a reflog is a record for people; the ref has moved all the same
    }
  }
}

/** git's should_autocreate_reflog for `core.logAllRefUpdates = true`. */
const autoCreatesLog = (ref: string) => ref === 'HEAD' || ['refs/heads/', 'refs/remotes/', 'refs/notes/'].some((prefix) => ref.startsWith(prefix));

/** Who moved a ref and when, as a reflog line names them: `Name <email> seconds ±hhmm`. */
function identityLine(who: Committer, now: Date): string {
  const offset = -now.getTimezoneOffset();
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  const clean = (text: string) => text.replace(/[<>\n]/g, '').trim();
  return `${clean(who.name)} <${clean(who.email)}> ${Math.floor(now.getTime() / 1000)} ${offset < 0 ? '-' : '+'}${hours}${minutes}`;
}

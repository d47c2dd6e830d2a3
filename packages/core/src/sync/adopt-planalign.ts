import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  convertPlanAlignLog,
  convertPlanAlignSettings,
  FLAT_KEYS,
  PLANALIGN_LOG_FILE,
  planAlignLogPath,
  readPlanAlignSettings,
} from '../config/planalign-legacy.js';
import { SETTINGS_FILE, writeSettings } from '../config/settings-file.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { GitRepository } from '../git/repository.js';
import { fileAtPath } from '../git/tree-diff.js';
import { removeUrlPasswords, urlHasPassword } from '../models/remote-url.js';
import { writeMergedGitignore } from '../ignore/gitignore-template.js';
import { importJournal } from './journal.js';
import { stateDir } from '../state/state-dir.js';
import { withRootLock } from '../state/lock.js';
import { addNotice } from './notices.js';

/** What taking over a root set up by PlanAlign's own sync did. */
export interface PlanAlignAdoption {
  /** where the original files are kept (inside .git, never synced), without the token */
  backup: string;
  /** the branch sync goes on with */
  branch: string;
  /** the remote URL held a password or token, taken out of the settings and of .git/config */
  credential_removed: boolean;
  /** entries of PlanAlign's log brought into 'planalign sync log' */
  log_entries: number;
  /** what the person is told, once */
  message: string;
}

const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

/** A folder name from a time: `2025-12-02T10-30-00-000Z`. */
const stamp = (date: Date) => date.toISOString().replace(/[:.]/g, '-');

/**
 * Takes over a root whose `.planalign-sync.yaml` PlanAlign's own sync wrote (flat, the remote URL
 * possibly holding a token, its log `.planalign-sync-log.json` committed beside it), so that
 * syncing goes on with nothing lost and no secret in a tracked file:
 *
 * - the originals are kept in `.git/planalign-sync/planalign-original/<time>/`, tokens taken out;
 * - the log's entries join this root's journal (`planalign sync log`), and the file leaves the
 *   folder, so the next commit no longer carries it (the commits that did are left as they are);
 * - the settings are rewritten in planalign-sync's form, the URL without its password or token,
 *   and `.git/config`'s origin likewise; the generated rules join the root's `.gitignore`;
 * - the branch is the settings' one, unless it has no commit here and the branch this root's
 *   commits are on (PlanAlign may leave them on `master`) does: then that one;
 * - the person is told once what happened, and to revoke a token that was committed.
 *
 * Does nothing (null) for any other root. Runs under the root's lock (`lockHeld`: the caller
 * holds it); a run cut short is taken up again by the next one, the settings file being written last.
 */
export async function adoptPlanAlignRoot(root: string, options: { lockHeld?: boolean } = {}): Promise<PlanAlignAdoption | null> {
  if (!(await readPlanAlignSettings(root))) return null;
  const repo = new GitRepository(root);
  const takeOver = async () => {
    // Another process may have taken it over while this one waited for the lock.
    const found = await readPlanAlignSettings(root);
    if (!found) return null;
    const converted = convertPlanAlignSettings(found.raw);
    const hasRepository = await repo.exists();
    const settingsBranch = converted.sync.branch;
    let branch = settingsBranch;
    if (hasRepository && !(await repo.resolveRef(`refs/heads/${branch}`))) {
      const current = await repo.currentBranch();
      if (current && (await repo.resolveRef(`refs/heads/${current}`))) branch = current;
    }

    const now = new Date();
    const backup = path.join(stateDir(repo.gitdir), 'planalign-original', stamp(now));
    await fsp.mkdir(backup, { recursive: true });
    await writeFileAtomic(path.join(backup, SETTINGS_FILE), removeUrlPasswords(found.text));
    const logText = await fsp.readFile(planAlignLogPath(root), 'utf8').catch(() => null);
    const log = logText === null ? null : convertPlanAlignLog(logText);
    if (logText !== null) await writeFileAtomic(path.join(backup, PLANALIGN_LOG_FILE), removeUrlPasswords(logText));

    const head = hasRepository ? await repo.resolveRef('HEAD') : null;
    const logTracked = head !== null && (await fileAtPath(repo, (await repo.readCommit(head)).tree, PLANALIGN_LOG_FILE)) !== null;
    const imported = log ? await importJournal(repo.gitdir, log.entries) : 0;
    const origin = hasRepository ? await repo.remoteUrl() : null;
    const originHadPassword = origin !== null && urlHasPassword(origin);
    if (originHadPassword) await repo.setRemote(removeUrlPasswords(origin));
    // Kept in the backup and in the journal: out of the folder, the next commit records it gone.
    if (logText !== null) await fsp.rm(planAlignLogPath(root), { force: true });
    await writeMergedGitignore(root);

    const credentialRemoved = converted.credential_removed || originHadPassword;
    const relativeBackup = path.relative(root, backup);
    const lines = [
      `This root was set up by PlanAlign's own sync; planalign-sync has taken it over. ` +
        `${SETTINGS_FILE} is now in planalign-sync's form` +
        (log ? `, the sync log lists the ${entries(log.entries.length)} of ${PLANALIGN_LOG_FILE}` : '') +
        (logTracked ? `, and ${log ? 'that file' : PLANALIGN_LOG_FILE} leaves the repository with the next push` : '') +
        `. The original files are kept${credentialRemoved ? ', without the token,' : ''} in ${relativeBackup}` +
        (log && log.unreadable > 0 ? ` (only they keep the ${entries(log.unreadable)} of the log that could not be read)` : '') +
        '.',
    ];
    if (branch !== settingsBranch) {
      lines.push(`PlanAlign's settings named the branch "${settingsBranch}", but this root's commits are on "${branch}": sync goes on with "${branch}".`);
    }
    if (credentialRemoved) {
      lines.push(
        `The remote URL held a password or token. PlanAlign's sync commits ${SETTINGS_FILE} (and its log, which repeats the URL) with every push, ` +
          `so that token is in the repository's history on the remote: revoke it on the host now, create a new one, ` +
          `and give it to planalign-sync through PLANALIGN_SYNC_TOKEN (or Git's credential helper). ` +
          `The token is gone from the settings and from .git/config; a user name in the URL stays.`,
      );
    }
    const message = lines.join('\n');
    await addNotice(repo.gitdir, message);
    await importJournal(repo.gitdir, [
      {
        timestamp: now.toISOString(),
        operation: 'init',
        workspaces_affected: [],
        scenarios_affected: [],
        message: `Took over the sync set up by PlanAlign${log ? ` and ${entries(imported)} of its log` : ''}; the original settings are kept in ${relativeBackup}`,
        commit: null,
      },
    ]);
    // Last: once the settings are planalign-sync's, the root is taken over.
    await writeSettings(root, { ...converted.sync, branch }, { dropTopLevel: FLAT_KEYS });
    return { backup, branch, credential_removed: credentialRemoved, log_entries: imported, message };
  };
  return options.lockHeld ? takeOver() : withRootLock(repo.gitdir, 'adopt', takeOver);
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { SyncConfigError, SyncNotInitializedError } from '../errors.js';
import { readSettings, readSettingsReport } from '../config/settings-file.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import { removeUrlPasswords, urlHasPassword } from '../models/remote-url.js';
import { readGitignore } from '../ignore/gitignore-template.js';
import { compileSyncRules, type SyncRules } from '../ignore/sync-rules.js';
import type { SyncConfig } from '../models/sync-config.js';
import { readExcludedHere } from '../config/local-selection.js';
import { GitRepository } from '../git/repository.js';
import { ScanCache } from '../workspace/scan-cache.js';
import { adoptPlanAlignRoot } from './adopt-planalign.js';
import type { LiveWorkingTree } from './live-working-tree.js';

/** What every operation on an initialized root starts from. */
export interface SyncContext {
  root: string;
  repo: GitRepository;
  settings: SyncConfig;
  rules: SyncRules;
  /** identifies the rules, so caches computed under other rules are not trusted */
  rulesKey: string;
  branch: string;
  branchRef: string;
  trackingRef: string;
  maxFileBytes: number;
  /** workspaces this computer alone keeps out of sync */
  excludedHere: ReadonlySet<string>;
  /** keys in the settings file this version does not know and ignores ("sync.colour") */
  unknownSettings: string[];
  /** a long-running process's watched view of the root: status and the local-work check look only at what changed */
  live?: LiveWorkingTree;
}

/** `adopt: false` leaves a root set up by PlanAlign's own sync as it is (a look that must change nothing). */
export async function loadSyncContext(root: string, options: { adopt?: boolean; live?: LiveWorkingTree } = {}): Promise<SyncContext> {
  const repo = new GitRepository(root);
  const exists = await repo.exists();
  // A root set up by PlanAlign's own sync is taken over first (once; then this finds nothing to do).
  if (exists && options.adopt !== false) await adoptPlanAlignRoot(root);
  const report = exists ? await readSettingsReport(root) : null;
  const settingsFile = report?.settings;
  if (!settingsFile) {
    // A mistyped --root (or PLANALIGN_WORKSPACES) names no folder at all: say that, not "not set up".
    const reason = existsSync(root)
      ? `Sync is not set up for ${root}.`
      : `There is no folder at ${root}: check the workspaces root (--root, PLANALIGN_WORKSPACES).`;
    throw new SyncNotInitializedError(reason, { next: { action: 'set_up_sync' } });
  }
  await repo.assertSupportedFormat();
  // `adopt: false` is a look that changes nothing (doctor): the settings are corrected by the next command.
  if (options.adopt !== false) await repo.correctInitialCoreSettings();
  const settings = { ...settingsFile.sync, remote: await remoteHere(repo, settingsFile.sync.remote) };
  const gitignore = await readGitignore(root);
  return {
    root,
    repo,
    settings,
    rules: compileSyncRules(gitignore, settings),
    rulesKey: ScanCache.rulesKeyOf(gitignore ?? '', JSON.stringify(settings.include), JSON.stringify(settings.exclude)),
    branch: settings.branch,
    branchRef: `refs/heads/${settings.branch}`,
    trackingRef: `refs/remotes/origin/${settings.branch}`,
    maxFileBytes: settings.max_file_size_mb * 1024 * 1024,
    excludedHere: await readExcludedHere(repo.gitdir),
    unknownSettings: report.unknown,
    live: options.live,
  };
}

/**
 * The remote this computer talks to: the address init stored in its own `.git/config`. The
 * settings file is shared, and the address in it is that of whichever computer wrote it last: one
 * that joined with its user name in the URL, or through another address of the same server, must
 * not move every other computer to its address. The file's address serves where `.git/config`
 * has none; null when the file names none (sync not connected).
 */
export async function remoteHere(repo: GitRepository, inSettings: string | null): Promise<string | null> {
  if (!inSettings) return null;
  const found = await repo.remoteUrl().catch(() => null);
  // A password there (PlanAlign's own sync kept its token in the URL) is never used or shown:
  // credentials come from the token store. Adoption removes it from the file.
  const origin = found && urlHasPassword(found) ? removeUrlPasswords(found) : found;
  if (!origin || origin === inSettings) return inSettings;
  // changed with native git (`git remote set-url`), it is checked as the settings file's is
  assertRemoteUrlIsSafe(origin, `${repo.gitdir}${path.sep}config: remote.origin.url`);
  return origin;
}

/** The settings as this computer applies them: the shared file's, with this computer's remote (see remoteHere). */
export async function settingsHere(root: string): Promise<SyncConfig | null> {
  const settings = (await readSettings(root))?.sync;
  if (!settings) return null;
  const repo = new GitRepository(root);
  return (await repo.exists()) ? { ...settings, remote: await remoteHere(repo, settings.remote) } : settings;
}

/** The remote to talk to: this computer's (see remoteHere). */
export function requireRemote(context: SyncContext): string {
  if (!context.settings.remote) {
    throw new SyncConfigError(`No remote is set for ${context.root}.`, { next: { action: 'set_up_sync' } });
  }
  return context.settings.remote;
}

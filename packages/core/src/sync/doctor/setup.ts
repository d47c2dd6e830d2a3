import { readPlanAlignSettings } from '../../config/planalign-legacy.js';
import { SyncConfigError, SyncNotInitializedError } from '../../errors.js';
import { GitRepository } from '../../git/repository.js';
import type { DoctorFinding } from '../../models/doctor.js';
import { redactUrl } from '../../models/remote-url.js';
import { plural } from '../../util/plural.js';
import { loadSyncContext, type SyncContext } from '../sync-context.js';

/** What the other checks can work on: the repository when its format is one sync reads, the context when the settings are sound. */
export interface SetupFindings {
  finding: DoctorFinding;
  repo: GitRepository | null;
  context: SyncContext | null;
}

/** Whether sync is set up here: a repository in a format sync reads, settings that parse, a remote. Nothing is changed. */
export async function checkSetup(root: string): Promise<SetupFindings> {
  const repo = new GitRepository(root);
  const problem = (summary: string, detail?: string, next: DoctorFinding['next'] | null = { action: 'set_up_sync' }): DoctorFinding => ({
    check: 'setup',
    status: 'problem',
    summary,
    ...(detail ? { detail } : {}),
    ...(next ? { next } : {}),
  });
  if (!(await repo.exists())) return { finding: problem(`Sync is not set up for ${root}.`), repo: null, context: null };
  try {
    await repo.assertSupportedFormat();
  } catch (error) {
    if (!(error instanceof SyncConfigError)) throw error;
    return { finding: problem(`The repository in ${root} is in a format sync does not read.`, error.message, null), repo: null, context: null };
  }
  if (await readPlanAlignSettings(root).catch(() => null)) {
    return {
      finding: {
        check: 'setup',
        status: 'warning',
        summary: `${root} was set up by PlanAlign's own sync; the next sync takes it over, keeping its history and settings.`,
        next: { action: 'sync_again' },
      },
      repo,
      context: null,
    };
  }
  let context: SyncContext;
  try {
    context = await loadSyncContext(root, { adopt: false });
  } catch (error) {
    if (error instanceof SyncNotInitializedError) {
      return { finding: problem(`${root} has a Git repository but no sync settings (.planalign-sync.yaml).`), repo, context: null };
    }
    if (error instanceof SyncConfigError) {
      return { finding: problem('The sync settings cannot be used.', error.message, error.next ?? { action: 'fix_settings' }), repo, context: null };
    }
    throw error;
  }
  const teams = Object.keys(context.settings.remotes);
  if (!context.settings.remote && teams.length === 0) return { finding: problem(`No remote is set for ${root}.`), repo, context };
  const origin = context.settings.remote ? `${redactUrl(context.settings.remote)} (branch ${context.branch})` : 'no main remote';
  const withTeams = teams.length > 0 ? `, and ${plural(teams.length, 'team remote')}` : '';
  return { finding: { check: 'setup', status: 'ok', summary: `Sync is set up: ${origin}${withTeams}.` }, repo, context };
}

import { ApiError, type ArchiveResult, type ArchivedWorkspace, type WorkspaceBranch, type WorkspaceSyncState } from './api.js';
import { nextStepWords } from './next-steps.js';

export type BadgeTone = 'ok' | 'push' | 'pull' | 'conflict' | 'local';

/**
 * The sync badge people see on a workspace card: ✓ Synced, ↑ 2 changes, ↓ Changes to get,
 * ↑↓ 2 changes · changes to get (both at once), ⚠ Conflict, ○ Not synced.
 */
export function workspaceBadge(workspace: Pick<WorkspaceSyncState, 'state' | 'changes' | 'pull_available' | 'sync_enabled' | 'excluded_on'>): {
  icon: string;
  label: string;
  tone: BadgeTone;
} {
  switch (workspace.state) {
    case 'synced':
      return { icon: '✓', label: 'Synced', tone: 'ok' };
    case 'push_needed': {
      const changes = `${workspace.changes} ${workspace.changes === 1 ? 'change' : 'changes'}`;
      // work from the other computers is waiting too: the card says both
      if (workspace.pull_available) return { icon: '↑↓', label: `${changes} · changes to get`, tone: 'push' };
      return { icon: '↑', label: changes, tone: 'push' };
    }
    case 'pull_available':
      return { icon: '↓', label: 'Changes to get', tone: 'pull' };
    case 'conflict':
      return { icon: '⚠', label: 'Conflict', tone: 'conflict' };
    case 'local_only':
      return {
        icon: '○',
        label:
          workspace.excluded_on === 'every_computer'
            ? 'Not synced on any computer'
            : workspace.excluded_on === 'this_computer'
              ? 'Not synced from this computer'
              : 'Not synced',
        tone: 'local',
      };
  }
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "2 hours ago", "yesterday", "just now". */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return 'unknown';
  const seconds = Math.round((time - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'minute') return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

export function exactTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function scenarioLine(workspace: WorkspaceSyncState, now = Date.now()): string {
  const runs = workspace.last_run_at ? `Last run: ${timeAgo(workspace.last_run_at, now)}` : 'No runs yet';
  return `${plural(workspace.scenario_count, 'scenario')} · ${runs}`;
}

/** A remote URL as people recognise it: host and repository, without the scheme. */
export function shortRemote(url: string | null | undefined): string {
  if (!url) return 'no shared copy';
  return url.replace(/^[a-z+]+:\/\//, '').replace(/\.git$/, '');
}

/** The shared copy cannot be reached: said once, wherever the page notices it. */
export const OFFLINE = {
  title: 'Could not reach the shared copy.',
  detail: 'This computer may be offline. Your work is saved here and syncs when the connection is back.',
};

/**
 * Why an import failed, telling an address that could not be reached from one that answered
 * but holds no shared workspace.
 */
export function explainImportError(error: unknown): { title: string; detail: string } {
  if (error instanceof ApiError) {
    if (error.code === 'network') {
      return {
        title: 'That address could not be reached.',
        detail: 'Check it for typos, and that this computer is online. Nothing was imported.',
      };
    }
    const noRepository =
      error.code === 'invalid_configuration' && (error.next?.action === 'change_address' || /did not answer like a Git server/.test(error.message));
    const noWorkspace = error.next?.action === 'choose_workspace' && !error.next.workspaces?.length;
    if (noRepository || noWorkspace) {
      return {
        title: 'There is no shared workspace at that address.',
        detail: 'Check the address, or ask the person who shared the workspace to copy its sharing link again. Nothing was imported.',
      };
    }
  }
  return explainError(error, 'import the workspace');
}

/**
 * What went wrong, in words for someone who does not use Git: what happened and what to do.
 * The server's own message (which names the file or setting) follows when it adds something.
 */
export function explainError(error: unknown, failedTo?: string): { title: string; detail: string } {
  if (!(error instanceof ApiError)) return { title: 'Something went wrong.', detail: error instanceof Error ? error.message : String(error) };
  switch (error.code) {
    case 'api_unreachable':
      return {
        title: 'The sync service is not running.',
        detail: 'Start PlanAlign Studio (or planalign-sync-api) again; this page picks up by itself once it answers.',
      };
    case 'api_token_required':
      return { title: 'This sync server needs its access token.', detail: 'Enter the token it was started with (PLANALIGN_SYNC_API_TOKEN).' };
    case 'api_token_invalid':
      return { title: 'That access token is not the right one.', detail: 'Check the token the sync server was started with (PLANALIGN_SYNC_API_TOKEN).' };
    case 'network':
      // the server's sentence names the address and a socket code: not words for a planner
      return { title: OFFLINE.title, detail: OFFLINE.detail };
    case 'proxy_auth_failed':
      return { title: 'The company network’s proxy asked this computer to sign in.', detail: error.next ? nextStepWords(error.next) : '' };
    case 'auth_failed':
      return {
        title: 'The shared copy did not accept this computer’s access.',
        detail: error.next ? nextStepWords(error.next) : 'The access token may have expired or been replaced.',
      };
    case 'conflict':
      return {
        title: 'Some files were changed on two computers.',
        detail: `Choose which version to keep under Conflicts${error.conflictingFiles.length ? ` (${error.conflictingFiles.length} ${error.conflictingFiles.length === 1 ? 'file' : 'files'})` : ''}. Nothing was changed until you choose.`,
      };
    case 'busy':
      return { title: 'A sync is already running.', detail: 'Wait for it to finish, then try again.' };
    case 'not_initialized':
      return { title: 'Sync is not set up yet.', detail: 'Connect this computer to the shared copy first.' };
    case 'not_found':
      return { title: failedTo ? `Could not ${failedTo}.` : 'That is no longer there.', detail: withNextStep(error) };
    case 'invalid_configuration':
    case 'invalid_request':
      return { title: failedTo ? `Could not ${failedTo}.` : 'That setting was not accepted.', detail: withNextStep(error) };
    default:
      return { title: 'Something went wrong.', detail: withNextStep(error) };
  }
}

/**
 * A file of a workspace as people know it: "Baseline › scenario.json" rather than two UUIDs.
 * `scenarios` maps scenario ids to their names.
 */
export function workspaceFileLabel(file: string, scenarios: ReadonlyMap<string, string> = new Map()): string {
  const inScenario = /^[^/]+\/scenarios\/([^/]+)\/(.+)$/.exec(file);
  if (inScenario) return `${scenarios.get(inScenario[1]) ?? 'Scenario'} › ${inScenario[2]}`;
  return file.replace(/^[^/]+\//, '');
}

/**
 * A merge stopped because the branch and the main line changed the same setting: nothing was
 * merged, and the way on is to say which line wins.
 */
export function explainMergeConflict(error: ApiError, branch: string, scenarios: ReadonlyMap<string, string>): { title: string; detail: string } {
  const files = error.conflictingFiles.map((file) => workspaceFileLabel(file, scenarios));
  return {
    title: `The what-if version "${branch}" and the main version changed the same ${files.length === 1 ? 'file' : 'files'}.`,
    detail:
      `${files.length ? `Changed in both: ${files.join(', ')}. ` : ''}Nothing was brought in. ` +
      'Choose “The main version wins” or “The what-if version wins” (or “Newest change wins”) and try again; the other version is kept as a backup.',
  };
}

/**
 * Whether the server refused to delete a branch because the main line lacks some of its work,
 * and how many changes that is.
 */
export function unmergedWork(error: unknown): { changes: number | null } | null {
  if (!(error instanceof ApiError) || error.code !== 'unmerged_work') return null;
  return { changes: error.details.commits ?? null };
}

/** Where a branch is, in words: only here, only on the remote, or both. */
export function branchPlace(branch: Pick<WorkspaceBranch, 'where' | 'ahead'>): string {
  // a branch only here is shared by the next sync, whatever it holds
  if (branch.where === 'local') return 'Only on this computer · sync to share it';
  if (branch.where === 'remote') return 'In the shared copy, from a teammate';
  return branch.ahead > 0 ? `Here and in the shared copy · ${plural(branch.ahead, 'change')} to sync` : 'Here and in the shared copy';
}

/** What archiving did, for planners: put away everywhere, a copy kept, and how to get it back. */
export function archivedWords(result: Pick<ArchiveResult, 'name' | 'left_in_folder'>): string {
  const kept = result.left_in_folder > 0 ? ' Result files and uploads on this computer stay in its folder.' : '';
  return `“${result.name}” is archived. The other computers put it away the next time they sync; bring it back any time from Archived workspaces.${kept}`;
}

/** What bringing a workspace back did. */
export function broughtBackWords(result: Pick<ArchiveResult, 'name'>, entry: Pick<ArchivedWorkspace, 'scenarios' | 'runs'>): string {
  const counts = entry.scenarios === null ? '' : `, with ${plural(entry.scenarios, 'scenario')} and ${plural(entry.runs ?? 0, 'run')}`;
  return `“${result.name}” is back${counts}. The other computers get it the next time they sync.`;
}

/** A setting's value in a comparison: text as written, numbers and lists as JSON, nothing as a dash. */
export function settingValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}

/** The server's sentence, followed by what to do about it in the dashboard's words. */
function withNextStep(error: ApiError): string {
  return error.next ? `${error.message} ${nextStepWords(error.next)}` : error.message;
}

import type { DoctorFinding } from '../../models/doctor.js';
import { readLocalState } from '../journal.js';
import { formatDuration } from './wording.js';

/** A root that has not synced for this long is probably not syncing any more. */
const STALE_AFTER_SECONDS = 7 * 86400;

/** When this computer last synced successfully (push, pull or set-up), from its own state in `.git`. */
export async function checkLastSync(gitdir: string, now: () => number): Promise<DoctorFinding> {
  const { last_sync: lastSync } = await readLocalState(gitdir);
  const at = lastSync ? Date.parse(lastSync) : Number.NaN;
  if (Number.isNaN(at)) {
    return { check: 'last_sync', status: 'warning', summary: 'This computer has not synced yet.', next: { action: 'push' } };
  }
  const seconds = Math.max(0, Math.round((now() - at) / 1000));
  const finding = { check: 'last_sync' as const, since: new Date(at).toISOString(), seconds };
  if (seconds > STALE_AFTER_SECONDS) {
    return {
      ...finding,
      status: 'warning',
      summary: `The last sync that succeeded was ${formatDuration(seconds)} ago: whatever changed here since is only on this computer.`,
      next: { action: 'sync_again' },
    };
  }
  return { ...finding, status: 'ok', summary: seconds < 60 ? 'The last sync succeeded just now.' : `The last sync succeeded ${formatDuration(seconds)} ago.` };
}

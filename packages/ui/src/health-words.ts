import type { DoctorFinding } from './api.js';
import { timeAgo } from './format.js';

/** What each check looks at, as a planner would name it. */
export const HEALTH_TOPICS: Record<DoctorFinding['check'], string> = {
  setup: 'Set-up',
  remote: 'Reaching the shared copy',
  credentials: 'Access to the shared copy',
  clock: 'This computer’s clock',
  lock: 'Syncs in progress',
  checkout: 'Interrupted updates',
  index: 'The workspaces folder',
  objects: 'Sync history on this computer',
  repository_size: 'Size of the shared copy',
  disk_space: 'Disk space',
  skipped_files: 'Files that do not sync',
  last_sync: 'Last sync',
};

/** `1.2 GB`, `340 MB`. */
export function sizeWords(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ];
  for (const [size, unit] of units) if (bytes >= size) return `${(bytes / size).toFixed(bytes < size * 10 ? 1 : 0)} ${unit}`;
  return `${bytes} bytes`;
}

/** `45 seconds`, `12 minutes`, `3 hours`, `2 days`. */
export function durationWords(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 120) return unit(s, 'second');
  if (s < 7200) return unit(Math.round(s / 60), 'minute');
  if (s < 172800) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.round(s / 86400), 'day');
}

/**
 * A finding in a planner's words, without Git's: what was found. The core's own sentence (which
 * may name files, addresses and Git's terms) is shown apart, as the technical details.
 */
export function healthSentence(finding: DoctorFinding, now = Date.now()): string {
  const fine = finding.status === 'ok';
  switch (finding.check) {
    case 'setup':
      if (fine) return 'Sync is set up on this computer.';
      return finding.status === 'warning'
        ? 'This computer was set up by PlanAlign’s own sync; the next sync takes it over.'
        : 'Sync is not set up on this computer.';
    case 'remote':
      return fine
        ? `${finding.remote === 'origin' ? 'The shared copy' : `The shared copy “${finding.remote}”`} answers.`
        : 'The shared copy cannot be reached.';
    case 'credentials':
      return fine
        ? 'The shared copy accepts this computer’s access.'
        : 'The shared copy does not accept this computer’s access for sending and receiving changes.';
    case 'clock':
      if (finding.status === 'skipped') return 'The clock could not be compared with the shared copy’s.';
      if (fine) return 'This computer’s clock is right.';
      return `This computer’s clock is ${durationWords(finding.seconds ?? 0)} ${(finding.seconds ?? 0) > 0 ? 'fast' : 'slow'}: the newest change may not be the one kept.`;
    case 'lock':
      if (finding.next?.action === 'remove_stale_lock') return 'A sync that stopped left a note saying it was still running.';
      if (finding.next?.action === 'end_stuck_sync') return `A sync has been running for ${durationWords(finding.seconds ?? 0)}: it may be stuck.`;
      return finding.seconds !== undefined ? 'A sync is running now.' : 'No sync is stuck.';
    case 'checkout':
      return fine ? 'No update of your files was left half-done.' : 'An update of your files was interrupted; the next sync finishes it.';
    case 'index':
      if (fine) return 'The workspaces folder is in order.';
      if (finding.next?.action === 'rebuild_index') return 'Sync cannot read its list of the folder’s files, so it checks every file (slower).';
      return 'Another program is in the middle of changing the workspaces folder.';
    case 'objects':
      return fine ? 'The sync history on this computer is intact.' : 'Part of the sync history on this computer is damaged.';
    case 'repository_size':
      return fine ? `The shared copy’s size is fine (${sizeWords(finding.bytes ?? 0)}).` : 'The shared copy is growing too large for where it is kept.';
    case 'disk_space':
      return fine ? `${sizeWords(finding.bytes ?? 0)} free on this computer’s disk.` : `Only ${sizeWords(finding.bytes ?? 0)} free on this computer’s disk.`;
    case 'skipped_files': {
      if (fine) return 'Every file can be synced.';
      const count = finding.paths?.length ?? 0;
      // The report lists up to 20 files.
      return `${count === 1 ? 'A file is' : `${count}${count >= 20 ? ' or more' : ''} files are`} not synced; the other computers keep their last version.`;
    }
    case 'last_sync':
      if (!finding.since) return 'This computer has not synced yet.';
      return `Last synced ${timeAgo(finding.since, now)}.`;
  }
}

import type { DoctorCheck, DoctorReport, FindingStatus } from '@planalign/sync-core';
import { plural } from '@planalign/sync-core';
import { nextStepSentence } from './next-steps.js';

const MARKS: Record<FindingStatus, string> = { ok: '✓', warning: '!', problem: '✗', skipped: '-' };

const NAMES: Record<DoctorCheck, string> = {
  setup: 'Set-up',
  remote: 'Remote',
  credentials: 'Credentials',
  clock: 'Clock',
  lock: 'Lock',
  checkout: 'Interrupted update',
  index: 'Index',
  objects: 'Repository',
  repository_size: 'Repository size',
  disk_space: 'Disk space',
  skipped_files: 'Files not synced',
  last_sync: 'Last sync',
};

const PATHS_SHOWN = 5;

/** One line per check (✓ ok, ! warning, ✗ problem, - not checked) with what to do, then the files or objects concerned. */
export function renderDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  for (const finding of report.findings) {
    const name = NAMES[finding.check] + (finding.remote && finding.remote !== 'origin' ? ` (${finding.remote})` : '');
    const attention = finding.status === 'warning' || finding.status === 'problem';
    const next = attention && finding.next ? ` ${nextStepSentence(finding.next)}` : '';
    lines.push(`${MARKS[finding.status]} ${name}: ${finding.summary}${next}`);
    if (!attention) continue;
    const paths = finding.paths ?? [];
    for (const shown of paths.slice(0, PATHS_SHOWN)) lines.push(`    ${shown}`);
    if (paths.length > PATHS_SHOWN) lines.push(`    … and ${paths.length - PATHS_SHOWN} more (--json lists them)`);
  }
  const attention = report.findings.filter((finding) => finding.status === 'warning' || finding.status === 'problem').length;
  lines.push(attention === 0 ? 'Everything sync needs is in order.' : `${plural(attention, 'check')} need${attention === 1 ? 's' : ''} attention.`);
  return lines.join('\n');
}

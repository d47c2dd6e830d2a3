import type { DoctorFinding, FindingStatus } from '../../models/doctor.js';
import { plural } from '../../util/plural.js';

/** `1.2 GB`, `340 MB`, `12 KB`, `512 bytes`. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${(bytes / size).toFixed(bytes < size * 10 ? 1 : 0)} ${unit}`;
  }
  return plural(bytes, 'byte');
}

/** `45 seconds`, `12 minutes`, `3 hours`, `9 days`. */
export function formatDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 120) return plural(s, 'second');
  if (s < 2 * 3600) return plural(Math.round(s / 60), 'minute');
  if (s < 2 * 86400) return plural(Math.round(s / 3600), 'hour');
  return plural(Math.round(s / 86400), 'day');
}

const SEVERITY: Record<FindingStatus, number> = { skipped: 0, ok: 1, warning: 2, problem: 3 };

/**
 * One finding for a check that found several things: the most serious one, with the others
 * added to its detail, so each check gives one line.
 */
export function mostSerious(found: DoctorFinding[]): DoctorFinding {
  const sorted = [...found].sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status]);
  const [first, ...others] = sorted;
  const more = others.filter((other) => other.status === 'warning' || other.status === 'problem').map((other) => other.summary);
  if (more.length === 0) return first;
  return { ...first, detail: [first.detail, ...more].filter(Boolean).join('\n') };
}

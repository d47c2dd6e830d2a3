/**
 * Settings and files of a PlanAlign workspace in a planner's words: "COLA rate is 2.5 %"
 * rather than `compensation.cola_rate: 0.025`.
 */

/** How a known setting's value reads: a share as a percentage, a switch as on or off. */
type Kind = 'percent' | 'switch' | 'year' | 'plain';

/** PlanAlign's own settings (as its workspaces write them), by the key's last segment. */
const KNOWN: Record<string, { name: string; kind: Kind }> = {
  name: { name: 'Name', kind: 'plain' },
  description: { name: 'Description', kind: 'plain' },
  status: { name: 'Status', kind: 'plain' },
  cola_rate: { name: 'COLA rate', kind: 'percent' },
  merit_budget: { name: 'Merit budget', kind: 'percent' },
  target_growth_rate: { name: 'Target growth rate', kind: 'percent' },
  total_termination_rate: { name: 'Termination rate', kind: 'percent' },
  new_hire_termination_rate: { name: 'New-hire termination rate', kind: 'percent' },
  default_deferral_rate: { name: 'Default deferral rate', kind: 'percent' },
  auto_enrollment: { name: 'Automatic enrollment', kind: 'switch' },
  match: { name: 'Employer match', kind: 'plain' },
  employee_max: { name: 'Matched up to', kind: 'percent' },
  match_rate: { name: 'Match rate', kind: 'percent' },
  start_year: { name: 'First year', kind: 'year' },
  end_year: { name: 'Last year', kind: 'year' },
  random_seed: { name: 'Random seed', kind: 'plain' },
  config_overrides: { name: 'Setting changes', kind: 'plain' },
  results_summary: { name: 'Results summary', kind: 'plain' },
  final_headcount: { name: 'Final headcount', kind: 'plain' },
  total_events: { name: 'Number of events', kind: 'plain' },
  last_run_at: { name: 'Last run', kind: 'plain' },
  last_run_id: { name: 'Last run', kind: 'plain' },
  created_at: { name: 'Created', kind: 'plain' },
};

/** Short words people write in capitals. */
const ACRONYMS = new Set(['cola', 'id', 'hce', 'nhce', 'irs', 'ytd', 'fte', 'pto', 'hr', 'es', 'url']);

/** `new_hire_termination_rate` or `newHireRate` → "New hire termination rate". */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[_\-\s.]+/)
    .filter(Boolean)
    .map((word) => (ACRONYMS.has(word.toLowerCase()) ? word.toUpperCase() : word.toLowerCase()));
  if (words.length === 0) return key;
  const [first, ...rest] = words;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...rest].join(' ');
}

const segments = (key: string | (string | number)[]) => (Array.isArray(key) ? key.map(String) : key.split('.'));

/**
 * A setting's name from its key path: its last named segment, humanized ("compensation.cola_rate" →
 * "COLA rate"), with the row of a list when the key is inside one ("match.1.match_rate" → "Match
 * rate (Employer match, row 2)").
 */
export function settingName(key: string | (string | number)[]): string {
  const parts = segments(key);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return 'The whole file';
  const last = [...parts].reverse().find((part) => !/^\d+$/.test(part)) ?? parts[parts.length - 1];
  const name = KNOWN[last]?.name ?? humanizeKey(last);
  const index = parts.findIndex((part) => /^\d+$/.test(part));
  if (index > 0) {
    const list = parts[index - 1];
    const listName = KNOWN[list]?.name ?? humanizeKey(list);
    return list === last ? `${name}, row ${Number(parts[index]) + 1}` : `${name} (${listName}, row ${Number(parts[index]) + 1})`;
  }
  return name;
}

const numberWords = new Intl.NumberFormat('en', { maximumFractionDigits: 4 });

/** A setting's value as a planner reads it: "2.5 %", "on", “Hiring Freeze”, "not set". */
export function settingValueWords(key: string | (string | number)[], value: unknown): string {
  const parts = segments(key);
  const last = [...parts].reverse().find((part) => !/^\d+$/.test(part)) ?? '';
  const kind = KNOWN[last]?.kind ?? (/(_rate|_pct|_percent|_budget)$/.test(last) ? 'percent' : 'plain');
  if (value === undefined) return 'not set';
  if (value === null) return 'empty';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (kind === 'percent' && Math.abs(value) <= 1) return `${numberWords.format(value * 100)} %`;
    if (kind === 'year') return String(value);
    return numberWords.format(value);
  }
  if (typeof value === 'string') return value === '' ? 'empty' : `“${value}”`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  return JSON.stringify(value);
}

/** What a workspace file holds, in words: "the scenario’s details", "the simulation settings". */
export function fileWords(path: string): string {
  const name = path.split('/').pop() ?? path;
  if (name === 'scenario.json') return 'the scenario’s details';
  if (name === 'workspace.json') return 'the workspace’s details';
  if (name === 'config.yaml' || name === 'base_config.yaml') return 'the simulation settings';
  if (name === 'overrides.yaml') return 'the scenario’s setting changes';
  if (name === 'run_metadata.json') return 'a run’s details';
  if (name === '.planalign-sync.yaml') return 'the sync settings shared by every computer';
  return `the file “${name}”`;
}

/** Where a file is, by name: "Hiring Freeze in Q4 Projections", or the workspace alone. */
export function placeWords(place: { workspace?: string | null; scenario?: string | null }): string {
  if (place.scenario && place.workspace) return `${place.scenario} in ${place.workspace}`;
  return place.scenario ?? place.workspace ?? 'Shared settings';
}

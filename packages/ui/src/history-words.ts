import type { SyncLogEntry } from './api.js';
import { fileWords, placeWords, settingName } from './setting-words.js';
import { strategyPhrase } from './strategy-words.js';

/** One conflict of a History line: where, which settings, what was kept, and the kept version's id. */
export interface HistoryConflict {
  text: string;
  /** the kept version of the side that lost, for a link to Conflicts → Kept versions */
  backup: string | null;
  waiting: boolean;
}

/** A line of the History: its sentence, and how many times in a row the same thing happened. */
export interface HistoryLine {
  key: string;
  operation: SyncLogEntry['operation'];
  timestamp: string;
  /** the earliest of the entries it stands for, when it stands for several */
  since: string | null;
  times: number;
  text: string;
  conflicts: HistoryConflict[];
  workspaces: string[];
}

const quoted = (names: string[]) => names.map((name) => `“${name}”`).join(', ');

/** "“Hiring Freeze”, “Baseline” in “Q4 Projections”", or the workspaces alone. */
function what(entry: Pick<SyncLogEntry, 'workspaces_affected' | 'scenarios_affected'>): string {
  const scenarios = entry.scenarios_affected;
  const workspaces = entry.workspaces_affected;
  if (scenarios.length > 0 && workspaces.length === 1) return `${quoted(scenarios)} in “${workspaces[0]}”`;
  if (scenarios.length > 0) return quoted(scenarios);
  if (workspaces.length > 0) return quoted(workspaces);
  return '';
}

const STRATEGY: Record<string, string> = {
  chosen: 'as you chose',
  'keep-local': `as the settings say: ${strategyPhrase('keep-local')}`,
  'keep-remote': `as the settings say: ${strategyPhrase('keep-remote')}`,
  'last-write-wins': `as the settings say: ${strategyPhrase('last-write-wins')}`,
  'modified-beats-deleted': 'a change wins over a removal',
  'folder-beats-file': 'a folder of the same name wins',
};

function settings(keys: string[]): string {
  return keys.length === 0 ? '' : keys.map((key) => settingName(key)).join(', ');
}

function conflictWords(c: NonNullable<SyncLogEntry['conflicts']>[number]): HistoryConflict {
  const place = placeWords({ workspace: c.workspace, scenario: c.scenario });
  const changed = settings(c.keys) || fileWords(c.path);
  if (c.kept === null) return { text: `${place}: ${changed} changed on both computers, waiting for your choice.`, backup: null, waiting: true };
  if (c.strategy === 'workspace-removed' || c.strategy === 'scenario-removed') {
    return { text: `${place}: removed on another computer; what you changed in it here is kept.`, backup: c.backup, waiting: false };
  }
  if (c.kept === 'merged' && c.strategy === 'chosen') {
    return { text: `${place}: ${changed}, each value kept as you chose, setting by setting.`, backup: c.backup, waiting: false };
  }
  if (c.kept === 'merged') return { text: `${place}: ${fileWords(c.path)} changed on both computers; both changes kept.`, backup: null, waiting: false };
  const side = c.kept === 'local' ? 'this computer’s' : 'the other computer’s';
  const why = c.strategy ? ` (${STRATEGY[c.strategy] ?? c.strategy})` : '';
  const kept = c.keys.length === 0 ? 'version' : c.keys.length > 1 ? 'values' : 'value';
  return { text: `${place}: ${changed}, ${side} ${kept} kept${why}.`, backup: c.backup, waiting: false };
}

/**
 * A conflict line written before the log carried its conflicts as data: its message names files
 * by path ("<ws id>/scenarios/<id>/config.yaml: local version kept (chosen), other kept in backup
 * <id>"), which is read here for what it says, by the names this computer knows.
 */
function oldConflictWords(entry: SyncLogEntry, workspaceNames: ReadonlyMap<string, string>): HistoryConflict[] {
  const placeOf = (file: string) => {
    const [workspaceId] = file.split('/');
    const workspace = workspaceNames.get(workspaceId) ?? (entry.workspaces_affected.length === 1 ? entry.workspaces_affected[0] : null);
    return `${workspace ?? 'Shared settings'}, ${fileWords(file)}`;
  };
  const waiting = /^Waiting for a decision: (.+) changed both here and on the remote$/.exec(entry.message);
  if (waiting) {
    return waiting[1]
      .split(', ')
      .map((file) => ({ text: `${placeOf(file)}: changed on both computers, waiting for your choice.`, backup: null, waiting: true }));
  }
  return entry.message.split('; ').map((part) => {
    const kept = /^(.+): (local|remote) version kept \(([^)]+)\)(?:, other kept in backup (\S+))?$/.exec(part);
    if (kept) {
      const side = kept[2] === 'local' ? 'this computer’s' : 'the other computer’s';
      return { text: `${placeOf(kept[1])}: ${side} version kept (${STRATEGY[kept[3]] ?? kept[3]}).`, backup: kept[4] ?? null, waiting: false };
    }
    const merged = /^(.+): merged/.exec(part);
    if (merged) return { text: `${placeOf(merged[1])}: changed on both computers; both changes kept.`, backup: null, waiting: false };
    return { text: part, backup: null, waiting: false };
  });
}

/** What an entry says, in the dashboard's words rather than the log's. */
function sentence(entry: SyncLogEntry): string {
  const things = what(entry);
  switch (entry.operation) {
    case 'push':
      return things ? `Shared changes to ${things} with the other computers.` : 'Shared this computer’s changes with the other computers.';
    case 'pull':
      return things ? `Got changes to ${things} from the other computers.` : 'Got changes from the other computers.';
    case 'init':
      return 'Set up sync on this computer.';
    case 'conflict':
      return things ? `Changed on two computers: ${things}.` : 'Changed on two computers.';
    case 'disconnect':
      return 'Stopped syncing on this computer.';
  }
}

/**
 * The History's lines, newest first: each entry in words, and the same entry repeated in a row
 * (a set-up tried again, an automatic sync that found the same thing) said once, with how often.
 */
export function historyLines(entries: SyncLogEntry[], workspaceNames: ReadonlyMap<string, string> = new Map()): HistoryLine[] {
  const lines: HistoryLine[] = [];
  for (const [index, entry] of entries.entries()) {
    const conflicts =
      entry.operation !== 'conflict' ? [] : entry.conflicts ? entry.conflicts.map((c) => conflictWords(c)) : oldConflictWords(entry, workspaceNames);
    const text = sentence(entry);
    const previous = lines.at(-1);
    const same =
      previous &&
      previous.operation === entry.operation &&
      previous.text === text &&
      JSON.stringify(previous.conflicts.map((c) => c.text)) === JSON.stringify(conflicts.map((c) => c.text)) &&
      (entry.operation === 'init' || entry.operation === 'disconnect' || previous.workspaces.join() === entry.workspaces_affected.join());
    if (same) {
      previous.times += 1;
      previous.since = entry.timestamp;
      continue;
    }
    lines.push({
      key: `${entry.timestamp}-${index}`,
      operation: entry.operation,
      timestamp: entry.timestamp,
      since: null,
      times: 1,
      text,
      conflicts,
      workspaces: entry.workspaces_affected,
    });
  }
  return lines;
}

/** A change's title from the shared history, with Git's words ("Merge branch …") put in the dashboard's. */
export function changeTitle(message: string): string {
  const whatIf = /^Merge (?:the remote's )?branch "([^"]+)"/.exec(message);
  if (whatIf) return `The what-if version “${whatIf[1]}” brought in`;
  if (/^Merge changes from the remote/.test(message)) return 'Changes from two computers combined';
  if (/^Merge\b/.test(message)) return 'Changes combined';
  if (/^Restored? version /.test(message)) return 'An earlier version put back';
  // the first commit sync makes (core's init.ts)
  if (message === 'Start syncing this workspaces root') return 'As it was when sync was set up';
  return message.replace(/ \(branch ([^)]+)\)/g, ' (what-if version “$1”)');
}

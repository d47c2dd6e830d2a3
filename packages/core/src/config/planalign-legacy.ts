import path from 'node:path';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { SyncConfigError } from '../errors.js';
import { redactUrl, removeUrlPasswords, urlHasPassword } from '../models/remote-url.js';
import { lazySchema } from '../models/lazy-schema.js';
import { ConflictStrategy, SyncConfig } from '../models/sync-config.js';
import { SyncOperation, type SyncLogEntry } from '../models/sync-log.js';
import { describeIssues, readSettingsText, SETTINGS_FILE } from './settings-file.js';
import { plural } from '../util/plural.js';

/**
 * The files PlanAlign's own sync (`planalign sync …` in PlanAlign, GitPython) writes in a root,
 * and how they read in planalign-sync's terms. PlanAlign writes its pydantic models as they are:
 *
 * - `.planalign-sync.yaml`: `SyncConfig` dumped flat by PyYAML, keys sorted, no `sync:` map:
 *   `auto_sync`, `branch`, `conflict_strategy`, `enabled`, `remote` (the URL as given, a token
 *   included), `version: 1`.
 * - `.planalign-sync-log.json`: a JSON array of `SyncLogEntry` (its last 100), each
 *   `{timestamp, operation, workspaces_affected, scenarios_affected, message, commit_sha, success}`:
 *   the timestamp in ISO 8601 UTC with microseconds (`2025-01-15T10:30:00.123456Z`), the
 *   operation one of push, pull, init, conflict, disconnect, the counts whole numbers (every
 *   workspace and scenario of the root, not only those changed), commit_sha 8 hex digits or null.
 *   PlanAlign commits this file with the others.
 */
export const PLANALIGN_LOG_FILE = '.planalign-sync-log.json';

/** The top-level keys of PlanAlign's flat settings, besides `version`. */
export const FLAT_KEYS = ['enabled', 'remote', 'branch', 'auto_sync', 'conflict_strategy'] as const;

/** PlanAlign's `SyncConfig`, with its defaults; like pydantic, keys it does not know are left aside. */
const PlanAlignSettings = lazySchema(() =>
  z.object({
    enabled: z.boolean().default(false),
    remote: z.string().min(1).nullable().default(null),
    branch: z.string().default('main'),
    auto_sync: z.boolean().default(false),
    conflict_strategy: ConflictStrategy.default('last-write-wins'),
  }),
);

/** PlanAlign's `SyncLogEntry`. */
const PlanAlignLogEntry = lazySchema(() =>
  z.object({
    timestamp: z.string().min(1),
    operation: SyncOperation,
    workspaces_affected: z.number().int().nonnegative().default(0),
    scenarios_affected: z.number().int().nonnegative().default(0),
    message: z.string(),
    commit_sha: z.string().nullable().default(null),
    success: z.boolean().default(true),
  }),
);

/**
 * Whether parsed settings are PlanAlign's flat form: a map holding its keys at the top level. A
 * file that also has a `sync:` map (the flat file merged with planalign-sync's) counts too.
 */
export function isPlanAlignSettings(raw: unknown): raw is Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  return FLAT_KEYS.some((key) => key in raw);
}

export interface PlanAlignSettingsFile {
  /** the file as it is on disk */
  text: string;
  raw: Record<string, unknown>;
}

/** The root's `.planalign-sync.yaml` when PlanAlign's sync wrote it; null for any other file, or none. */
export async function readPlanAlignSettings(root: string): Promise<PlanAlignSettingsFile | null> {
  const text = await readSettingsText(root);
  if (text === null) return null;
  const raw = planAlignSettingsIn(text);
  return raw ? { text, raw } : null;
}

/**
 * A top-level key of PlanAlign's flat form at the start of a line, or a line opening a flow
 * mapping (`{remote: …}`). A text with neither cannot be PlanAlign's: it is not parsed, since
 * every command asks.
 */
const FLAT_KEY_LINE = new RegExp(`^["']?(?:${FLAT_KEYS.join('|')})["']?[ \t]*:`, 'm');
const FLOW_MAPPING_LINE = /^(?:---[ \t]*)?\{/m;

/** The parsed settings when a text is PlanAlign's flat form (valid YAML, its keys at the top level). */
function planAlignSettingsIn(text: string): Record<string, unknown> | null {
  if (!FLAT_KEY_LINE.test(text) && !FLOW_MAPPING_LINE.test(text)) return null;
  const document = parseDocument(text);
  if (document.errors.length > 0) return null;
  const raw: unknown = document.toJS();
  return isPlanAlignSettings(raw) ? raw : null;
}

/** A settings text (a remote's, say) read as PlanAlign's, without the token; null when it is not PlanAlign's or cannot be taken. */
export function readPlanAlignSettingsText(text: string): ConvertedSettings | null {
  const raw = planAlignSettingsIn(text);
  if (!raw) return null;
  try {
    return convertPlanAlignSettings(raw);
  } catch {
    return null;
  }
}

export interface ConvertedSettings {
  sync: SyncConfig;
  /** the remote URL held a password or token, now taken out */
  credential_removed: boolean;
}

/**
 * PlanAlign's settings in planalign-sync's terms, without the password or token of the remote
 * URL. When the file also has a `sync:` map, that map is what planalign-sync wrote and it wins.
 */
export function convertPlanAlignSettings(raw: Record<string, unknown>): ConvertedSettings {
  const fileLabel = `${SETTINGS_FILE} (written by PlanAlign's sync)`;
  let candidate: Record<string, unknown>;
  if (raw.sync && typeof raw.sync === 'object' && !Array.isArray(raw.sync)) {
    candidate = raw.sync as Record<string, unknown>;
  } else {
    const flat = PlanAlignSettings.safeParse(raw);
    if (!flat.success) throw new SyncConfigError(describeIssues(fileLabel, flat.error));
    candidate = flat.data;
  }
  const remote = typeof candidate.remote === 'string' ? candidate.remote : null;
  const parsed = SyncConfig.safeParse({ ...candidate, remote: remote && removeUrlPasswords(remote) });
  if (!parsed.success) throw new SyncConfigError(describeIssues(fileLabel, parsed.error));
  const urls = [raw.remote, remote].filter((url): url is string => typeof url === 'string');
  return { sync: parsed.data, credential_removed: urls.some(urlHasPassword) };
}

/** PlanAlign writes UTC; a time without a zone is read as UTC too. */
function normalizeTimestamp(timestamp: string): string {
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(timestamp) ? timestamp : `${timestamp}Z`;
  const time = Date.parse(zoned);
  return Number.isNaN(time) ? timestamp : new Date(time).toISOString();
}

export interface ConvertedLog {
  entries: SyncLogEntry[];
  /** entries (or the whole file) that could not be read; the original keeps them */
  unreadable: number;
}

/**
 * PlanAlign's log as journal entries, oldest first. Its counts are totals of the root rather
 * than names, so they go into the message; a failed operation says so; URLs lose their secrets.
 */
export function convertPlanAlignLog(text: string): ConvertedLog {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return { entries: [], unreadable: 1 };
  }
  if (!Array.isArray(list)) return { entries: [], unreadable: 1 };
  const entries: SyncLogEntry[] = [];
  let unreadable = 0;
  for (const item of list) {
    const parsed = PlanAlignLogEntry.safeParse(item);
    if (!parsed.success) {
      unreadable += 1;
      continue;
    }
    const entry = parsed.data;
    const counts =
      entry.workspaces_affected || entry.scenarios_affected
        ? `; ${plural(entry.workspaces_affected, 'workspace')}, ${plural(entry.scenarios_affected, 'scenario')}`
        : '';
    const failed = entry.success || /fail/i.test(entry.message) ? '' : ' (failed)';
    entries.push({
      timestamp: normalizeTimestamp(entry.timestamp),
      operation: entry.operation,
      workspaces_affected: [],
      scenarios_affected: [],
      message: `${redactUrl(entry.message)}${failed} (PlanAlign's sync${counts})`,
      commit: entry.commit_sha,
    });
  }
  entries.sort((a, b) => (Date.parse(a.timestamp) || 0) - (Date.parse(b.timestamp) || 0));
  return { entries, unreadable };
}

export function planAlignLogPath(root: string): string {
  return path.join(root, PLANALIGN_LOG_FILE);
}

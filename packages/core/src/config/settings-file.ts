import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { Document, parseDocument, isMap } from 'yaml';
import type { z } from 'zod';
import { SyncConfigError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { SyncConfig, SyncSettingsFile, type ArchivedWorkspaceSettings } from '../models/sync-config.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import { recalledYaml, rememberYaml } from './settings-yaml-memo.js';

export const SETTINGS_FILE = '.planalign-sync.yaml';

export function settingsPath(root: string): string {
  return path.join(root, SETTINGS_FILE);
}

/** The text of the root's `.planalign-sync.yaml`; null when it has none. */
export async function readSettingsText(root: string): Promise<string | null> {
  try {
    return readFileSync(settingsPath(root), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Reads `.planalign-sync.yaml`; null when the root has none. Bad content is a SyncConfigError naming the field. */
export async function readSettings(root: string): Promise<SyncSettingsFile | null> {
  return (await readSettingsReport(root))?.settings ?? null;
}

/** The settings, and the keys in the file this version does not know (by path, "sync.colour"), which it ignores. */
export interface SettingsReport {
  settings: SyncSettingsFile;
  unknown: string[];
}

/** readSettings, with the keys it ignored. */
export async function readSettingsReport(root: string): Promise<SettingsReport | null> {
  const text = await readSettingsText(root);
  if (text === null) return null;
  const file = settingsPath(root);
  if (lastRead?.file === file && lastRead.text === text) return structuredClone(lastRead.report);
  const report = parseSettingsReport(text, file, root);
  lastRead = { file, text, report: structuredClone(report) };
  return report;
}

/**
 * The last settings file this process parsed, by its exact text: a pull reads the settings
 * again to check out, and the API server at every request. Each caller gets a copy of its own.
 */
let lastRead: { file: string; text: string; report: SettingsReport } | null = null;

export function parseSettings(text: string, fileLabel: string = SETTINGS_FILE): SyncSettingsFile {
  return parseSettingsReport(text, fileLabel).settings;
}

/** `root`: where a parse of the YAML may be remembered (see settings-yaml-memo.ts). */
function parseSettingsReport(text: string, fileLabel: string, root?: string): SettingsReport {
  const recalled = root === undefined ? undefined : recalledYaml(root, text);
  let raw = recalled;
  if (raw === undefined) {
    const document = parseDocument(text, { prettyErrors: true });
    if (document.errors.length > 0) {
      const first = document.errors[0];
      throw new SyncConfigError(`${fileLabel} is not valid YAML (${first.message.split('\n')[0]}).`, { next: { action: 'fix_settings' } });
    }
    raw = document.toJS() ?? {};
  }
  let parsed = SyncSettingsFile.safeParse(raw);
  let unknown: string[] = [];
  if (!parsed.success && onlyUnknownKeys(parsed.error)) {
    unknown = parsed.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key].join('.')) : []));
    parsed = SyncSettingsFile.safeParse(withoutUnknownKeys(raw, parsed.error));
  }
  if (!parsed.success) throw new SyncConfigError(describeIssues(fileLabel, parsed.error));
  if (parsed.data.sync.remote) assertRemoteUrlIsSafe(parsed.data.sync.remote, `${fileLabel}: sync.remote`);
  for (const [name, remote] of Object.entries(parsed.data.sync.remotes)) assertRemoteUrlIsSafe(remote.url, `${fileLabel}: sync.remotes.${name}.url`);
  // Only settings that passed every check are remembered: a refused file (a password in a URL) is copied nowhere.
  if (root !== undefined && recalled === undefined) rememberYaml(root, text, raw);
  return { settings: parsed.data, unknown };
}

/**
 * The file is shared by every computer, and they may run different versions: a setting this
 * version does not know (a newer one's, or a misspelt one) is ignored here, kept in the file, and
 * named in the report (`readSettingsReport`) for the status to warn about, rather than stopping every sync.
 */
const onlyUnknownKeys = (error: z.ZodError) => error.issues.every((issue) => issue.code === 'unrecognized_keys');

function withoutUnknownKeys(raw: unknown, error: z.ZodError): unknown {
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const issue of error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    let at: unknown = copy;
    for (const step of issue.path) at = (at as Record<PropertyKey, unknown>)?.[step as PropertyKey];
    for (const key of issue.keys) delete (at as Record<string, unknown>)[key];
  }
  return copy;
}

/** Turns zod's issues into one sentence per field, naming the field the way it appears in the file. */
export function describeIssues(fileLabel: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => [...issue.path, key].join('.')).join(', ');
      return `unknown setting ${keys}: remove it or check its spelling`;
    }
    return `${where}: ${issue.message}`;
  });
  return `${fileLabel} has invalid settings: ${lines.join('; ')}.`;
}

/**
 * Writes the settings, keeping the user's comments, key order and any other top-level sections
 * when the file already exists. `dropTopLevel`: keys another program put at the top level, which
 * these settings replace (PlanAlign's flat form), removed in the same write.
 */
export async function writeSettings(root: string, sync: SyncConfig, options: { dropTopLevel?: readonly string[] } = {}): Promise<void> {
  const validated = SyncConfig.parse(sync);
  // The file is pushed to every machine: no URL with a secret in it is ever written.
  if (validated.remote) assertRemoteUrlIsSafe(validated.remote, 'sync.remote');
  for (const [name, remote] of Object.entries(validated.remotes)) assertRemoteUrlIsSafe(remote.url, `sync.remotes.${name}.url`);
  const file = settingsPath(root);
  let existing: string | null = null;
  try {
    existing = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parsed = parseDocument(existing ?? '');
  let document: Document = parsed;
  if (!isMap(parsed.contents)) {
    document = new Document({});
    document.commentBefore = ' planalign-sync settings: shared by every machine of this root. Never put a token here.';
  }
  for (const key of options.dropTopLevel ?? []) document.delete(key);
  document.set('version', 1);
  for (const [key, value] of Object.entries(validated)) document.setIn(['sync', key], value);
  await writeFileAtomic(file, document.toString());
}

/**
 * Settings text (as a commit holds it) with one workspace recorded as archived, or with null
 * no longer recorded; the user's comments and key order are kept. The result is checked as
 * the file is read, so an archive never writes settings another computer would refuse.
 */
export function withArchivedWorkspace(text: string, workspaceId: string, entry: ArchivedWorkspaceSettings | null): string {
  const document = parseDocument(text);
  if (document.errors.length > 0 || !isMap(document.contents)) return text;
  if (entry) document.setIn(['sync', 'archived', workspaceId], entry);
  else {
    document.deleteIn(['sync', 'archived', workspaceId]);
    const rest = document.getIn(['sync', 'archived']);
    if (isMap(rest) && rest.items.length === 0) document.deleteIn(['sync', 'archived']);
  }
  const result = document.toString();
  parseSettings(result);
  return result;
}

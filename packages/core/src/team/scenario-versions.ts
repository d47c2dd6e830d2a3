import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { parseDocument } from 'yaml';
import { saveBackup } from '../conflict/backups.js';
import { SyncConfigError, SyncNotFoundError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { GitRepository } from '../git/repository.js';
import { treeAtPath } from '../git/tree-diff.js';
import type { ConfigChange, ScenarioDiff, ScenarioRestore, ScenarioVersion, ScenarioVersions } from '../models/team.js';
import type { SyncContext } from '../sync/sync-context.js';
import { changesAlongLine } from './contributors.js';
import { lineTip, shownLine } from '../sync/workspace-lines.js';
import { formatJsonLike } from '../conflict/structural-merge.js';
import { plural } from '../util/plural.js';

/**
 * A scenario's configuration: the files at the top of its folder (scenario.json, overrides.yaml,
 * config.yaml…), with scenario.json read without the fields a run rewrites, so a run that
 * finishes is not taken for a new version of the configuration.
 */
const NOT_CONFIGURATION = new Set(['current_result.json']);
const configFileName = (name: string) => /\.(json|ya?ml)$/i.test(name);
const RUN_FIELDS = ['status', 'last_run_at', 'last_run_id', 'results_summary', 'updated_at'];
const SCENARIO_FILE = 'scenario.json';
/** What people type for the version on disk now. */
export const CURRENT = 'current';

type ConfigFiles = Map<string, Buffer>;

const folderOf = (workspace: string, scenario: string) => `${workspace}/scenarios/${scenario}`;

async function configAt(repo: GitRepository, rootTree: string | null, folder: string): Promise<ConfigFiles | null> {
  const tree = await treeAtPath(repo, rootTree, folder);
  if (!tree) return null;
  const files: ConfigFiles = new Map();
  for (const item of await repo.readTree(tree)) {
    if (item.type === 'blob' && !NOT_CONFIGURATION.has(item.name) && configFileName(item.name))
      files.set(item.name, Buffer.from(await repo.readBlob(item.oid)));
  }
  return files;
}

async function configOnDisk(root: string, folder: string): Promise<ConfigFiles | null> {
  const entries = await fsp.readdir(path.join(root, folder), { withFileTypes: true }).catch(() => null);
  if (!entries) return null;
  const files: ConfigFiles = new Map();
  for (const entry of entries) {
    if (entry.isFile() && !NOT_CONFIGURATION.has(entry.name) && configFileName(entry.name))
      files.set(entry.name, await fsp.readFile(path.join(root, folder, entry.name)));
  }
  return files;
}

/** scenario.json as configuration: without what runs write. */
function scenarioSettings(content: Buffer): Record<string, unknown> | null {
  try {
    const value = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
    return Object.fromEntries(Object.entries(value).filter(([key]) => !RUN_FIELDS.includes(key)));
  } catch {
    return null;
  }
}

/** The text a version is compared by: scenario.json without run fields, the rest as written. */
function comparableText(name: string, content: Buffer): string {
  if (name === SCENARIO_FILE) {
    const settings = scenarioSettings(content);
    if (settings) return `${JSON.stringify(settings, null, 2)}\n`;
  }
  return content.toString('utf8');
}

function fingerprint(files: ConfigFiles | null): string | null {
  if (!files) return null;
  const hash = createHash('sha1');
  for (const name of [...files.keys()].sort()) hash.update(`${name}\0${comparableText(name, files.get(name)!)}\0`);
  return hash.digest('hex');
}

interface Located {
  workspace: { id: string; name: string };
  scenario: string;
}

/** Every version of the scenario's configuration on the line its workspace shows, newest first, from every machine's commits. */
export async function scenarioVersions(context: SyncContext, where: Located): Promise<ScenarioVersions> {
  const { repo } = context;
  const folder = folderOf(where.workspace.id, where.scenario);
  const tip = await lineTip(context, where.workspace.id, await shownLine(context, where.workspace.id));
  const onDisk = fingerprint(await configOnDisk(context.root, folder));
  const found = tip.commit ? await changesAlongLine(repo, tip.commit, async (tree) => fingerprint(await configAt(repo, tree, folder))) : [];
  if (found.length === 0 && !onDisk) throw new SyncNotFoundError(`No scenario "${where.scenario}" in "${where.workspace.name}", here or in its history.`);
  const versions: ScenarioVersion[] = [];
  for (const { commit, after } of found) {
    if (after === null) continue;
    const files = await configAt(repo, commit.tree, folder);
    versions.push({
      version: commit.oid.slice(0, 10),
      commit: commit.oid,
      author: { name: commit.author, email: commit.authorEmail },
      timestamp: new Date(commit.committedAt * 1000).toISOString(),
      message: commit.message.trim().split('\n')[0],
      files: [...(files?.keys() ?? [])].sort(),
      // The newest version with the folder's content is the current one; older equal ones are not.
      current: after === onDisk && !versions.some((v) => v.current),
    });
  }
  const name = await scenarioName(context, where, found[0]?.commit.tree ?? null);
  return { workspace_id: where.workspace.id, scenario_id: where.scenario, scenario_name: name, versions };
}

async function scenarioName(context: SyncContext, where: Located, tree: string | null): Promise<string> {
  const folder = folderOf(where.workspace.id, where.scenario);
  const files = (await configOnDisk(context.root, folder)) ?? (await configAt(context.repo, tree, folder));
  const settings = files?.get(SCENARIO_FILE) ? scenarioSettings(files.get(SCENARIO_FILE)!) : null;
  return typeof settings?.name === 'string' ? settings.name : where.scenario;
}

/** The configuration of one version: a commit id (or a unique prefix of one) or `current`. */
async function versionFiles(context: SyncContext, where: Located, version: string): Promise<ConfigFiles> {
  const folder = folderOf(where.workspace.id, where.scenario);
  if (version === CURRENT) return (await configOnDisk(context.root, folder)) ?? new Map();
  const known = (await scenarioVersions(context, where)).versions;
  const matches = version.length >= 4 ? known.filter((v) => v.commit.startsWith(version.toLowerCase())) : [];
  if (matches.length > 1) throw new SyncConfigError(`Version "${version}" is ambiguous: give more of its id.`);
  if (matches.length === 0) {
    throw new SyncNotFoundError(
      `"${version}" is not a version of this scenario: use 'current' or the id of one of its versions${known.length ? ` (newest: ${known[0].version})` : ''}.`,
      { next: { action: 'list_versions' } },
    );
  }
  return (await configAt(context.repo, (await context.repo.readCommit(matches[0].commit)).tree, folder)) ?? new Map();
}

/** What changed between two versions: setting by setting for JSON and YAML, and as a patch. */
export async function diffScenarioVersions(context: SyncContext, where: Located, from: string, to: string): Promise<ScenarioDiff> {
  const [before, after] = await Promise.all([versionFiles(context, where, from), versionFiles(context, where, to)]);
  const changes: ConfigChange[] = [];
  let patch = '';
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(name);
    const b = after.get(name);
    const textA = a ? comparableText(name, a) : '';
    const textB = b ? comparableText(name, b) : '';
    if (textA === textB) continue;
    patch += createTwoFilesPatch(`${from}/${name}`, `${to}/${name}`, textA, textB, undefined, undefined, { context: 3 });
    const valueA = a ? parseValue(name, a) : undefined;
    const valueB = b ? parseValue(name, b) : undefined;
    if (valueA === INVALID || valueB === INVALID)
      changes.push({ file: name, key: '', kind: !a ? 'added' : !b ? 'removed' : 'changed', before: a ? textA : null, after: b ? textB : null });
    else compareValues(name, [], valueA, valueB, changes);
  }
  return { workspace_id: where.workspace.id, scenario_id: where.scenario, from, to, changes, patch };
}

const INVALID = Symbol('invalid');

function parseValue(name: string, content: Buffer): unknown {
  if (name === SCENARIO_FILE) return scenarioSettings(content) ?? INVALID;
  try {
    if (/\.json$/i.test(name)) return JSON.parse(content.toString('utf8'));
    if (/\.ya?ml$/i.test(name)) {
      const document = parseDocument(content.toString('utf8'));
      return document.errors.length ? INVALID : document.toJS();
    }
  } catch {
    return INVALID;
  }
  return INVALID;
}

const isMap = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

function compareValues(file: string, keyPath: string[], a: unknown, b: unknown, changes: ConfigChange[]): void {
  if (isMap(a) && isMap(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) compareValues(file, [...keyPath, key], a[key], b[key], changes);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const kind = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
  changes.push({ file, key: keyPath.join('.'), kind, before: a ?? null, after: b ?? null });
}

/**
 * Puts an old version of the configuration back in the scenario's folder: the YAML files as they
 * were, and in scenario.json the settings as they were with the run fields as they are now.
 * Every file replaced is kept as a backup first; the next push shares the restored version.
 */
export async function restoreScenarioVersion(context: SyncContext, where: Located, version: string): Promise<ScenarioRestore> {
  const folder = folderOf(where.workspace.id, where.scenario);
  const current = (await configOnDisk(context.root, folder)) ?? new Map<string, Buffer>();
  const currentSettings = current.get(SCENARIO_FILE) ? (JSON.parse(current.get(SCENARIO_FILE)!.toString('utf8')) as Record<string, unknown>) : null;
  if (currentSettings?.status === 'running' || currentSettings?.status === 'queued') {
    throw new SyncConfigError(`"${currentSettings.name ?? where.scenario}" is ${currentSettings.status}: restore its configuration once the run has finished.`);
  }
  const wanted = await versionFiles(context, where, version);
  const restored: string[] = [];
  const backups: string[] = [];
  const replace = async (name: string, content: Buffer | null) => {
    const relative = `${folder}/${name}`;
    const existing = current.get(name);
    if (existing && content && existing.equals(content)) return;
    if (existing) {
      const record = await saveBackup(context.root, relative, existing, {
        side: 'working-copy',
        reason: `replaced by restoring version ${version}`,
        strategy: null,
        commit: null,
      });
      backups.push(record.id);
    }
    if (content) await writeFileAtomic(path.join(context.root, relative), content);
    else await fsp.rm(path.join(context.root, relative), { force: true });
    restored.push(relative);
  };
  for (const name of new Set([...current.keys(), ...wanted.keys()])) {
    const old = wanted.get(name) ?? null;
    if (name === SCENARIO_FILE && old && currentSettings) {
      const settings = scenarioSettings(old) ?? {};
      const runFields = Object.fromEntries(
        RUN_FIELDS.filter((key) => key in currentSettings && key !== 'updated_at').map((key) => [key, currentSettings[key]]),
      );
      const merged = { ...settings, ...runFields, ...('updated_at' in currentSettings ? { updated_at: new Date().toISOString() } : {}) };
      if (fingerprint(new Map([[name, Buffer.from(JSON.stringify(merged))]])) !== fingerprint(new Map([[name, current.get(name)!]]))) {
        // Written as the file on disk is: its key order and indentation, so a restore reads as a change of values only.
        await replace(name, Buffer.from(formatJsonLike(current.get(name)!.toString('utf8'), merged)));
      }
      continue;
    }
    await replace(name, old);
  }
  return {
    workspace_id: where.workspace.id,
    scenario_id: where.scenario,
    version,
    files_restored: restored,
    backups,
    message: restored.length
      ? `Restored version ${version} (${plural(restored.length, 'file')}); the versions replaced are kept as backup${backups.length === 1 ? '' : 's'} ${backups.join(', ')}. Push to share it.`
      : `The configuration already is version ${version}: nothing to restore.`,
  };
}

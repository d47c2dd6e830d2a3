import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

/**
 * What the tests of SyncService and TeamService share: machines (workspace roots in their own
 * temporary folders), small PlanAlign workspaces written by hand (core cannot use the tools'
 * generator, which depends on core), and native git as the second client that checks what
 * reached the loopback server.
 */

/**
 * Keeps the person running the tests out of them: no global or system git config (a user.name,
 * a credential helper, an `http.proxy`), no token, no author from the environment. Each test
 * file runs in its own process, so this changes nothing for the other files.
 */
export async function isolateFromThisComputer(): Promise<void> {
  const home = await tempDir('home');
  await fsp.writeFile(path.join(home, '.gitconfig'), '');
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = path.join(home, '.config');
  process.env.GIT_CONFIG_GLOBAL = path.join(home, '.gitconfig');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.GIT_TERMINAL_PROMPT = '0';
  for (const name of ['PLANALIGN_SYNC_TOKEN', 'PLANALIGN_SYNC_AUTHOR_NAME', 'PLANALIGN_SYNC_AUTHOR_EMAIL', 'GIT_DIR', 'GIT_WORK_TREE'])
    delete process.env[name];
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `planalign-core-${prefix}-`));
}

/** A machine's workspaces root: a folder of its own, as ~/.planalign/workspaces would be. */
export async function machineRoot(name: string): Promise<string> {
  return path.join(await tempDir(name), 'workspaces');
}

export interface ScenarioSpec {
  id: string;
  name: string;
  growth?: number;
}

export interface WorkspaceSpec {
  id: string;
  name: string;
  scenarios: ScenarioSpec[];
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Writes one workspace as PlanAlign lays it out, with a database and an upload beside the
 * synced files (which sync must never carry).
 */
export async function writeWorkspace(root: string, workspace: WorkspaceSpec): Promise<void> {
  const folder = path.join(root, workspace.id);
  await fsp.mkdir(path.join(folder, 'data'), { recursive: true });
  await fsp.writeFile(
    path.join(folder, 'workspace.json'),
    json({ id: workspace.id, name: workspace.name, description: `${workspace.name} simulations`, created_at: '2025-01-02T03:04:05.000Z' }),
  );
  await fsp.writeFile(path.join(folder, 'base_config.yaml'), '# base\nsimulation:\n  start_year: 2026\n  end_year: 2030\n');
  await fsp.writeFile(path.join(folder, 'data', 'census.parquet'), 'PAR1 not synced');
  for (const scenario of workspace.scenarios) {
    const scenarioFolder = path.join(folder, 'scenarios', scenario.id);
    await fsp.mkdir(scenarioFolder, { recursive: true });
    await fsp.writeFile(
      path.join(scenarioFolder, 'scenario.json'),
      json({
        id: scenario.id,
        workspace_id: workspace.id,
        name: scenario.name,
        description: `${scenario.name} for ${workspace.name}`,
        config_overrides: { workforce: { target_growth_rate: scenario.growth ?? 0.03 } },
        status: 'not_run',
        created_at: '2025-01-02T03:04:05.000Z',
        last_run_at: null,
        last_run_id: null,
      }),
    );
    await fsp.writeFile(path.join(scenarioFolder, 'overrides.yaml'), `workforce:\n  target_growth_rate: ${scenario.growth ?? 0.03}\n`);
    await fsp.writeFile(path.join(scenarioFolder, 'simulation.duckdb'), 'DUCK not synced');
  }
}

export const scenarioPath = (workspace: string, scenario: string) => `${workspace}/scenarios/${scenario}/scenario.json`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads whatever the file holds
export async function readJson(root: string, relative: string): Promise<any> {
  return JSON.parse(await fsp.readFile(path.join(root, relative), 'utf8'));
}

/** Changes some keys of a JSON file, as PlanAlign would when someone edits a scenario; returns the bytes written. */
export async function editJson(root: string, relative: string, patch: Record<string, unknown>): Promise<Buffer> {
  const content = Buffer.from(json({ ...(await readJson(root, relative)), ...patch }));
  await fsp.writeFile(path.join(root, relative), content);
  return content;
}

/** Every file sync should carry under a root (JSON and YAML outside .git and the backups), path → content. */
export async function syncedFiles(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (folder: string) => {
    for (const entry of await fsp.readdir(path.join(root, folder), { withFileTypes: true })) {
      const relative = folder ? `${folder}/${entry.name}` : entry.name;
      if (relative === '.git' || relative === '.planalign-sync-backups') continue;
      if (entry.isDirectory()) await walk(relative);
      else if (/\.(json|ya?ml)$/.test(entry.name)) files.set(relative, await fsp.readFile(path.join(root, relative), 'utf8'));
    }
  };
  await walk('');
  return files;
}

/**
 * Native git on a local repository (a bare remote's folder, a temporary repository). Never for
 * anything that talks to the loopback server: it answers from this process, which spawnSync
 * would block; use gitAsync for those.
 */
export function gitLocal(gitdir: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync('git', [`--git-dir=${gitdir}`, ...args], { encoding: 'utf8', input: options.input, env: { ...process.env, ...options.env } });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} in ${gitdir} (exit ${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Native git as a child process that the event loop (and so the loopback server) keeps running beside. */
export function gitAsync(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')} in ${cwd} (exit ${code}): ${err}`))));
  });
}

/** The files of a branch of a bare repository, as native git lists them. */
export function remoteFiles(bare: string, branch = 'main'): string[] {
  return gitLocal(bare, ['ls-tree', '-r', '--name-only', branch]).split('\n').filter(Boolean).sort();
}

export function remoteFile(bare: string, relative: string, branch = 'main'): string {
  return gitLocal(bare, ['show', `${branch}:${relative}`]);
}

/** `git fsck --full --strict` finds nothing wrong. */
export function expectFsckClean(gitdir: string): void {
  const result = spawnSync('git', [`--git-dir=${gitdir}`, 'fsck', '--full', '--strict', '--no-dangling', '--no-progress'], { encoding: 'utf8' });
  const problems = result.stderr.split('\n').filter((line) => /error|warning|bad|missing|broken/i.test(line));
  expect({ status: result.status, problems }, `git fsck in ${gitdir}:\n${result.stderr}`).toEqual({ status: 0, problems: [] });
}

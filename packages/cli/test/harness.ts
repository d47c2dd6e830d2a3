import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS, type GeneratedRoot } from '@planalign/sync-tools/workspace-generator';
import { PLANALIGN_CLI, runPlanalign } from '@planalign/sync-tools/cli-runner';

export const CLI = PLANALIGN_CLI;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real, built `planalign` binary in a child process. */
export async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<CliResult> {
  const { code, stdout, stderr } = await runPlanalign(args, options);
  return { code, stdout, stderr };
}

/** Runs the CLI with --json and parses what it printed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads whatever shape the command printed
export async function runJson<T = any>(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<{ code: number; body: T; stderr: string }> {
  const result = await runCli(['--json', ...args], options);
  let body: T;
  try {
    body = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`planalign ${args.join(' ')} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, body, stderr: result.stderr };
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `planalign-${prefix}-`));
}

/**
 * A computer of its own for a test: a home folder with its own git settings (`gitconfig`), its
 * own configuration folder, and no token in the environment.
 */
export async function isolatedHome(name: string, gitconfig: string): Promise<{ home: string; env: NodeJS.ProcessEnv }> {
  const home = await tempDir(name);
  await fsp.writeFile(path.join(home, '.gitconfig'), gitconfig);
  return {
    home,
    env: {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      APPDATA: path.join(home, 'AppData'),
      GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
      GIT_CONFIG_NOSYSTEM: '1',
      PLANALIGN_SYNC_TOKEN: '',
    },
  };
}

/** Files of a branch in a bare repository, through native git. */
export function remoteFiles(repoPath: string, branch = 'main'): string[] {
  const result = spawnSync('git', ['-C', repoPath, 'ls-tree', '-r', '--name-only', branch], { encoding: 'utf8' });
  if (result.status !== 0) return [];
  return result.stdout.split('\n').filter(Boolean).sort();
}

export function remoteFile(repoPath: string, filePath: string, branch = 'main'): string | null {
  const result = spawnSync('git', ['-C', repoPath, 'show', `${branch}:${filePath}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : null;
}

export function remoteHead(repoPath: string, branch = 'main'): string | null {
  const result = spawnSync('git', ['-C', repoPath, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

export function nativeGit(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Every synced file under a root (what sync should carry), path → content. */
export async function syncedTree(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (folder: string) => {
    for (const dirent of await fsp.readdir(path.join(root, folder), { withFileTypes: true })) {
      const relative = folder ? `${folder}/${dirent.name}` : dirent.name;
      if (relative === '.git' || relative === '.planalign-sync-backups') continue;
      if (dirent.isDirectory()) await walk(relative);
      else if (dirent.isFile() && /\.(json|ya?ml)$/.test(dirent.name)) files.set(relative, await fsp.readFile(path.join(root, relative), 'utf8'));
    }
  };
  await walk('');
  return files;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as runJson
export async function readJson(file: string): Promise<any> {
  return JSON.parse(await fsp.readFile(file, 'utf8'));
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await fsp.writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** A remote and two machines: A with generated workspaces, B still empty. */
export interface TwoMachines {
  server: GitServer;
  url: string;
  machineA: string;
  machineB: string;
  generated: GeneratedRoot;
}

export async function twoMachines(repoName: string, options: { preset?: keyof typeof PRESETS; server?: GitServer } = {}): Promise<TwoMachines> {
  const server = options.server ?? (await startGitServer());
  const url = await server.createRepo(repoName, { defaultBranch: 'main' });
  const machineA = path.join(await tempDir(`${repoName}-a`), 'workspaces');
  const machineB = path.join(await tempDir(`${repoName}-b`), 'workspaces');
  const generated = await generateWorkspaces({ root: machineA, ...PRESETS[options.preset ?? 'demo'] });
  return { server, url, machineA, machineB, generated };
}

/**
 * Two machines for a describe block, synced through a fresh loopback server before its tests
 * run: A set up and pushed, B set up from the remote. The server stops after the block.
 */
export function syncedMachines(repoName: string, options: { preset?: keyof typeof PRESETS } = {}): TwoMachines & { repo: string } {
  const machines = {} as TwoMachines & { repo: string };
  beforeAll(async () => {
    Object.assign(machines, await twoMachines(repoName, options));
    machines.repo = machines.server.repoPath(repoName);
    for (const [root, command] of [
      [machines.machineA, ['init', '--remote', machines.url]],
      [machines.machineA, ['push']],
      [machines.machineB, ['init', '--remote', machines.url]],
    ] as const) {
      const result = await runCli(['--root', root, 'sync', ...command]);
      if (result.code !== 0) throw new Error(`sync ${command[0]} in ${root} exited ${result.code}: ${result.stderr}`);
    }
  });
  afterAll(async () => {
    await machines.server?.stop();
  });
  return machines;
}

/**
 * Native git as a child process, for commands that talk to the loopback server (which answers
 * from this process: spawnSync would stall it). Resolves with its output; rejects with its errors.
 */
export function gitAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')} in ${cwd}: ${err}`))));
  });
}

/** `git fsck --full --strict` finds nothing wrong in a repository. */
export function expectFsckClean(repository: string): void {
  const result = spawnSync('git', ['fsck', '--full', '--strict', '--no-dangling', '--no-progress'], { cwd: repository, encoding: 'utf8' });
  const problems = result.stderr.split('\n').filter((line) => /error|warning|bad|missing|broken/i.test(line));
  if (result.status !== 0 || problems.length > 0) throw new Error(`git fsck in ${repository} (exit ${result.status}):\n${result.stderr}`);
}

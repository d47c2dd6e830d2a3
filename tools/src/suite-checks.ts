import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliRun } from './cli-runner.js';

/**
 * The checks the fault and soak suites make after the fact, the way a person would: is the
 * repository sound, do two machines hold the same files, is a version still somewhere.
 */

/** A new workspaces root in a temporary folder. */
export async function suiteRoot(suite: string, name: string): Promise<string> {
  return path.join(await fsp.mkdtemp(path.join(os.tmpdir(), `planalign-${suite}-${name}-`)), 'workspaces');
}

/** Git's id of a file's content, to find it among a repository's objects. */
export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Whether native git finds the repository sound (unreachable objects are fine). */
export function fsckClean(cwd: string): boolean {
  return spawnSync('git', ['fsck', '--no-dangling', '--no-progress'], { cwd, encoding: 'utf8' }).status === 0;
}

/** Every object reachable from any ref of a repository (history, branches, tracking refs). */
export function reachableObjects(cwd: string): Set<string> {
  const result = spawnSync('git', ['rev-list', '--objects', '--all'], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return new Set(
    result.stdout
      .split('\n')
      .map((line) => line.split(' ')[0])
      .filter(Boolean),
  );
}

async function collect(root: string, folder: string, keep: (name: string) => boolean, into: Map<string, Buffer>): Promise<void> {
  for (const entry of await fsp.readdir(path.join(root, folder), { withFileTypes: true }).catch(() => [])) {
    const relative = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await collect(root, relative, keep, into);
    else if (entry.isFile() && keep(entry.name)) into.set(relative, await fsp.readFile(path.join(root, relative)));
  }
}

/** Blob ids of every file kept under a root's backups folder. */
export async function backupBlobs(root: string): Promise<Set<string>> {
  const files = new Map<string, Buffer>();
  await collect(path.join(root, '.planalign-sync-backups'), '', () => true, files);
  return new Set([...files.values()].map(blobId));
}

/** What sync carries of a root: the JSON and YAML outside its dot-folders, path → content. */
export async function syncedFiles(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await fsp.readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
    await collect(root, entry.name, (name) => !name.startsWith('.') && /\.(json|ya?ml)$/.test(name), files);
  }
  return files;
}

export function sameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  return a.size === b.size && [...a].every(([file, content]) => b.get(file)?.equals(content));
}

/** The first line a run printed, error or result. */
export const firstLine = (run: CliRun) => (run.stderr.trim() || run.stdout.trim()).split('\n')[0] ?? '';

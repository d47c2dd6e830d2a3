import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitRepository } from '../src/git/repository.js';

/**
 * A local repository whose objects native git writes and reads, for tests of what core does
 * with them (merges, history walks). No server: every git command here is local.
 */
export interface NativeRepo {
  root: string;
  gitdir: string;
  repo: GitRepository;
  git(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): string;
  blob(content: string | Buffer): string;
  /** A tree of these files (path → content, or mode and content/oid; mode 160000 takes a commit id). */
  tree(files: Record<string, string | { mode: string; content?: string; oid?: string }>): string;
  /** The files of a tree, path → mode and content, as native git lists them. */
  files(tree: string): Map<string, { mode: string; content: string }>;
  show(oid: string): string;
}

export async function nativeRepo(prefix: string): Promise<NativeRepo> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), `planalign-core-${prefix}-`));
  const gitdir = path.join(root, '.git');
  const git = (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const result = spawnSync('git', [`--git-dir=${gitdir}`, ...args], {
      encoding: 'utf8',
      input: options.input,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull, ...options.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')} (exit ${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  spawnSync('git', ['init', '-q', '--initial-branch=main', root], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull } });
  let indexes = 0;
  const blob = (content: string | Buffer) => git(['hash-object', '-w', '--stdin'], { input: content.toString() }).trim();
  return {
    root,
    gitdir,
    repo: new GitRepository(root),
    git,
    blob,
    tree(files) {
      indexes += 1;
      const index = path.join(root, `.index-${indexes}`);
      const lines = Object.entries(files).map(([file, spec]) => {
        const { mode, oid } = typeof spec === 'string' ? { mode: '100644', oid: blob(spec) } : { mode: spec.mode, oid: spec.oid ?? blob(spec.content ?? '') };
        return `${mode} ${oid}\t${file}\n`;
      });
      const env = { GIT_INDEX_FILE: index };
      git(['update-index', '--index-info'], { input: lines.join(''), env });
      return git(['write-tree'], { env }).trim();
    },
    files(tree) {
      const entries = new Map<string, { mode: string; content: string }>();
      for (const line of git(['ls-tree', '-r', tree]).split('\n').filter(Boolean)) {
        const [meta, file] = line.split('\t');
        const [mode, type, oid] = meta.split(' ');
        entries.set(file, { mode, content: type === 'blob' ? git(['cat-file', 'blob', oid]) : oid });
      }
      return entries;
    },
    show: (oid) => git(['cat-file', '-p', oid]),
  };
}

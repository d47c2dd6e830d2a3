import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

let cachedAvailability: boolean | undefined;

/**
 * Whether the native `git` command is on PATH (used for the credential helper, network
 * settings and SSH remotes). Looked up as the shell does, without running it: starting git
 * only to ask its version cost every command several milliseconds.
 */
export function nativeGitAvailable(): boolean {
  cachedAvailability ??= findOnPath('git');
  return cachedAvailability;
}

function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = path.join(dir, command + extension);
      try {
        if (!statSync(candidate).isFile()) continue;
        if (process.platform !== 'win32') accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

export interface NativeGitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs native git with arguments (never a shell string), optionally feeding stdin. */
export function runNativeGit(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<NativeGitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    // A command that does not read its input may exit before we finish writing it.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

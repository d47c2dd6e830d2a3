import { spawn, spawnSync } from 'node:child_process';

let cachedAvailability: boolean | undefined;

/** Whether the native `git` command is on PATH (used for the credential helper and SSH remotes). */
export function nativeGitAvailable(): boolean {
  if (cachedAvailability === undefined) {
    const probe = spawnSync('git', ['--version'], { stdio: 'ignore' });
    cachedAvailability = probe.status === 0;
  }
  return cachedAvailability;
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

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `planalign` binary of this repository. */
export const PLANALIGN_CLI = fileURLToPath(new URL('../../packages/cli/bin/planalign.cjs', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Environment for a run that must not pick up the caller's token or prompt for one. */
const quiet = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, PLANALIGN_SYNC_TOKEN: '', GIT_TERMINAL_PROMPT: '0', ...env });

/** Starts the real CLI in a child process (for the caller to wait for, or to kill). */
export function spawnPlanalign(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): ChildProcess {
  const child = spawn(process.execPath, [PLANALIGN_CLI, ...args], {
    cwd: options.cwd,
    env: quiet(options.env),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  return child;
}

/** Runs the real CLI to the end and collects what it printed; `input` is piped to its standard input. */
export function runPlanalign(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawnPlanalign(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  });
}

/** Runs the CLI and kills it with SIGKILL after `delayMs`, wherever it is; true when it was killed before finishing. */
export function killPlanalignAfter(args: string[], delayMs: number, options: { env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawnPlanalign(args, options);
    child.stdout!.resume();
    child.stderr!.resume();
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.exitCode === null;
      child.kill('SIGKILL');
    }, delayMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(killed);
    });
  });
}

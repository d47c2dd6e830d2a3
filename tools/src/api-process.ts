import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `planalign-sync-api` binary, run as PlanAlign Studio would run it. */
export const API_BIN = fileURLToPath(new URL('../../packages/api/dist/main.js', import.meta.url));

export interface ApiProcess {
  /** e.g. http://127.0.0.1:8765 */
  readonly url: string;
  readonly child: ChildProcess;
  /** everything it wrote, for assertions and failure reports */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real API server (with the dashboard, when built) on a root, in a child process,
 * and resolves once it says where it listens.
 */
export function startApiProcess(options: { root: string; port?: number; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<ApiProcess> {
  const child = spawn(process.execPath, [API_BIN, '--root', options.root, '--port', String(options.port ?? 0), ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        child.stdout.off('data', onData);
        child.stdout.on('data', (more: Buffer) => (output += more));
        resolve({
          url,
          child,
          output: () => output,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`planalign-sync-api exited with ${code} before listening:\n${output}`)));
  });
}

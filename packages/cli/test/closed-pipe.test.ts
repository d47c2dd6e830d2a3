import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from './harness.js';

/** Runs the CLI with its standard output closed by the reader before anything is written (`planalign … | head -0`). */
function runWithClosedOutput(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that stops early', () => {
  it('leaves the command to end as it would have, without a write error', async () => {
    expect(await runWithClosedOutput(['--version'])).toEqual({ code: 0, stderr: '' });
    const root = await tempDir('closed-pipe');
    // a root that does not sync: the command's own answer (exit 6) stands, said on stderr as always
    const status = await runWithClosedOutput(['--root', root, 'sync', 'log']);
    expect(status.code).toBe(6);
    expect(status.stderr).not.toMatch(/EPIPE|at .*\(/);
  });
});

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { configureSimulator } from '@planalign/sync-tools/simulator';
import { CLI, runCli, tempDir, twoMachines } from './harness.js';

/**
 * Every command the README shows, as a newcomer would type it on a fresh build: `planalign`
 * commands run exactly as written where they need no remote of their own (in a root set up
 * against a loopback server), and otherwise their `--help` must list every option the README
 * uses; npm scripts, Nx targets and binaries must exist and start.
 */
const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));
const README = readFileSync(path.join(REPOSITORY, 'README.md'), 'utf8');

/** Lines of the README's ```sh blocks, without comments, split at &&. */
function shellCommands(): string[] {
  const commands: string[] = [];
  for (const block of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const code = withoutComment(line).trim();
      if (code) commands.push(...code.split('&&').map((part) => part.trim()));
    }
  }
  return commands;
}

/** A line without its trailing `# comment` (a # inside quotes stays). */
function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Words as a shell splits them (quotes joined, not expanded). */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/**
 * The command paths a README form names: `branch create\\|switch <w> <n>` under `sync` is
 * sync branch create and sync branch switch. Words are taken while they name a subcommand.
 */
async function commandPaths(base: string[], names: string[]): Promise<string[][]> {
  const [word, ...rest] = names;
  if (word === undefined || !/^[a-z][a-z|-]*$/.test(word)) return [base];
  const known = await subcommandsOf(base);
  const choices = word.split('|').filter((choice) => known.includes(choice));
  if (choices.length === 0) return [base];
  return (await Promise.all(choices.map((choice) => commandPaths([...base, choice], rest)))).flat();
}

/** Options a command form uses: --strategy, -m. */
const optionsIn = (text: string) => (text.match(/(?<![\w-])--?[a-zA-Z][a-zA-Z-]*/g) ?? []).map((option) => option.split('=')[0]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPOSITORY, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    // A command that waits (a server started by mistake) fails the test instead of stalling it.
    const stalled = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(stalled);
      resolve({ code, stdout, stderr });
    });
  });
}

const helpCache = new Map<string, Promise<string>>();
/** `planalign <path> --help`; fails the test when the command does not exist. */
function help(commandPath: string[]): Promise<string> {
  const key = commandPath.join(' ');
  let pending = helpCache.get(key);
  if (!pending) {
    pending = run(process.execPath, [CLI, ...commandPath, '--help']).then((result) => {
      if (result.code !== 0) throw new Error(`planalign ${key} --help exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    });
    helpCache.set(key, pending);
  }
  return pending;
}

/** The subcommands `--help` lists under "Commands:". */
async function subcommandsOf(commandPath: string[]): Promise<string[]> {
  const text = await help(commandPath);
  const section = text.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
}

/**
 * Whether a README command can run as written here: no placeholder, and no address of a host
 * it would contact (`remote add` only writes the settings).
 */
const runnableAsWritten = (command: string) => !/[<>…]|\b[0-9a-f]{10}\b/.test(command) && (!/https?:\/\//.test(command) || / sync remote add /.test(command));

describe('every command in the README', () => {
  let server: GitServer;
  let root: string;
  let home: string;

  beforeAll(async () => {
    let url: string;
    ({ server, url, machineA: root } = await twoMachines('readme', { preset: 'demo' }));
    home = await tempDir('readme-home');
    expect((await runCli(['--root', root, 'sync', 'init', '--remote', url])).code).toBe(0);
    await configureSimulator(root);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('planalign commands exist with the options shown, and run as written where they need no remote of their own', async () => {
    const commands = shellCommands().filter((command) => /^(npx )?planalign /.test(command));
    expect(commands.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const command of commands) {
      const args = words(command).slice(command.startsWith('npx ') ? 2 : 1);
      const positional = args.filter((word, i) => !word.startsWith('-') && args[i - 1] !== '--root');
      // `jobs log <id> | cancel <id> | retry <id>`: alternatives of the last command word.
      const [first, ...alternatives] = positional
        .join(' ')
        .split(' | ')
        .map((part) => part.split(' '));
      const paths = await commandPaths([], first);
      for (const alternative of alternatives) paths.push(...(await commandPaths(paths[0].slice(0, -1), alternative)));
      for (const commandPath of paths) {
        const text = await help(commandPath).catch((error: Error) => (failures.push(`${command}: ${error.message}`), ''));
        for (const option of optionsIn(command))
          if (!text.includes(option) && !(await help([])).includes(option)) failures.push(`${command}: ${commandPath.join(' ')} has no ${option}`);
      }
      if (runnableAsWritten(command) && !command.includes(' | ')) {
        const result = await run(process.execPath, [CLI, ...args], { env: { HOME: home, PLANALIGN_WORKSPACES: root, PLANALIGN_SYNC_TOKEN: '' } });
        if (result.code !== 0) failures.push(`${command}: exit ${result.code}: ${(result.stderr || result.stdout).trim().split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the command reference names commands and options that exist', async () => {
    const rows = README.split('### Command reference')[1].split('\nExit codes')[0];
    const failures: string[] = [];
    for (const row of rows.split('\n').filter((line) => line.startsWith('| `sync'))) {
      let context = ['sync'];
      for (const [, segment] of row.split(' | ')[0].matchAll(/`([^`]+)`/g)) {
        const names = segment.replace(/\\\|/g, '|').split(' ');
        const fromSync = names[0] === 'sync';
        let paths = await commandPaths(fromSync ? [] : context, fromSync ? names : names);
        // A form that names a sibling command (`remote add` after `sync remote list`) starts from sync.
        if (!fromSync && paths.length === 1 && paths[0] === context) paths = await commandPaths(['sync'], names);
        for (const commandPath of paths) {
          const text = await help(commandPath).catch((error: Error) => (failures.push(`${segment}: ${error.message}`), ''));
          for (const option of optionsIn(segment))
            if (!text.includes(option) && !(await help([])).includes(option)) failures.push(`${segment}: ${commandPath.join(' ')} has no ${option}`);
          if ((await subcommandsOf(commandPath)).length > 0) context = commandPath;
          else if (fromSync) context = commandPath.slice(0, -1);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('npm scripts, Nx targets and the API binary are there, as written', async () => {
    const commands = shellCommands();
    const rootPackage = JSON.parse(readFileSync(path.join(REPOSITORY, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const workspacePackage = (name: string) =>
      ['packages/core', 'packages/cli', 'packages/api', 'packages/ui', 'tools']
        .map((dir) => JSON.parse(readFileSync(path.join(REPOSITORY, dir, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string> })
        .find((pkg) => pkg.name === name);
    const failures: string[] = [];
    for (const command of commands.filter((c) => c.startsWith('npm '))) {
      const args = words(command).slice(1);
      const script = args[0] === 'run' ? args[1] : args[0];
      if (script === 'ci' || script === 'install') continue;
      const workspace = args.includes('-w') ? workspacePackage(args[args.indexOf('-w') + 1]) : null;
      const scripts = workspace ? workspace.scripts : rootPackage.scripts;
      if (!scripts?.[script]) failures.push(`${command}: no script "${script}"`);
    }
    const targets = new Set(
      ['packages/core', 'packages/cli', 'packages/api', 'packages/ui', 'tools'].flatMap((dir) =>
        Object.keys((JSON.parse(readFileSync(path.join(REPOSITORY, dir, 'package.json'), 'utf8')) as { scripts: object }).scripts),
      ),
    );
    for (const command of commands.filter((c) => c.startsWith('npx nx '))) {
      const args = words(command);
      for (const target of args.slice(args.indexOf('-t') + 1).filter((word) => !word.startsWith('-')))
        if (!targets.has(target)) failures.push(`${command}: no target "${target}"`);
    }
    for (const command of commands.filter((c) => c.startsWith('npx ') && !c.startsWith('npx nx ') && !c.startsWith('npx planalign '))) {
      const [, binary, ...args] = words(command);
      const result = await run('npx', ['--no-install', binary, '--help'], {});
      if (result.code !== 0) failures.push(`${command}: npx ${binary} --help exited ${result.code}: ${result.stderr.trim().split('\n')[0]}`);
      for (const option of args.filter((word) => word.startsWith('--')))
        if (!result.stdout.includes(option)) failures.push(`${command}: ${binary} has no ${option}`);
    }
    expect(failures).toEqual([]);
  });

  it('the git and shell settings it shows are accepted as written', async () => {
    const failures: string[] = [];
    for (const command of shellCommands().filter((c) => /^(git config|export) /.test(c))) {
      const result = await run('sh', ['-c', command], { env: { HOME: home, GIT_CONFIG_NOSYSTEM: '1' }, cwd: home });
      if (result.code !== 0) failures.push(`${command}: exit ${result.code}: ${result.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  });
});

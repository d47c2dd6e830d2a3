import { execFile } from 'node:child_process';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startApiProcess, type ApiProcess } from '@planalign/sync-tools/api-process';
import { runPlanalign } from '@planalign/sync-tools/cli-runner';
import { startGitServer, type GitServer } from '@planalign/git-test-server/git-server';
import { editScenario, generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';
import { isolatedHome, tempDir } from './harness.js';

const TOKEN = 'pst-known-9d41c7e2b05a';
const AUTH = { username: 'planalign-sync', password: TOKEN };
const run = promisify(execFile);

/** Files of a root holding the text (read as bytes, in pieces), and Git objects holding it once decompressed. */
async function placesHolding(root: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  const bytes = Buffer.from(needle);
  const walk = async (folder: string) => {
    for (const entry of await fsp.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        let tail = Buffer.alloc(0);
        for await (const chunk of createReadStream(full, { highWaterMark: 1 << 20 })) {
          const window = Buffer.concat([tail, chunk as Buffer]);
          if (window.includes(bytes)) {
            found.push(full);
            break;
          }
          tail = window.subarray(Math.max(0, window.length - bytes.length));
        }
      }
    }
  };
  await walk(root);
  if (!existsSync(path.join(root, '.git')) && !existsSync(path.join(root, 'objects'))) return found;
  const objects = await run('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: root, maxBuffer: 512 * 1024 * 1024, encoding: 'buffer' });
  if ((objects.stdout as unknown as Buffer).includes(bytes)) found.push(`${root}: a Git object`);
  return found;
}

async function call(base: string, method: string, route: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${route}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body });
  return { status: response.status, text: await response.text() };
}

describe('secrets', () => {
  let server: GitServer;

  afterAll(async () => {
    await server?.stop();
  });

  it('a known token appears in no file, journal, object, log line, message or API answer after a full run', async () => {
    // The search finds the token where it is (so that finding nothing below means something).
    const planted = await tempDir('planted');
    await fsp.writeFile(path.join(planted, 'leak.log'), `x`.repeat(3 << 20) + TOKEN);
    expect(await placesHolding(planted, TOKEN).catch(() => [path.join(planted, 'leak.log')])).toEqual([path.join(planted, 'leak.log')]);
    server = await startGitServer({ auth: AUTH });
    const url = await server.createRepo('secrets', { defaultBranch: 'main' });
    const a = path.join(await tempDir('secrets-a'), 'workspaces');
    const b = path.join(await tempDir('secrets-b'), 'workspaces');
    const generated = await generateWorkspaces({ root: a, ...PRESETS.demo });
    const [workspace] = generated.workspaceIds;
    const scenario = (await fsp.readdir(path.join(a, workspace, 'scenarios'))).sort()[0];
    const env = { PLANALIGN_SYNC_TOKEN: TOKEN };
    const printed: string[] = [];
    const cli = async (root: string, args: string[], withEnv: NodeJS.ProcessEnv = env) => {
      const result = await runPlanalign(['--root', root, 'sync', ...args], { env: withEnv });
      printed.push(result.stdout, result.stderr);
      return result;
    };
    for (const [root, args] of [
      [a, ['init', '--remote', url]],
      [a, ['push']],
      [b, ['init', '--remote', url]],
      [a, ['branch', 'create', workspace, 'what-if']],
      [a, ['push']],
      [a, ['share', workspace]],
      [b, ['branch', 'list', workspace]],
      [b, ['status']],
      [b, ['log']],
      [b, ['log', '--workspace', workspace]],
      [b, ['history', workspace, scenario]],
      [b, ['doctor']],
    ] as const) {
      const result = await cli(root, [...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    // A token in the URL given on the command line is refused without being repeated.
    const leaky = await cli(b, ['init', '--remote', url.replace('http://', `http://planalign-sync:${TOKEN}@`)]);
    expect(leaky.code).toBe(2);
    // A wrong token: refused, and neither token is printed.
    expect((await cli(b, ['pull'], { PLANALIGN_SYNC_TOKEN: `${TOKEN}-old` })).code).toBe(3);
    expect((await cli(b, ['doctor', '--json'], { PLANALIGN_SYNC_TOKEN: `${TOKEN}-old` })).code).toBe(8);

    const api: ApiProcess = await startApiProcess({ root: b, args: ['--no-ui'], env });
    const answers: string[] = [];
    try {
      await editScenario(b, workspace, scenario, { description: 'edited through Studio' });
      for (const [method, route, body] of [
        ['GET', '/api/sync/status', undefined],
        ['GET', '/api/sync/config', undefined],
        ['POST', '/api/sync/push', '{}'],
        ['GET', '/api/sync/log', undefined],
        ['GET', '/api/sync/doctor', undefined],
        ['GET', `/api/sync/workspaces/${workspace}/branches`, undefined],
        ['GET', `/api/sync/workspaces/${workspace}/share`, undefined],
        ['GET', `/api/sync/workspaces/${workspace}/history`, undefined],
        ['PUT', '/api/sync/config', JSON.stringify({ remote: url.replace('http://', `http://x:${TOKEN}@`) })],
        [
          'POST',
          '/api/sync/import',
          JSON.stringify({ source: `planalign://import?remote=${encodeURIComponent(url.replace('http://', `http://x:${TOKEN}@`))}` }),
        ],
        ['GET', '/api/openapi.json', undefined],
      ] as const) {
        const answer = await call(api.url, method, route, body);
        expect(answer.status, `${method} ${route}: ${answer.text}`).toBeLessThan(500);
        answers.push(answer.text);
      }
    } finally {
      await api.stop();
    }
    printed.push(api.output());

    const said = [...printed, ...answers].join('\n');
    expect(said.length).toBeGreaterThan(10_000);
    expect(said).not.toContain(TOKEN);
    for (const root of [a, b, server.repoPath('secrets')]) expect(await placesHolding(root, TOKEN)).toEqual([]);
  });
});

describe('a token given once (sync login, the dashboard)', () => {
  let server: GitServer;

  afterAll(async () => {
    await server?.stop();
  });

  it("is only in Git's credential helper or the 0600 file: no file of a root or the remote, Git object, log line or answer holds it", async () => {
    server = await startGitServer({ auth: AUTH });
    const url = await server.createRepo('login-secrets', { defaultBranch: 'main' });
    // Two computers with a home of their own and no token in the environment: A without a
    // credential helper (the file), B with git's `store` helper.
    const computer = async (name: string, gitconfig: string) => {
      const { home, env } = await isolatedHome(`login-secrets-${name}`, gitconfig);
      return { home, env, root: path.join(home, 'workspaces') };
    };
    const a = await computer('a', '');
    const b = await computer('b', '[credential]\n\thelper = store\n');
    const generated = await generateWorkspaces({ root: a.root, ...PRESETS.demo });
    const [workspace] = generated.workspaceIds;
    const scenario = (await fsp.readdir(path.join(a.root, workspace, 'scenarios'))).sort()[0];
    const printed: string[] = [];
    const cli = async (m: typeof a, args: string[], input?: string) => {
      const result = await runPlanalign(['--root', m.root, 'sync', ...args], { env: m.env, input });
      printed.push(result.stdout, result.stderr);
      return result;
    };
    for (const [args, input] of [
      [['login', '--remote', url, '--with-token'], TOKEN],
      [['--json', 'auth', '--remote', url], undefined],
      [['init', '--remote', url], undefined],
      [['push'], undefined],
      [['--debug', 'status'], undefined],
      [['doctor'], undefined],
    ] as const) {
      const result = await cli(a, [...args], input);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    const aFile = path.join(a.home, 'config', 'planalign-sync', 'credentials.json');
    expect((await fsp.stat(aFile)).mode & 0o777).toBe(0o600);

    // B connects through the dashboard's API: a wrong token is refused and nothing is kept;
    // the right one is kept, and a restarted server still finds it.
    const answers: string[] = [];
    const outputs: string[] = [];
    const withApi = async (requests: (base: string) => Promise<void>) => {
      const api = await startApiProcess({ root: b.root, args: ['--no-ui', '--no-pull-on-start'], env: b.env });
      try {
        await requests(api.url);
      } finally {
        await api.stop();
        outputs.push(api.output());
      }
    };
    const ask = async (base: string, method: string, route: string, body?: unknown) => {
      const answer = await call(base, method, route, body === undefined ? undefined : JSON.stringify(body));
      answers.push(answer.text);
      return { status: answer.status, body: JSON.parse(answer.text) };
    };
    await withApi(async (base) => {
      const wrong = await ask(base, 'POST', '/api/sync/auth', { remote: url, token: `${TOKEN}-old` });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toMatchObject({ code: 'auth_failed', field: 'token' });
      expect(existsSync(path.join(b.home, '.git-credentials')) ? await fsp.readFile(path.join(b.home, '.git-credentials'), 'utf8') : '').toBe('');
      const saved = await ask(base, 'POST', '/api/sync/auth', { remote: url, token: TOKEN });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      expect(saved.body).toMatchObject({ source: 'credential-helper', location: 'store' });
      expect((await ask(base, 'POST', '/api/sync/init', { remote: url })).status).toBe(200);
    });
    await editScenario(b.root, workspace, scenario, { description: 'edited through Studio' });
    await withApi(async (base) => {
      expect((await ask(base, 'GET', '/api/sync/auth')).body).toMatchObject({ source: 'credential-helper' });
      expect((await ask(base, 'POST', '/api/sync/push', {})).status).toBe(200);
      for (const route of ['/api/sync/status', '/api/sync/config', '/api/sync/log', '/api/sync/doctor', '/api/openapi.json'])
        expect((await ask(base, 'GET', route)).status).toBeLessThan(500);
    });
    // Only where it was kept: A's file and B's helper store.
    expect(await placesHolding(a.home, TOKEN)).toEqual([aFile]);
    expect(await placesHolding(b.home, TOKEN)).toEqual([path.join(b.home, '.git-credentials')]);
    await withApi(async (base) => {
      expect((await ask(base, 'DELETE', '/api/sync/auth')).body.source).toBeNull();
      await editScenario(b.root, workspace, scenario, { description: 'edited after the token was removed' });
      expect((await ask(base, 'POST', '/api/sync/push', {})).status).toBe(401);
    });
    expect((await cli(a, ['pull'])).code).toBe(0);
    expect((await cli(a, ['logout'])).code).toBe(0);
    await editScenario(a.root, workspace, scenario, { description: 'edited after logout' });
    expect((await cli(a, ['push'])).code).toBe(3);

    const said = [...printed, ...outputs, ...answers].join('\n');
    expect(said).toContain('credential helper');
    expect(said).not.toContain(TOKEN);
    for (const root of [a.root, b.root, server.repoPath('login-secrets')]) expect(await placesHolding(root, TOKEN)).toEqual([]);
    // Removed from both places.
    expect(await placesHolding(a.home, TOKEN)).toEqual([]);
    expect(await placesHolding(b.home, TOKEN)).toEqual([]);
  }, 120_000);
});

describe('API bodies of any shape', () => {
  let server: GitServer;
  let api: ApiProcess;
  let workspace: string;

  beforeAll(async () => {
    server = await startGitServer();
    const url = await server.createRepo('fuzz', { defaultBranch: 'main' });
    const root = path.join(await tempDir('fuzz'), 'workspaces');
    workspace = (await generateWorkspaces({ root, ...PRESETS.demo })).workspaceIds[0];
    expect((await runPlanalign(['--root', root, 'sync', 'init', '--remote', url])).code).toBe(0);
    api = await startApiProcess({ root, args: ['--no-ui', '--no-pull-on-start'] });
  });

  afterAll(async () => {
    await api?.stop();
    await server?.stop();
  });

  it('are answered with a status and an error body, never a server error', async () => {
    const routes = [
      ['POST', '/api/sync/push'],
      ['POST', '/api/sync/pull'],
      ['POST', '/api/sync/init'],
      ['PUT', '/api/sync/config'],
      ['PUT', `/api/sync/workspaces/${workspace}`],
      ['POST', '/api/sync/conflicts/resolve'],
      ['POST', '/api/sync/conflicts/restore'],
      ['POST', '/api/sync/regen'],
      ['POST', `/api/sync/workspaces/${workspace}/branches`],
      ['POST', `/api/sync/workspaces/${workspace}/branches/main/merge`],
      ['POST', '/api/sync/import'],
      ['PUT', '/api/sync/author'],
      ['POST', `/api/sync/workspaces/${workspace}/scenarios/x/restore`],
    ] as const;
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 300 }),
      fc
        .dictionary(
          fc.constantFrom('remote', 'branch', 'strategy', 'name', 'source', 'version', 'path', 'use', 'sync_enabled', 'workspace', 'message', 'auto_sync'),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map((value) => JSON.stringify(value)),
    );
    const identifiers = fc.oneof(
      fc.constantFrom('..', '%2e%2e', '..%2f..%2fetc', '/etc/passwd', '%00', 'a'.repeat(3000)),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodies, identifiers, async ([method, route], body, identifier) => {
        for (const [m, r] of [
          [method, route],
          ['GET', `/api/sync/workspaces/${identifier}/history`],
          ['GET', `/api/sync/workspaces/${workspace}/scenarios/${identifier}/diff?from=${identifier}`],
        ] as const) {
          const answer = await call(api.url, m, r, m === 'GET' ? undefined : body);
          if (answer.status >= 500 && answer.status !== 503)
            throw new Error(`${m} ${r} with ${body.slice(0, 200)} → ${answer.status}: ${answer.text.slice(0, 300)}`);
          if (answer.status >= 400 && !JSON.parse(answer.text).error?.message) throw new Error(`${m} ${r}: no error message in ${answer.text.slice(0, 200)}`);
        }
      }),
      { numRuns: Number(process.env.PLANALIGN_FUZZ_RUNS ?? 60), seed: 7 },
    );
    // Too large: refused before it is read.
    const huge = await call(api.url, 'POST', '/api/sync/push', JSON.stringify({ message: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
  }, 240_000);
});

#!/usr/bin/env node
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { resolveWorkspacesRoot } from '@planalign/sync-core';
import { findDashboard } from './dashboard.js';
import { ALLOWED_HOSTS_VARIABLE, parseAllowedHosts } from './host-check.js';
import { startApiServer } from './server.js';

const USAGE = `Usage: planalign-sync-api [options]

The planalign-sync API for PlanAlign Studio, and the dashboard at / when it is built.

Options:
  --root <dir>            workspaces root (default: $PLANALIGN_WORKSPACES, $PLANALIGN_API_WORKSPACES_ROOT, ~/.planalign/workspaces)
  --host <address>        address to listen on (default: $PLANALIGN_SYNC_API_HOST, else 127.0.0.1)
  --port <n>              port (default: $PLANALIGN_SYNC_API_PORT, else 8765; 0 picks a free one)
  --allowed-hosts <names> more host names the API answers to, comma-separated (also $PLANALIGN_SYNC_API_ALLOWED_HOSTS)
  --ui <dir>              serve the dashboard from this folder
  --no-ui                 serve the API only
  --no-pull-on-start      do not pull when the server starts
  -V, --version           print the version
  -h, --help              print this help
`;

const USAGE_EXIT = 2;

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        root: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'allowed-hosts': { type: 'string' },
        ui: { type: 'string' },
        'no-ui': { type: 'boolean' },
        'no-pull-on-start': { type: 'boolean' },
        version: { type: 'boolean', short: 'V' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nRun planalign-sync-api --help for the options.\n`);
    process.exit(USAGE_EXIT);
  }
}

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`--port "${text}" is not a port: use a number from 0 to 65535 (0 picks a free one).`);
  return port;
}

const options = parseCommandLine();
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (options.version) {
  process.stdout.write(`${(createRequire(import.meta.url)('../package.json') as { version: string }).version}\n`);
  process.exit(0);
}

const portText = options.port ?? process.env.PLANALIGN_SYNC_API_PORT ?? '8765';
try {
  const port = portOf(portText);
  const staticDir = options['no-ui'] ? undefined : (options.ui ?? findDashboard() ?? undefined);
  const { url, close } = await startApiServer({
    root: resolveWorkspacesRoot(options.root),
    host: options.host ?? process.env.PLANALIGN_SYNC_API_HOST,
    port,
    token: process.env.PLANALIGN_SYNC_API_TOKEN || undefined,
    allowedOrigins: process.env.PLANALIGN_SYNC_API_CORS?.split(',').filter(Boolean),
    allowedHosts: [...parseAllowedHosts(process.env[ALLOWED_HOSTS_VARIABLE]), ...parseAllowedHosts(options['allowed-hosts'])],
    staticDir,
    pullOnStart: !options['no-pull-on-start'],
  });
  process.stdout.write(`planalign-sync API listening on ${url} (OpenAPI: ${url}/api/openapi.json)\n`);
  process.stdout.write(staticDir ? `Dashboard: ${url}/\n` : 'No dashboard build found; serving the API only.\n');
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
  const message = inUse
    ? `Port ${portText} is already in use: pass --port with another number, or 0 for any free port.`
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = USAGE_EXIT;
}

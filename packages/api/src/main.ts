#!/usr/bin/env node
import { resolveWorkspacesRoot } from '@planalign/sync-core';
import { findDashboard } from './dashboard.js';
import { ALLOWED_HOSTS_VARIABLE, parseAllowedHosts } from './host-check.js';
import { startApiServer } from './server.js';

/**
 * `planalign-sync-api [--root DIR] [--host H] [--port N] [--allowed-hosts NAMES] [--ui DIR | --no-ui] [--no-pull-on-start]`:
 * the API for PlanAlign Studio, and the dashboard at / when it is built.
 */
function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function portFlag(): number {
  const text = flag('--port') ?? process.env.PLANALIGN_SYNC_API_PORT ?? '8765';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port "${text}" is not a port: use a number from 0 to 65535 (0 picks a free one).`);
  return port;
}

try {
  const port = portFlag();
  const staticDir = process.argv.includes('--no-ui') ? undefined : (flag('--ui') ?? findDashboard() ?? undefined);
  const { url, close } = await startApiServer({
    root: resolveWorkspacesRoot(flag('--root')),
    host: flag('--host') ?? process.env.PLANALIGN_SYNC_API_HOST,
    port,
    token: process.env.PLANALIGN_SYNC_API_TOKEN || undefined,
    allowedOrigins: process.env.PLANALIGN_SYNC_API_CORS?.split(',').filter(Boolean),
    allowedHosts: [...parseAllowedHosts(process.env[ALLOWED_HOSTS_VARIABLE]), ...parseAllowedHosts(flag('--allowed-hosts'))],
    staticDir,
    pullOnStart: !process.argv.includes('--no-pull-on-start'),
  });
  process.stdout.write(`planalign-sync API listening on ${url} (OpenAPI: ${url}/api/openapi.json)\n`);
  process.stdout.write(staticDir ? `Dashboard: ${url}/\n` : 'No dashboard build found; serving the API only.\n');
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
  const message = inUse ? `Port ${flag('--port') ?? 8765} is already in use: pass --port with another number, or 0 for any free port.` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = 2;
}

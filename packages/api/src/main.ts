#!/usr/bin/env node
import { resolveWorkspacesRoot } from '@planalign/sync-core';
import { startApiServer } from './server.js';

/** `planalign-sync-api [--root DIR] [--host H] [--port N]`: the API for PlanAlign Studio. */
function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

try {
  const { url, close } = await startApiServer({
    root: resolveWorkspacesRoot(flag('--root')),
    host: flag('--host') ?? process.env.PLANALIGN_SYNC_API_HOST,
    port: Number(flag('--port') ?? process.env.PLANALIGN_SYNC_API_PORT ?? 8765),
    token: process.env.PLANALIGN_SYNC_API_TOKEN || undefined,
    allowedOrigins: process.env.PLANALIGN_SYNC_API_CORS?.split(',').filter(Boolean),
  });
  process.stdout.write(`planalign-sync API listening on ${url} (OpenAPI: ${url}/api/openapi.json)\n`);
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}

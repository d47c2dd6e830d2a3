import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adoptPlanAlignRoot, redactUrl } from '@planalign/sync-core';
import { createApp, type AppOptions } from './app.js';
import { namesOfListeningAddress } from './host-check.js';

export interface ServerOptions extends AppOptions {
  host?: string;
  port?: number;
  /** pull from the remote when starting (default true); auto-sync runs whenever the settings ask for it */
  pullOnStart?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Starts the API. It listens on 127.0.0.1 unless told otherwise, and refuses to listen anywhere
 * else without a token: a sync server on the network without one would let anyone push.
 */
export async function startApiServer(options: ServerOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !options.token) {
    throw new Error(`Refusing to listen on ${host} without a token: set PLANALIGN_SYNC_API_TOKEN, or listen on 127.0.0.1.`);
  }
  // Beyond loopback, the address it listens on is a name it may be reached by too.
  const allowedHosts = [...(options.allowedHosts ?? []), ...(await namesOfListeningAddress(host))];
  const { app, autoSync, regen, live } = createApp({ ...options, allowedHosts });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  // A root set up by PlanAlign's own sync is taken over first; the dashboard's status tells what happened.
  await adoptPlanAlignRoot(options.root).catch((error: unknown) =>
    process.stderr.write(`planalign-sync: ${redactUrl(error instanceof Error ? error.message : String(error))}\n`),
  );
  // Watched for as long as the server runs, auto-sync on or off: status looks only at what changed.
  const watching = live.start();
  // Studio starts this server: bring other machines' work down, and keep syncing if asked to.
  const started = Promise.all([autoSync.start({ pull: options.pullOnStart ?? true }), regen.resume()]);
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      await started;
      await autoSync.stop();
      await regen.stop();
      await watching;
      await live.stop();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

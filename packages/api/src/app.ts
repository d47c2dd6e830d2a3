import express, { type Express } from 'express';
import { LiveWorkingTree } from '@planalign/sync-core';
import { errorHandler, HttpError } from './http-errors.js';
import { allowedHostsOnly } from './host-check.js';
import { openApiDocument } from './openapi.js';
import { AutoSyncSupervisor } from './auto-sync.js';
import { OperationRunner } from './operations.js';
import { RegenSupervisor } from './regen.js';
import { syncRoutes } from './routes.js';
import { teamRoutes } from './team-routes.js';
import { archiveRoutes } from './archive-routes.js';
import { authRoutes } from './auth-routes.js';
import { requireToken, sameSiteOnly, type SecurityOptions } from './security.js';

export interface AppOptions extends SecurityOptions {
  /** the workspaces root this server syncs */
  root: string;
  /** a built dashboard to serve at / */
  staticDir?: string;
  /** host names, besides loopback, that requests may name in their `Host` header */
  allowedHosts?: string[];
}

/** The Express application: security first, then the routes, then one error format for all. */
export function createApp(options: AppOptions): {
  app: Express;
  runner: OperationRunner;
  autoSync: AutoSyncSupervisor;
  regen: RegenSupervisor;
  live: LiveWorkingTree;
} {
  const runner = new OperationRunner(options.root);
  // The dashboard polls status: a watched view of the root answers it from what changed (started by the server).
  const live = new LiveWorkingTree(options.root);
  const autoSync = new AutoSyncSupervisor(runner, live);
  const regen = new RegenSupervisor(runner);
  const app = express();
  app.disable('x-powered-by');
  // Before anything else, the dashboard's files included: a page that rebinds its own name to
  // 127.0.0.1 must get nothing from this server.
  app.use(allowedHostsOnly(options.allowedHosts));
  // The dashboard's files hold no data and must load before it can ask for the token.
  app.use('/api', requireToken(options.token));
  app.use('/api', sameSiteOnly(options.allowedOrigins));
  app.use('/api', express.json({ limit: '64kb' }));
  const document = openApiDocument();
  app.get('/api/openapi.json', (_request, response) => {
    response.json(document);
  });
  app.use('/api/sync', syncRoutes(runner, autoSync, regen, live));
  app.use('/api/sync', teamRoutes(runner, autoSync));
  app.use('/api/sync', archiveRoutes(runner, autoSync));
  app.use('/api/sync', authRoutes(runner));
  app.use('/api', (_request, _response, next) => next(new HttpError(404, 'not_found', 'No such API route; see /api/openapi.json.')));
  if (options.staticDir) app.use(express.static(options.staticDir));
  app.use(errorHandler);
  return { app, runner, autoSync, regen, live };
}

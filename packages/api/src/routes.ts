import { Router, type Request } from 'express';
import type * as z from 'zod';
import { SyncService, settingsHere, type LiveWorkingTree, type OperationEvent } from '@planalign/sync-core';
import { validationError } from './http-errors.js';
import type { AutoSyncSupervisor } from './auto-sync.js';
import type { RegenSupervisor } from './regen.js';
import type { OperationRunner } from './operations.js';
import {
  ConfigUpdate,
  InitRequest,
  PreviewQuery,
  PullRequest,
  PushRequest,
  RegenRequest,
  ResolveRequest,
  RestoreRequest,
  WorkspaceSelectionRequest,
} from './requests.js';

export function body<T extends z.ZodType>(schema: T, request: Request): z.infer<T> {
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) throw validationError(parsed.error, 'request body');
  return parsed.data;
}

export function query<T extends z.ZodType>(schema: T, request: Request): z.infer<T> {
  const parsed = schema.safeParse(request.query ?? {});
  if (!parsed.success) throw validationError(parsed.error, 'query');
  return parsed.data;
}

/**
 * The sync routes: thin over the core. Reads run directly; anything that changes the root
 * goes through the runner, which reports progress and refuses a second one at once.
 */
export function syncRoutes(runner: OperationRunner, autoSync: AutoSyncSupervisor, regen: RegenSupervisor, live?: LiveWorkingTree): Router {
  const router = Router();
  const service = () => new SyncService(runner.root, { live });

  router.get('/status', async (request, response) => {
    const sync = service();
    const status = await sync.status({ offline: request.query.offline === 'true' });
    // Told once, where the dashboard shows warnings (a root taken over from PlanAlign's sync).
    response.json({ ...status, warnings: [...status.warnings, ...(await sync.takeNotices())] });
  });

  router.get('/workspaces', async (request, response) => {
    response.json((await service().status({ offline: request.query.offline === 'true' })).workspaces);
  });

  router.put('/workspaces/:id', async (request, response) => {
    const { sync_enabled, everywhere } = body(WorkspaceSelectionRequest, request);
    const result = await service().setWorkspaceSync(String(request.params.id), sync_enabled, { everywhere });
    await autoSync.reconcile();
    response.json(result);
  });

  /** What makes a sync fail, with what to do about each; changes nothing (a stale lock is reported, not removed). */
  router.get('/doctor', async (_request, response) => {
    response.json(await service().doctor());
  });

  router.get('/log', async (request, response) => {
    const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      response.status(422).json({ error: { code: 'invalid_request', message: 'limit must be a whole number from 1 to 10000.' } });
      return;
    }
    response.json(await service().log({ limit }));
  });

  router.post('/push', async (request, response) => {
    const { allow_delete: allowDelete, ...options } = body(PushRequest, request);
    const result = await runner.run('push', (sync) => sync.push({ ...options, allowDelete }));
    // A person pushed: whatever held automatic pushes back is settled.
    autoSync.resume();
    response.json(result);
  });

  router.get('/preview', async (request, response) => {
    const strategy = query(PreviewQuery, request).strategy;
    response.json(await runner.run('preview', (sync) => sync.previewPull({ strategy })));
  });

  router.post('/pull', async (request, response) => {
    const options = body(PullRequest, request);
    response.json(await runner.run('pull', (sync) => sync.pull(options)));
  });

  router.post('/init', async (request, response) => {
    const options = body(InitRequest, request);
    const result = await runner.run('init', (sync) => sync.init(options));
    // the remote's settings may have auto-sync on
    await autoSync.reconcile();
    response.json(result);
  });

  router.get('/auto', async (_request, response) => {
    response.json(await autoSync.state());
  });

  router.get('/config', async (_request, response) => {
    // the remote this computer talks to, which the shared file may name differently (see settingsHere)
    response.json(await settingsHere(runner.root));
  });

  router.put('/config', async (request, response) => {
    const { confirm_branch_change: confirmBranchChange, ...parsed } = body(ConfigUpdate, request);
    // Only the fields sent: the schema's defaults must not overwrite settings left out.
    const update = Object.fromEntries(Object.entries(parsed).filter(([key]) => key in (request.body as object)));
    // Connecting to a new remote or branch is an operation like a sync; other settings are written at once.
    const configure = (sync: SyncService) => sync.configure(update, { confirmBranchChange });
    const config = (await service().checkSettingsChange(update)).connects
      ? (await runner.run('config', async (sync) => ({ config: await configure(sync), message: 'Connected.' }))).config
      : await configure(service());
    await autoSync.reconcile();
    response.json(config);
  });

  router.get('/conflicts', async (_request, response) => {
    response.json(await service().conflicts());
  });

  router.get('/conflicts/show', async (request, response) => {
    const file = typeof request.query.path === 'string' ? request.query.path : '';
    if (!file) {
      response.status(422).json({ error: { code: 'invalid_request', message: 'path is required: /api/sync/conflicts/show?path=<file>.' } });
      return;
    }
    response.json(await service().showConflict(file));
  });

  router.post('/conflicts/resolve', async (request, response) => {
    const { path, use, settings } = body(ResolveRequest, request);
    response.json(await runner.run('resolve', (sync) => sync.resolveConflict(path, use, settings)));
  });

  router.post('/conflicts/restore', async (request, response) => {
    const { backup_id } = body(RestoreRequest, request);
    response.json(await runner.run('restore', (sync) => sync.restore(backup_id)));
  });

  router.post('/put-back', async (_request, response) => {
    response.json(await runner.run('restore', (sync) => sync.putBack()));
  });

  router.get('/regen', async (_request, response) => {
    response.json(await regen.service.overview());
  });

  router.post('/regen', async (request, response) => {
    const { workspace, scenario, all_missing } = body(RegenRequest, request);
    const jobs = await regen.service.enqueue({ workspace, scenario, allMissing: all_missing });
    for (const job of jobs) runner.emit({ type: 'regen', job });
    await regen.ensureRunning();
    response.json({ jobs });
  });

  router.post('/regen/clear', async (_request, response) => {
    response.json(await regen.service.clearFinished());
  });

  for (const action of ['cancel', 'retry'] as const) {
    router.post(`/regen/:id/${action}`, async (request, response) => {
      const id = String(request.params.id);
      const job = action === 'cancel' ? await regen.service.cancel(id) : await regen.service.retry(id);
      runner.emit({ type: 'regen', job });
      if (action === 'retry') await regen.ensureRunning();
      response.json(job);
    });
  }

  router.get('/regen/:id/log', async (request, response) => {
    const id = String(request.params.id);
    response.json({ id, log: await regen.service.log(id) });
  });

  /** Progress of running operations, as server-sent events. */
  router.get('/events', (request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const send = (event: OperationEvent) => response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    send({ type: 'hello', running: runner.running });
    const stop = runner.onEvent(send);
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    request.on('close', () => {
      clearInterval(keepAlive);
      stop();
    });
  });

  return router;
}

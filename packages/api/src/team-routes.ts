import { Router, type Request } from 'express';
import { TeamService } from '@planalign/sync-core';
import type { AutoSyncSupervisor } from './auto-sync.js';
import { HttpError } from './http-errors.js';
import type { OperationRunner } from './operations.js';
import { AuthorUpdate, BranchCreateRequest, BranchMergeRequest, ImportRequest, VersionRestoreRequest } from './requests.js';
import { body } from './routes.js';

const param = (request: Request, name: string) => String(request.params[name]);

/**
 * Working as a team: branches of a workspace, sharing links and import, contributors, and the
 * versions of a scenario's configuration. Changes go through the runner like any sync.
 */
export function teamRoutes(runner: OperationRunner, autoSync: AutoSyncSupervisor): Router {
  const router = Router();
  const team = () => new TeamService(runner.root);

  router.get('/workspaces/:id/branches', async (request, response) => {
    response.json(await team().branches(param(request, 'id'), { offline: request.query.offline === 'true' }));
  });

  router.post('/workspaces/:id/branches', async (request, response) => {
    const { name } = body(BranchCreateRequest, request);
    response.json(await runner.run('branch', (_sync, t) => t.createBranch(param(request, 'id'), name)));
  });

  router.post('/workspaces/:id/branches/:branch/switch', async (request, response) => {
    response.json(await runner.run('branch', (_sync, t) => t.switchBranch(param(request, 'id'), param(request, 'branch'))));
  });

  router.post('/workspaces/:id/branches/:branch/merge', async (request, response) => {
    const { strategy } = body(BranchMergeRequest, request);
    response.json(await runner.run('merge', (_sync, t) => t.mergeBranch(param(request, 'id'), param(request, 'branch'), { strategy })));
  });

  router.delete('/workspaces/:id/branches/:branch', async (request, response) => {
    const force = request.query.force === 'true';
    response.json(await runner.run('branch', (_sync, t) => t.deleteBranch(param(request, 'id'), param(request, 'branch'), { force })));
  });

  router.get('/workspaces/:id/share', async (request, response) => {
    const remote = typeof request.query.remote === 'string' ? request.query.remote : undefined;
    response.json(await team().share(param(request, 'id'), { remote }));
  });

  router.post('/import', async (request, response) => {
    const { source, workspace, strategy } = body(ImportRequest, request);
    const result = await runner.run('import', (_sync, t) => t.importWorkspace(source, { workspace, strategy }));
    await autoSync.reconcile();
    response.json(result);
  });

  router.get('/workspaces/:id/history', async (request, response) => {
    const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
      throw new HttpError(422, 'invalid_request', 'limit must be a whole number from 1 to 10000.');
    }
    response.json(await team().history(param(request, 'id'), { limit }));
  });

  router.get('/workspaces/:id/scenarios', async (request, response) => {
    response.json(await team().scenarios(param(request, 'id')));
  });

  router.get('/workspaces/:id/scenarios/:scenario/versions', async (request, response) => {
    response.json(await team().scenarioVersions(param(request, 'id'), param(request, 'scenario')));
  });

  router.get('/workspaces/:id/scenarios/:scenario/diff', async (request, response) => {
    const { from, to } = request.query;
    if (typeof from !== 'string' || !from) throw new HttpError(422, 'invalid_request', "from is required: a version id, or 'current'.");
    response.json(await team().diffScenario(param(request, 'id'), param(request, 'scenario'), from, typeof to === 'string' && to ? to : 'current'));
  });

  router.post('/workspaces/:id/scenarios/:scenario/restore', async (request, response) => {
    const { version } = body(VersionRestoreRequest, request);
    response.json(await runner.run('restore', (_sync, t) => t.restoreScenario(param(request, 'id'), param(request, 'scenario'), version)));
  });

  router.get('/author', async (_request, response) => {
    response.json(await team().author());
  });

  router.put('/author', async (request, response) => {
    response.json(await team().setAuthor(body(AuthorUpdate, request)));
  });

  return router;
}

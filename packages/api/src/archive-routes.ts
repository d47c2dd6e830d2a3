import { Router, type Request } from 'express';
import { SyncService } from '@planalign/sync-core';
import type { AutoSyncSupervisor } from './auto-sync.js';
import type { OperationRunner } from './operations.js';

const workspace = (request: Request) => String(request.params.id);

/**
 * Archived workspaces: the list (read from the remote's archive refs), archiving one and
 * bringing one back. Both changes go through the runner like any sync.
 */
export function archiveRoutes(runner: OperationRunner, autoSync: AutoSyncSupervisor): Router {
  const router = Router();

  router.get('/archive', async (request, response) => {
    response.json(await new SyncService(runner.root).archived({ offline: request.query.offline === 'true' }));
  });

  for (const action of ['archive', 'unarchive'] as const) {
    router.post(`/workspaces/:id/${action}`, async (request, response) => {
      const result = await runner.run('archive', (sync) => (action === 'archive' ? sync.archive(workspace(request)) : sync.unarchive(workspace(request))));
      // the settings changed, and with them perhaps what the watcher carries
      await autoSync.reconcile();
      response.json(result);
    });
  }

  return router;
}

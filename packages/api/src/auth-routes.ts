import { Router } from 'express';
import { SyncService } from '@planalign/sync-core';
import type { OperationRunner } from './operations.js';
import { TokenQuery, TokenRequest } from './requests.js';
import { body, query } from './routes.js';

/**
 * The remote's access token, as `sync login`, `logout` and `auth` handle it: kept once the
 * remote accepts it for pushing, forgotten, and where it comes from. The token goes in and is
 * never sent back; behind the same loopback, token and host checks as every route.
 */
export function authRoutes(runner: OperationRunner): Router {
  const router = Router();
  const service = () => new SyncService(runner.root);

  router.get('/auth', async (request, response) => {
    response.json(await service().auth(query(TokenQuery, request)));
  });

  router.post('/auth', async (request, response) => {
    response.json(await service().login(body(TokenRequest, request)));
  });

  router.delete('/auth', async (request, response) => {
    response.json(await service().logout(query(TokenQuery, request)));
  });

  return router;
}

import * as z from 'zod';
import {
  CONFLICT_STRATEGIES,
  ConflictDetail,
  ConflictList,
  ConflictResolution,
  InitResult,
  PullResult,
  PullPreview,
  PushResult,
  RestoreResult,
  PutBackResult,
  SyncConfig,
  WorkspaceSelection,
  SyncLogEntry,
  SyncStatus,
  WorkspaceSyncState,
  AutoSyncState,
  RegenJob,
  RegenOverview,
  BranchList,
  BranchResult,
  ShareLink,
  ImportResult,
  WorkspaceHistory,
  ScenarioVersions,
  ScenarioDiff,
  ScenarioRestore,
  ScenarioList,
  Author,
  DoctorReport,
  ArchiveList,
  ArchiveResult,
  AuthState,
} from '@planalign/sync-core';
import {
  AuthorUpdate,
  BranchCreateRequest,
  BranchMergeRequest,
  ConfigUpdate,
  ErrorBody,
  ImportRequest,
  InitRequest,
  TokenRequest,
  PullRequest,
  PushRequest,
  RegenRequest,
  ResolveRequest,
  RestoreRequest,
  VersionRestoreRequest,
  WorkspaceSelectionRequest,
} from './requests.js';

const schemas = {
  SyncStatus,
  AutoSyncState,
  RegenOverview,
  RegenJob,
  RegenRequest,
  WorkspaceSyncState,
  SyncLogEntry,
  SyncConfig,
  PushResult,
  PullResult,
  PullPreview,
  InitResult,
  ConflictList,
  ConflictDetail,
  ConflictResolution,
  RestoreResult,
  PutBackResult,
  PushRequest,
  PullRequest,
  InitRequest,
  ConfigUpdate,
  ResolveRequest,
  RestoreRequest,
  WorkspaceSelection,
  WorkspaceSelectionRequest,
  BranchList,
  BranchResult,
  BranchCreateRequest,
  BranchMergeRequest,
  ShareLink,
  ImportRequest,
  ImportResult,
  WorkspaceHistory,
  ScenarioVersions,
  ScenarioDiff,
  ScenarioRestore,
  ScenarioList,
  VersionRestoreRequest,
  Author,
  AuthorUpdate,
  DoctorReport,
  ArchiveList,
  ArchiveResult,
  AuthState,
  TokenRequest,
  Error: ErrorBody,
} as const;

type SchemaName = keyof typeof schemas;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = {
  401: { description: 'token missing (when the server has one)', ...json(ref('Error')) },
  403: { description: 'wrong token, credentials refused by the remote, or a cross-site request', ...json(ref('Error')) },
  404: { description: 'no such workspace, scenario, branch or version', ...json(ref('Error')) },
  409: { description: 'unresolved conflict, or sync not set up', ...json(ref('Error')) },
  422: { description: 'invalid request or settings', ...json(ref('Error')) },
  423: { description: 'another operation is running on this root', ...json(ref('Error')) },
  503: { description: 'the Git remote is unreachable', ...json(ref('Error')) },
};

function operation(summary: string, response: object, request?: SchemaName, parameters?: object[]) {
  return {
    summary,
    ...(parameters ? { parameters } : {}),
    ...(request ? { requestBody: { required: true, ...json(ref(request)) } } : {}),
    responses: { 200: { description: 'OK', ...json(response) }, ...errors },
  };
}

const pathParameter = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const workspaceId = pathParameter('id', 'workspace id or name');
const scenarioId = pathParameter('scenario', 'scenario id or name');
const branchName = pathParameter('branch', "branch name (the root's branch for the main line)");

const tokenRemote = {
  name: 'remote',
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description: "the repository's address or a remote's name (default: this root's remote)",
};

const offline = { name: 'offline', in: 'query', required: false, schema: { type: 'boolean' }, description: 'do not contact the remote' };

/** The OpenAPI document, generated from the same zod models that validate the requests and answers. */
export function openApiDocument(): object {
  const components = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, z.toJSONSchema(schema as z.ZodType, { io: 'output', unrepresentable: 'any' })]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'planalign-sync API',
      version: '0.1.0',
      description: 'Sync PlanAlign workspaces through a Git remote; used by PlanAlign Studio and the dashboard.',
    },
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'PLANALIGN_SYNC_API_TOKEN, when the server has one' } },
    },
    security: [{ bearer: [] }, {}],
    paths: {
      '/api/sync/status': { get: operation('Sync state of the root and of each workspace', ref('SyncStatus'), undefined, [offline]) },
      '/api/sync/workspaces': {
        get: operation('Each workspace with its sync state', { type: 'array', items: ref('WorkspaceSyncState') }, undefined, [offline]),
      },
      '/api/sync/workspaces/{id}': {
        put: operation('Include a workspace in sync or exclude it (by id or name)', ref('WorkspaceSelection'), 'WorkspaceSelectionRequest', [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        ]),
      },
      '/api/sync/log': {
        get: operation('Sync history, newest first', { type: 'array', items: ref('SyncLogEntry') }, undefined, [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000 } },
        ]),
      },
      '/api/sync/push': { post: operation('Commit, merge remote changes, push', ref('PushResult'), 'PushRequest') },
      '/api/sync/pull': { post: operation('Commit local work, fetch and merge', ref('PullResult'), 'PullRequest') },
      '/api/sync/preview': {
        get: operation('What a pull would add, change, remove and find in conflict: fetched, nothing else changed', ref('PullPreview'), undefined, [
          {
            name: 'strategy',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: [...CONFLICT_STRATEGIES] },
            description: 'instead of the settings',
          },
        ]),
      },
      '/api/sync/init': { post: operation('Set up sync with a remote', ref('InitResult'), 'InitRequest') },
      '/api/sync/auth': {
        get: operation("Where the remote's access token comes from (environment, credential helper, file); never the token", ref('AuthState'), undefined, [
          tokenRemote,
        ]),
        post: operation(
          "Keep an access token for the remote, once the remote accepts it for pushing (401 and nothing kept otherwise): in Git's credential helper, else a file only this user can read",
          ref('AuthState'),
          'TokenRequest',
        ),
        delete: operation('Forget the access token kept for the remote', ref('AuthState'), undefined, [tokenRemote]),
      },
      '/api/sync/config': {
        get: operation('Sync settings (never a secret)', ref('SyncConfig')),
        put: operation('Change sync settings', ref('SyncConfig'), 'ConfigUpdate'),
      },
      '/api/sync/doctor': {
        get: operation(
          'What makes a sync fail (remote, credentials, clock, lock, repository, index, disk, files that do not sync), with next steps; changes nothing',
          ref('DoctorReport'),
        ),
      },
      '/api/sync/auto': { get: operation('Automatic sync in this server: watching, last and next run, offline', ref('AutoSyncState')) },
      '/api/sync/conflicts': { get: operation('Open conflicts and past backups', ref('ConflictList')) },
      '/api/sync/conflicts/show': {
        get: operation('Both versions of a file', ref('ConflictDetail'), undefined, [
          { name: 'path', in: 'query', required: true, schema: { type: 'string' } },
        ]),
      },
      '/api/sync/conflicts/resolve': { post: operation('Choose a version', ref('ConflictResolution'), 'ResolveRequest') },
      '/api/sync/conflicts/restore': { post: operation('Put a kept version back', ref('RestoreResult'), 'RestoreRequest') },
      '/api/sync/put-back': { post: operation('Write back the synced files removed on this computer and not yet shared', ref('PutBackResult')) },
      '/api/sync/regen': {
        get: operation('Results not on this machine, and the regeneration jobs', ref('RegenOverview')),
        post: operation(
          'Queue the rebuild of missing results (a workspace, a scenario, or all_missing)',
          { type: 'object', properties: { jobs: { type: 'array', items: ref('RegenJob') } } },
          'RegenRequest',
        ),
      },
      '/api/sync/regen/clear': {
        post: operation('Remove the finished jobs (rebuilt, failed or cancelled) and their logs', {
          type: 'object',
          properties: { removed: { type: 'integer' } },
        }),
      },
      '/api/sync/regen/{id}/cancel': {
        post: operation('Cancel a queued or running job', ref('RegenJob'), undefined, [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]),
      },
      '/api/sync/regen/{id}/retry': {
        post: operation('Queue a failed or cancelled job again', ref('RegenJob'), undefined, [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        ]),
      },
      '/api/sync/regen/{id}/log': {
        get: operation("A job's output", { type: 'object', properties: { id: { type: 'string' }, log: { type: 'string' } } }, undefined, [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        ]),
      },
      '/api/sync/workspaces/{id}/branches': {
        get: operation('The main line and branches of a workspace, with who changed each last', ref('BranchList'), undefined, [workspaceId, offline]),
        post: operation("Start a branch from what the workspace's folder shows, and show it", ref('BranchResult'), 'BranchCreateRequest', [workspaceId]),
      },
      '/api/sync/workspaces/{id}/branches/{branch}': {
        delete: operation('Delete a branch here and on the remote (?force=true for one never merged)', ref('BranchResult'), undefined, [
          workspaceId,
          branchName,
          { name: 'force', in: 'query', required: false, schema: { type: 'boolean' } },
        ]),
      },
      '/api/sync/workspaces/{id}/branches/{branch}/switch': {
        post: operation("Show another line in the workspace's folder", ref('BranchResult'), undefined, [workspaceId, branchName]),
      },
      '/api/sync/workspaces/{id}/branches/{branch}/merge': {
        post: operation('Merge a branch back into the main line', ref('BranchResult'), 'BranchMergeRequest', [workspaceId, branchName]),
      },
      '/api/sync/workspaces/{id}/share': {
        get: operation('A sharing link for the workspace (never holds a secret)', ref('ShareLink'), undefined, [
          workspaceId,
          { name: 'remote', in: 'query', required: false, schema: { type: 'string' }, description: 'a team remote to share through (default origin)' },
        ]),
      },
      '/api/sync/import': { post: operation('Bring a shared workspace into this root and into sync', ref('ImportResult'), 'ImportRequest') },
      '/api/sync/workspaces/{id}/history': {
        get: operation('Who changed the workspace and its scenarios, and when', ref('WorkspaceHistory'), undefined, [
          workspaceId,
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000 } },
        ]),
      },
      '/api/sync/workspaces/{id}/scenarios': {
        get: operation("The scenarios in the workspace's folder", ref('ScenarioList'), undefined, [workspaceId]),
      },
      '/api/sync/workspaces/{id}/scenarios/{scenario}/versions': {
        get: operation("Every version of a scenario's configuration, newest first", ref('ScenarioVersions'), undefined, [workspaceId, scenarioId]),
      },
      '/api/sync/workspaces/{id}/scenarios/{scenario}/diff': {
        get: operation('What changed between two versions', ref('ScenarioDiff'), undefined, [
          workspaceId,
          scenarioId,
          { name: 'from', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'to', in: 'query', required: false, schema: { type: 'string', default: 'current' } },
        ]),
      },
      '/api/sync/workspaces/{id}/scenarios/{scenario}/restore': {
        post: operation('Put an old version of the configuration back (the current one is kept as a backup)', ref('ScenarioRestore'), 'VersionRestoreRequest', [
          workspaceId,
          scenarioId,
        ]),
      },
      '/api/sync/author': {
        get: operation("Who this root's changes are recorded as", ref('Author')),
        put: operation('Set the name and e-mail on this machine', ref('Author'), 'AuthorUpdate'),
      },
      '/api/sync/archive': {
        get: operation('The archived workspaces, read from the remote (offline: as of the last sync)', ref('ArchiveList'), undefined, [offline]),
      },
      '/api/sync/workspaces/{id}/archive': {
        post: operation(
          'Take a workspace out of sync on every computer; its history stays on the remote under refs/planalign/archive/<id>',
          ref('ArchiveResult'),
          undefined,
          [workspaceId],
        ),
      },
      '/api/sync/workspaces/{id}/unarchive': {
        post: operation('Bring an archived workspace back into sync (id or name, from GET /api/sync/archive)', ref('ArchiveResult'), undefined, [workspaceId]),
      },
      '/api/sync/events': {
        get: {
          summary: 'Progress of running operations (server-sent events: started, progress, finished, failed)',
          responses: { 200: { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
        },
      },
    },
  };
}

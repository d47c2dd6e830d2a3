import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

export const WORKSPACE_STATES = ['synced', 'push_needed', 'pull_available', 'conflict', 'local_only'] as const;
export const WorkspaceState = lazySchema(() => z.enum(WORKSPACE_STATES));
export type WorkspaceState = z.infer<typeof WorkspaceState>;

/** One workspace as people see it: ✓ synced, ↑ N changes, ↓ pull available, ⚠ conflict, ○ local only. */
export const WorkspaceSyncState = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    state: WorkspaceState,
    /** Files changed here and not yet on the remote (uncommitted or committed but not pushed). */
    changes: z.number().int().nonnegative(),
    pull_available: z.boolean(),
    /** false when the workspace is kept out of sync: its files stay on this machine */
    sync_enabled: z.boolean(),
    /**
     * Where it is kept out: `this_computer` (chosen here; the other computers go on syncing it),
     * `every_computer` (a shared setting every computer follows), or null when it syncs.
     */
    excluded_on: z.enum(['this_computer', 'every_computer']).nullable().default(null),
    scenario_count: z.number().int().nonnegative(),
    run_count: z.number().int().nonnegative(),
    last_run_at: z.string().nullable(),
    /** Files of this workspace that could not be read (e.g. half-written JSON). */
    problems: z.array(z.string()),
    /** completed runs whose results (simulation.duckdb) are not on this machine: `sync regenerate` rebuilds them */
    missing_results: z.number().int().nonnegative(),
    /** the branch this machine shows in the workspace's folder; null for its main line */
    branch: z.string().nullable().default(null),
  }),
);
export type WorkspaceSyncState = z.infer<typeof WorkspaceSyncState>;

export const TreeCounts = lazySchema(() =>
  z.object({
    workspaces: z.number().int().nonnegative(),
    scenarios: z.number().int().nonnegative(),
    runs: z.number().int().nonnegative(),
  }),
);
export type TreeCounts = z.infer<typeof TreeCounts>;

/** A remote of this root: origin carries every synced workspace, a team remote only its own. */
export const RemoteInfo = lazySchema(() =>
  z.object({
    name: z.string(),
    url: z.string(),
    branch: z.string(),
    /** the workspaces it carries; null for origin, which carries all */
    workspaces: z.array(z.object({ id: z.string(), name: z.string() })).nullable(),
  }),
);
export type RemoteInfo = z.infer<typeof RemoteInfo>;

export const SyncStatus = lazySchema(() =>
  z.object({
    is_initialized: z.boolean(),
    /** origin's URL; null when the root has no origin (it may still sync through team remotes, see `remotes`) */
    remote_url: z.string().nullable(),
    branch: z.string().nullable(),
    /** every remote this root syncs with: origin, then the team remotes */
    remotes: z.array(RemoteInfo).default([]),
    local_changes: z.number().int().nonnegative(),
    /** commits here the remote does not have; with only team remotes, commits made since the last exchange with each */
    ahead: z.number().int().nonnegative(),
    behind: z.number().int().nonnegative(),
    last_sync: z.string().nullable(),
    conflicts: z.array(z.string()),
    /** false when the remote could not be asked (offline); ahead/behind are then as of the last fetch. */
    remote_reachable: z.boolean().nullable(),
    local: TreeCounts,
    /** what the remote holds (with only team remotes: the workspaces they carry for this root) */
    remote: TreeCounts.nullable(),
    workspaces: z.array(WorkspaceSyncState),
    /** completed runs whose results are not on this machine, over all workspaces */
    missing_results: z.number().int().nonnegative(),
    warnings: z.array(z.string()),
    /** present when the remote refused this computer's credentials (its warning says so): a new access token is needed */
    credentials_refused: z.literal(true).optional(),
  }),
);
export type SyncStatus = z.infer<typeof SyncStatus>;

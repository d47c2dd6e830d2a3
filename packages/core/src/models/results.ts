import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';
import { RemoteInfo, TreeCounts } from './sync-status.js';

/** A file that was not synced this time, and why (too large, unreadable, half-written). */
export const SkippedFile = lazySchema(() =>
  z.object({
    path: z.string(),
    reason: z.string(),
    /** present when the file does not parse yet, most likely because it is still being written: it syncs once it does */
    being_written: z.literal(true).optional(),
  }),
);
export type SkippedFile = z.infer<typeof SkippedFile>;

/** A conflict settled by strategy, with where the losing version was kept. */
export const ResolvedConflict = lazySchema(() =>
  z.object({
    path: z.string(),
    /** `merged`: both sides' edits were kept by a structural merge */
    winner: z.enum(['local', 'remote', 'merged']),
    strategy: z.string(),
    backup: z.string().nullable(),
    /** keys changed differently on both sides (dotted paths), settled by the strategy */
    keys: z.array(z.string()).default([]),
  }),
);
export type ResolvedConflict = z.infer<typeof ResolvedConflict>;

/** A push's deletions that wait for a person: whole workspaces, or too large a share of the files. */
export const DeletionRisk = lazySchema(() =>
  z.object({
    workspaces: z.array(z.object({ id: z.string(), name: z.string() })),
    /** scenarios removed from workspaces that stay, by name */
    scenarios: z.array(z.object({ workspace: z.string(), name: z.string() })).default([]),
    deleted_files: z.number().int().nonnegative(),
    /** files the remote holds now */
    synced_files: z.number().int().nonnegative(),
    percent: z.number().nonnegative(),
    max_delete_percent: z.number().int(),
  }),
);
export type DeletionRisk = z.infer<typeof DeletionRisk>;

/** What a push or pull did with one team remote. */
export const RemoteExchange = lazySchema(() =>
  z.object({
    name: z.string(),
    pushed: z.boolean(),
    /** files of this root changed by what came from it */
    files_changed: z.number().int().nonnegative(),
    /** why it could not sync this time (the other remotes did) */
    error: z.string().nullable(),
  }),
);
export type RemoteExchange = z.infer<typeof RemoteExchange>;

/** What a push or pull did with one workspace branch shared through origin. */
export const BranchExchange = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    branch: z.string(),
    pushed: z.boolean(),
    /** files of the branch changed by what came from the remote */
    files_changed: z.number().int().nonnegative(),
    error: z.string().nullable(),
    /** present when the branch was deleted on the remote and, holding no unshared work, here too */
    removed: z.literal(true).optional(),
  }),
);
export type BranchExchange = z.infer<typeof BranchExchange>;

export const InitResult = lazySchema(() =>
  z.object({
    root: z.string(),
    remote_url: z.string().nullable(),
    branch: z.string(),
    created_repository: z.boolean(),
    /** What was already on the remote and is now here too. */
    from_remote: TreeCounts.nullable(),
    /** files this computer already held and the remote had otherwise, and how each was settled */
    resolved_conflicts: z.array(ResolvedConflict).default([]),
    message: z.string(),
  }),
);
export type InitResult = z.infer<typeof InitResult>;

export const PushResult = lazySchema(() =>
  z.object({
    commit: z.string().nullable(),
    pushed: z.boolean(),
    /** Everything now on the remote, counted. */
    synced: TreeCounts,
    changed_workspaces: z.array(z.string()),
    changed_scenarios: z.array(z.string()),
    files_changed: z.number().int().nonnegative(),
    pulled_first: z.boolean(),
    resolved_conflicts: z.array(ResolvedConflict),
    skipped: z.array(SkippedFile),
    remotes: z.array(RemoteExchange),
    /** workspace branches exchanged with origin */
    branches: z.array(BranchExchange).default([]),
    message: z.string(),
  }),
);
export type PushResult = z.infer<typeof PushResult>;

export const PullResult = lazySchema(() =>
  z.object({
    commit: z.string().nullable(),
    updated_workspaces: z.array(z.string()),
    new_scenarios: z.array(z.string()),
    new_runs: z.number().int().nonnegative(),
    files_changed: z.number().int().nonnegative(),
    committed_local_changes: z.boolean(),
    resolved_conflicts: z.array(ResolvedConflict),
    skipped: z.array(SkippedFile),
    remotes: z.array(RemoteExchange),
    /** workspace branches exchanged with origin */
    branches: z.array(BranchExchange).default([]),
    message: z.string(),
  }),
);
export type PullResult = z.infer<typeof PullResult>;

export const DisconnectResult = lazySchema(() =>
  z.object({
    root: z.string(),
    removed_remote: z.string().nullable(),
    message: z.string(),
  }),
);
export type DisconnectResult = z.infer<typeof DisconnectResult>;

export const WorkspaceSelection = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    /** whether this computer syncs it now */
    sync_enabled: z.boolean(),
    /** where it is kept out: this computer only, every computer (shared setting), or null */
    excluded_on: z.enum(['this_computer', 'every_computer']).nullable(),
    message: z.string(),
  }),
);
export type WorkspaceSelection = z.infer<typeof WorkspaceSelection>;

export const RemoteList = lazySchema(() => z.object({ remotes: z.array(RemoteInfo), message: z.string() }));
export type RemoteList = z.infer<typeof RemoteList>;

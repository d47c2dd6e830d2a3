import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';
import { branchNameProblem } from './branch-name.js';
import { RegenerateSettings } from './regen.js';
import { CONFLICT_STRATEGIES } from './conflict-strategies.js';

export { CONFLICT_STRATEGIES };

export const ConflictStrategy = lazySchema(() => z.enum(CONFLICT_STRATEGIES));
export type ConflictStrategy = z.infer<typeof ConflictStrategy>;

/** Settings of one workspace that override the root's, under `sync.workspaces.<workspace id>`. */
export const WorkspaceSettings = lazySchema(() =>
  z.strictObject({
    /** false: this workspace's files never leave the machine (what is already on the remote stays there) */
    enabled: z.boolean().optional(),
    conflict_strategy: ConflictStrategy.optional(),
    /** false: automatic syncs leave this workspace's changes for a manual push */
    auto_sync: z.boolean().optional(),
  }),
);
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

const BRANCH_NAME = z.string().superRefine((name, context) => {
  const problem = branchNameProblem(name);
  if (problem) context.addIssue({ code: 'custom', message: `not a branch name git accepts: ${problem} (use a name such as "main")` });
});

/** Another remote (a team's), carrying only the workspaces mapped to it; under `sync.remotes.<name>`. */
export const RemoteSettings = lazySchema(() =>
  z.strictObject({
    url: z.string().min(1),
    branch: BRANCH_NAME.default('main'),
    /** ids of the workspaces this remote carries */
    workspaces: z.array(z.string().min(1)).default([]),
  }),
);
export type RemoteSettings = z.infer<typeof RemoteSettings>;

/**
 * A workspace taken out of the shared copy on purpose, under `sync.archived.<workspace id>`: every
 * computer that pulls the removal knows it for an archive, not an accident. Its history stays
 * on the remote under `refs/planalign/archive/<workspace id>`, which points at `commit`.
 */
export const ArchivedWorkspaceSettings = lazySchema(() =>
  z.strictObject({
    name: z.string(),
    archived_at: z.string(),
    /** the last commit that held the workspace */
    commit: z.string().regex(/^[0-9a-f]{40}$/, 'a commit id (40 hexadecimal digits)'),
  }),
);
export type ArchivedWorkspaceSettings = z.infer<typeof ArchivedWorkspaceSettings>;

export const REMOTE_NAME_PATTERN = /^(?!origin$)[a-z0-9][a-z0-9_-]{0,39}$/;

/** The `sync:` map of `.planalign-sync.yaml`. Never holds a secret. */
export const SyncConfig = lazySchema(() =>
  z.strictObject({
    enabled: z.boolean().default(true),
    remote: z.string().min(1).nullable().default(null),
    branch: BRANCH_NAME.default('main'),
    auto_sync: z.boolean().default(false),
    /** Minutes between automatic syncs when auto_sync is on. */
    auto_sync_interval_minutes: z.number().int().min(1).max(1440).default(15),
    include: z.array(z.string().min(1)).default([]),
    exclude: z.array(z.string().min(1)).default([]),
    conflict_strategy: ConflictStrategy.default('last-write-wins'),
    /** Files above this size are left out with a warning rather than uploaded. */
    max_file_size_mb: z.number().positive().max(1024).default(10),
    /** Sync only the newest N runs of each scenario (older ones stay on their machine); null: every run. */
    max_runs_per_scenario: z.number().int().positive().nullable().default(null),
    /** A push that would delete a whole workspace, or more than this share of the synced files, waits for a person to allow it. */
    max_delete_percent: z.number().int().min(1).max(100).default(50),
    /** Team remotes beside `remote`, by name; each carries only its workspaces. */
    remotes: z.record(z.string().regex(REMOTE_NAME_PATTERN, 'a remote name: lowercase letters, digits, "-" or "_", not "origin"'), RemoteSettings).default({}),
    /** Per-workspace overrides, by workspace id. */
    workspaces: z.record(z.string().regex(/^[\w.-]+$/, 'a workspace id (its folder name)'), WorkspaceSettings).default({}),
    /** Workspaces archived (taken out of the shared copy, history kept on the remote), by workspace id. */
    archived: z.record(z.string().regex(/^[\w.-]+$/, 'a workspace id (its folder name)'), ArchivedWorkspaceSettings).optional(),
  }),
);
export type SyncConfig = z.infer<typeof SyncConfig>;

export const SyncSettingsFile = lazySchema(() =>
  z.strictObject({
    version: z.literal(1),
    sync: SyncConfig.default(SyncConfig.parse({})),
    regenerate: RegenerateSettings.default(RegenerateSettings.parse({})),
  }),
);
export type SyncSettingsFile = z.infer<typeof SyncSettingsFile>;

import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';
import { ConflictStrategy } from './sync-config.js';

/** What a pull would do to one workspace. */
export const WorkspacePreview = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    change: z.enum(['added', 'changed', 'removed']),
    scenarios: z.object({ added: z.array(z.string()), changed: z.array(z.string()), removed: z.array(z.string()) }),
    runs: z.object({ added: z.number().int(), changed: z.number().int(), removed: z.number().int() }),
  }),
);
export type WorkspacePreview = z.infer<typeof WorkspacePreview>;

/** A setting changed differently here and on the remote. */
export const KeyDifference = lazySchema(() =>
  z.object({
    /** dotted path of the key, e.g. `workforce.cola_rate` */
    key: z.string(),
    local: z.unknown(),
    remote: z.unknown(),
  }),
);

/** A file a pull would find changed on both sides, and what each strategy would do with it. */
export const ConflictPreview = lazySchema(() =>
  z.object({
    path: z.string(),
    /** the file in people's words: `Workspace › Scenario › scenario.json` */
    label: z.string(),
    /** the keys both sides changed differently; empty for a file compared whole */
    keys: z.array(KeyDifference),
    /** which version each strategy keeps for those keys (the other goes to a backup); `ask-user` stops for a decision */
    outcomes: z.record(ConflictStrategy, z.enum(['local', 'remote', 'ask'])),
    /** the strategy that applies to this file now */
    strategy: ConflictStrategy,
  }),
);
export type ConflictPreview = z.infer<typeof ConflictPreview>;

/** `sync pull --dry-run`: what a pull would bring, fetched but not applied. */
export const PullPreview = lazySchema(() =>
  z.object({
    remote_url: z.string(),
    branch: z.string(),
    /** the remote has nothing this computer lacks */
    up_to_date: z.boolean(),
    /** files changed here and not yet recorded: a pull records them first */
    local_changes: z.number().int().nonnegative(),
    workspaces: z.array(WorkspacePreview),
    /** files outside every workspace that would change (shared settings, a README) */
    other_files: z.number().int().nonnegative(),
    files_changed: z.number().int().nonnegative(),
    conflicts: z.array(ConflictPreview),
    /** files this computer changed in workspaces the remote removed: kept in backups before they go */
    backed_up_before_removal: z.array(z.string()),
    message: z.string(),
  }),
);
export type PullPreview = z.infer<typeof PullPreview>;

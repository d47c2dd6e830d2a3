import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';
import { PullResult } from './results.js';

/** A version kept after a conflict or before a restore, in `.planalign-sync-backups/<id>/`. */
export const BackupInfo = lazySchema(() =>
  z.object({
    id: z.string(),
    path: z.string(),
    side: z.enum(['local', 'remote', 'working-copy']),
    reason: z.string(),
    strategy: z.string().nullable(),
    commit: z.string().nullable(),
    machine: z.string(),
    created_at: z.string(),
    /** names of the workspace and scenario the file belongs to, when it belongs to one (for people, beside the id-based path) */
    workspace_name: z.string().nullable().optional(),
    scenario_name: z.string().nullable().optional(),
    /** whether a file is at its path now (a restore keeps that one in a backup too) */
    file_there_now: z.boolean().optional(),
    /** its workspace is no longer on this computer: a restore brings the workspace back as this computer last had it */
    workspace_gone: z.boolean().optional(),
  }),
);
export type BackupInfo = z.infer<typeof BackupInfo>;

/** The side a person keeps for a file, or for one setting of it. */
export const ConflictSide = lazySchema(() => z.enum(['local', 'remote']));
export type ConflictSide = z.infer<typeof ConflictSide>;

export const OpenConflictInfo = lazySchema(() =>
  z.object({
    path: z.string(),
    workspace: z.string().nullable(),
    /** the scenario's name, for a file of a scenario */
    scenario: z.string().nullable().default(null),
    decision: ConflictSide.nullable(),
    /** sides chosen setting by setting (by key name), when the file's were chosen that way */
    choices: z.record(z.string(), ConflictSide).optional(),
  }),
);
export type OpenConflictInfo = z.infer<typeof OpenConflictInfo>;

export const ConflictList = lazySchema(() =>
  z.object({
    open: z.array(OpenConflictInfo),
    past: z.array(BackupInfo),
  }),
);
export type ConflictList = z.infer<typeof ConflictList>;

export const ConflictDetail = lazySchema(() =>
  z.object({
    path: z.string(),
    open: z.boolean(),
    local: z.string().nullable(),
    remote: z.string().nullable(),
    base: z.string().nullable(),
    /** for JSON and YAML: the keys changed differently on both sides (dotted paths) */
    conflicting_keys: z.array(z.string()),
    /** for JSON and YAML: each key of `conflicting_keys` with its value on each side (absent: the key is not there) */
    differences: z
      .array(
        z.object({
          key: z.string(),
          /** the key's path, segment by segment (array indexes as numbers) */
          path: z.array(z.union([z.string(), z.number()])),
          base: z.unknown().optional(),
          local: z.unknown().optional(),
          remote: z.unknown().optional(),
        }),
      )
      .default([]),
    /** the names of the workspace and scenario the file belongs to, when it belongs to one */
    workspace_name: z.string().nullable().default(null),
    scenario_name: z.string().nullable().default(null),
    backups: z.array(BackupInfo),
  }),
);
export type ConflictDetail = z.infer<typeof ConflictDetail>;

export const ConflictResolution = lazySchema(() =>
  z.object({
    path: z.string(),
    use: z.string(),
    /** files still waiting for a decision */
    pending: z.array(z.string()),
    /** the pull that ran once every file had a decision */
    pull: PullResult.nullable(),
    /** whether the decisions were then sent to the remote, so every computer gets them */
    shared: z.boolean().default(false),
    message: z.string(),
  }),
);
export type ConflictResolution = z.infer<typeof ConflictResolution>;

export const RestoreResult = lazySchema(() =>
  z.object({
    backup: z.string(),
    path: z.string(),
    /** where the version it replaced was kept, if it differed */
    previous_backup: z.string().nullable(),
    /** the name of the workspace brought back with it, when its workspace was gone */
    workspace_restored: z.string().nullable().default(null),
    message: z.string(),
  }),
);
export type RestoreResult = z.infer<typeof RestoreResult>;

/** Files removed on this computer only, written back from the last synced version. */
export const PutBackResult = lazySchema(() =>
  z.object({
    /** how many files were written back */
    files: z.number().int().nonnegative(),
    /** names of the workspaces that had files put back */
    workspaces: z.array(z.string()),
    message: z.string(),
  }),
);
export type PutBackResult = z.infer<typeof PutBackResult>;

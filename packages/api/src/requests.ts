import * as z from 'zod';
import { ConflictStrategy, NextStep, SyncConfig } from '@planalign/sync-core';

/** Request bodies, validated before anything runs; the responses are the core's models. */
export const PushRequest = z.strictObject({
  message: z.string().min(1).max(2000).optional(),
  strategy: ConflictStrategy.optional(),
  /** send deletions of whole workspaces, or of more than max_delete_percent of the files (409 deletions_held without it) */
  allow_delete: z.boolean().optional(),
});

export const PreviewQuery = z.object({
  strategy: ConflictStrategy.optional(),
});

export const PullRequest = z.strictObject({
  strategy: ConflictStrategy.optional(),
});

/** A token to keep for the remote (the set-up form's token field): checked against the remote, then kept, never sent back. */
export const TokenRequest = z.strictObject({
  token: z.string().trim().min(1, 'enter the access token').max(4096, 'too long for an access token'),
  /** the repository's address or a remote's name; default: this root's remote */
  remote: z.string().min(1).max(2000).optional(),
});

/** Which remote's token: its address or name; default: this root's remote. */
export const TokenQuery = z.object({
  remote: z.string().min(1).max(2000).optional(),
});

export const InitRequest = z.strictObject({
  remote: z.string().min(1).max(2000),
  branch: z.string().min(1).max(200).optional(),
});

/**
 * Any subset of the settings; the result is validated as a whole before it is written. The
 * archived workspaces change only by archiving one or bringing one back.
 */
export const ConfigUpdate = SyncConfig.omit({ archived: true }).partial().extend({
  /** moving a root that already syncs to another branch splits it from the other computers: say so to do it */
  confirm_branch_change: z.boolean().optional(),
});

export const ResolveRequest = z.strictObject({
  path: z.string().min(1).max(4096),
  use: z.string().regex(/^(local|remote|backup:[\w.-]+)$/, 'local, remote or backup:<id>'),
  /** a side per setting of a JSON or YAML file, by key name (as the conflict's differences list them); `use` settles the others */
  settings: z.record(z.string().min(1).max(1024), z.enum(['local', 'remote'])).optional(),
});

export const RestoreRequest = z.strictObject({
  backup_id: z.string().regex(/^[\w.-]+$/, 'a backup id from GET /api/sync/conflicts'),
});

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** the exit code the CLI gives the same error */
    exit_code: z.number().int().optional(),
    /** what the error is about: conflicting_files, commits, current/requested/remote_branches, … */
    data: z.record(z.string(), z.unknown()).optional(),
    conflicting_files: z.array(z.string()).optional(),
    /** what the person can do next; each front end words it */
    next: NextStep.optional(),
    /** the request field the error is about */
    field: z.string().optional(),
  }),
});

export const WorkspaceSelectionRequest = z.strictObject({
  sync_enabled: z.boolean(),
  /** false (default): this computer only; true: the shared setting every computer follows */
  everywhere: z.boolean().optional(),
});

export const RegenRequest = z.strictObject({
  workspace: z.string().min(1).max(500).optional(),
  scenario: z.string().min(1).max(500).optional(),
  all_missing: z.boolean().optional(),
});

const BranchName = z.string().min(1).max(63);

export const BranchCreateRequest = z.strictObject({ name: BranchName });

export const BranchMergeRequest = z.strictObject({ strategy: ConflictStrategy.optional() });

export const ImportRequest = z.strictObject({
  /** a sharing link (planalign://import?…) or a remote URL */
  source: z.string().min(1).max(4000),
  workspace: z.string().min(1).max(500).optional(),
  strategy: ConflictStrategy.optional(),
});

export const VersionRestoreRequest = z.strictObject({
  version: z.string().regex(/^[0-9a-fA-F]{4,40}$/, 'a version id from GET …/versions'),
});

export const AuthorUpdate = z.strictObject({
  name: z.string().min(1).max(100),
  email: z.string().min(3).max(200).optional(),
});

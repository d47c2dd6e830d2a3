import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

/** One archived workspace: out of the shared copy, its history kept on the remote under a ref of its own. */
export const ArchivedWorkspace = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    /** when it was archived; null when only the remote's ref records it */
    archived_at: z.string().nullable(),
    /** the last commit that held the workspace, which `unarchive` brings it back from */
    commit: z.string(),
    /** the remote's ref that keeps its history (`refs/planalign/archive/<id>`) */
    ref: z.string(),
    /** counted from the archived commit; null when that commit is not on this computer yet */
    scenarios: z.number().int().nonnegative().nullable(),
    runs: z.number().int().nonnegative().nullable(),
  }),
);
export type ArchivedWorkspace = z.infer<typeof ArchivedWorkspace>;

export const ArchiveList = lazySchema(() =>
  z.object({
    archived: z.array(ArchivedWorkspace),
    /** false when the remote could not be asked: the list is as of the last sync */
    remote_reachable: z.boolean().nullable(),
    message: z.string(),
  }),
);
export type ArchiveList = z.infer<typeof ArchiveList>;

/** What archiving a workspace, or bringing one back, did. */
export const ArchiveResult = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    /** whether the workspace is archived now (true after archive, false after unarchive) */
    archived: z.boolean(),
    /** the shared branch's commit that removed or restored it */
    commit: z.string(),
    /** the last commit that held it */
    archived_commit: z.string(),
    ref: z.string(),
    /** synced files removed from (or written back into) this computer's folder */
    files: z.number().int().nonnegative(),
    /** files that never sync (databases, uploads, logs), left where they were in the workspace's folder here */
    left_in_folder: z.number().int().nonnegative(),
    message: z.string(),
  }),
);
export type ArchiveResult = z.infer<typeof ArchiveResult>;

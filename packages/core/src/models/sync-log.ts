import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

/** `disconnect` comes from PlanAlign's own sync, whose log is brought into this one when a root is taken over. */
export const SyncOperation = lazySchema(() => z.enum(['push', 'pull', 'init', 'conflict', 'disconnect']));
export type SyncOperation = z.infer<typeof SyncOperation>;

/** One line of this root's sync journal (kept in `.git/`, never pushed). */
export const SyncLogEntry = lazySchema(() =>
  z.object({
    timestamp: z.string(),
    operation: SyncOperation,
    /** Names of the workspaces the operation changed. */
    workspaces_affected: z.array(z.string()),
    /** Names of the scenarios the operation changed. */
    scenarios_affected: z.array(z.string()),
    message: z.string(),
    commit: z.string().nullable().default(null),
    /**
     * For `conflict` entries: each file settled (or waiting), by the names people know, so a
     * front end can say it without parsing `message`. Absent in entries written before it existed.
     */
    conflicts: z
      .array(
        z.object({
          path: z.string(),
          workspace: z.string().nullable(),
          scenario: z.string().nullable(),
          /** the settings changed differently on both sides (dotted key paths) */
          keys: z.array(z.string()),
          /** which side's version was kept; `merged`: both sides' edits; null: waiting for a decision */
          kept: z.enum(['local', 'remote', 'merged']).nullable(),
          /** the conflict strategy that decided, null when a person did or it waits */
          strategy: z.string().nullable(),
          /** the backup holding the version that was not kept */
          backup: z.string().nullable(),
        }),
      )
      .optional(),
  }),
);
export type SyncLogEntry = z.infer<typeof SyncLogEntry>;

import * as z from 'zod';

/** `disconnect` comes from PlanAlign's own sync, whose log is brought into this one when a root is taken over. */
export const SyncOperation = z.enum(['push', 'pull', 'init', 'conflict', 'disconnect']);
export type SyncOperation = z.infer<typeof SyncOperation>;

/** One line of this root's sync journal (kept in `.git/`, never pushed). */
export const SyncLogEntry = z.object({
  timestamp: z.string(),
  operation: SyncOperation,
  /** Names of the workspaces the operation changed. */
  workspaces_affected: z.array(z.string()),
  /** Names of the scenarios the operation changed. */
  scenarios_affected: z.array(z.string()),
  message: z.string(),
  commit: z.string().nullable().default(null),
});
export type SyncLogEntry = z.infer<typeof SyncLogEntry>;

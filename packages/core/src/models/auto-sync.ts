import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

/** What automatic sync is doing on this root, for the dashboard and `sync watch`. */
export const AutoSyncState = lazySchema(() =>
  z.object({
    /** a watcher is running on this root (in this process) */
    watching: z.boolean(),
    /** the root's `auto_sync` setting (a workspace's own `auto_sync: true` can run the watcher without it) */
    configured: z.boolean(),
    syncing: z.boolean(),
    interval_minutes: z.number().int().positive(),
    last_run_at: z.string().nullable(),
    /** `held`: the last sync would have deleted too much (see the delete guard) and waits for a person */
    last_outcome: z.enum(['synced', 'offline', 'failed', 'held']).nullable(),
    last_message: z.string().nullable(),
    next_run_at: z.string().nullable(),
    /** the remote was unreachable at the last try; retries back off up to the interval */
    offline: z.boolean(),
    /** why automatic pushes wait for a person (deletions to allow or undo); null when they run */
    held: z.string().nullable().default(null),
  }),
);
export type AutoSyncState = z.infer<typeof AutoSyncState>;

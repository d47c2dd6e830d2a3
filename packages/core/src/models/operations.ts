import type { RegenJob } from './regen.js';

/** The steps of a push or pull, as progress reports name them. */
export type SyncPhase = 'scan' | 'commit' | 'fetch' | 'merge' | 'push' | 'checkout';

/** One progress report of a running operation. */
export interface SyncProgress {
  phase: SyncPhase;
  message: string;
  loaded?: number;
  total?: number;
}

/** The operations that change a root, which the API runs one at a time. */
export type OperationName = 'push' | 'pull' | 'preview' | 'init' | 'resolve' | 'restore' | 'config' | 'branch' | 'merge' | 'import' | 'archive';

/** What the dashboard sees of running operations: the server-sent events of `GET /api/sync/events`. */
export type OperationEvent =
  /** sent first to each new listener: the operation running then, if any */
  | { type: 'hello'; running: OperationName | null }
  | { type: 'started'; operation: OperationName }
  | ({ type: 'progress'; operation: OperationName } & SyncProgress)
  | { type: 'finished'; operation: OperationName; message: string }
  | { type: 'failed'; operation: OperationName; code: string; message: string }
  /** a regeneration job changed (queued, progress, finished) */
  | { type: 'regen'; job: RegenJob };

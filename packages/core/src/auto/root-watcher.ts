import { createRequire } from 'node:module';
import path from 'node:path';
import type { AsyncSubscription } from '@parcel/watcher';
import { BACKUPS_DIR } from '../ignore/gitignore-template.js';
import type { SyncRules } from '../ignore/sync-rules.js';

/**
 * Folders and files the native watcher never looks at: the repository, backups, and the
 * large outputs a simulation writes continuously (a database being written must not wake sync).
 */
const NEVER_WATCHED = [
  '.git',
  BACKUPS_DIR,
  '**/*.duckdb',
  '**/*.duckdb.wal',
  '**/*.wal',
  '**/*.xlsx',
  '**/*.parquet',
  '**/*.csv',
  '**/*.log',
  '**/*.tmp',
  '**/seeds',
  '**/dbt_project',
  '*/data',
  '*/imports',
];

/** Paths (root-relative, forward slashes) of synced files that changed. */
export type ChangeListener = (paths: string[]) => void;

/**
 * Watches a workspaces root and reports changes to files that sync carries, in batches;
 * everything the sync rules leave out is dropped before it reaches the listener.
 */
export async function watchRoot(root: string, rules: () => SyncRules, onChanges: ChangeListener, onError: (error: Error) => void): Promise<AsyncSubscription> {
  // The native watcher is loaded when a watch starts, not by every command that never watches;
  // by require, as the command line's bundle can load nothing with import() (see its bundle.mjs).
  const { subscribe } = createRequire(import.meta.url)('@parcel/watcher') as typeof import('@parcel/watcher');
  return subscribe(
    root,
    (error, events) => {
      if (error) return onError(error);
      const current = rules();
      const paths = events
        .map((event) => path.relative(root, event.path).split(path.sep).join('/'))
        .filter((relative) => relative && !relative.startsWith('..') && current.syncsFile(relative));
      if (paths.length > 0) onChanges([...new Set(paths)]);
    },
    { ignore: NEVER_WATCHED },
  );
}

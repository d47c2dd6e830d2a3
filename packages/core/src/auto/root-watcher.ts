import path from 'node:path';
import type { AsyncSubscription, Event } from '@parcel/watcher';
import { holdsUnwatchedFolder, loadNativeWatcher } from '../fs/native-watcher.js';
import { BACKUPS_DIR } from '../ignore/gitignore-template.js';
import type { SyncRules } from '../ignore/sync-rules.js';
import { walkSyncedFiles } from '../workspace/file-scan.js';

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
 *
 * A folder made several levels at once may be left unwatched (see holdsUnwatchedFolder), and a
 * run's results written there later would never wake sync. The watch then starts over, which
 * covers every folder there is, and the new folders' synced files are reported once it has:
 * the sync that follows scans the whole root, so nothing made in between is missed either.
 */
export async function watchRoot(root: string, rules: () => SyncRules, onChanges: ChangeListener, onError: (error: Error) => void): Promise<AsyncSubscription> {
  const { subscribe } = loadNativeWatcher();
  const relativeOf = (absolute: string) => path.relative(root, absolute).split(path.sep).join('/');
  let current: AsyncSubscription | null = null;
  let stopped = false;
  let restarting: Promise<void> | null = null;
  let unwatched: string[] = [];

  const report = (paths: Set<string>) => {
    if (paths.size > 0) onChanges([...paths]);
  };
  const onEvents = (events: Event[]) => {
    const rulesNow = rules();
    const paths = new Set<string>();
    const created = new Set(events.filter((event) => event.type === 'create').map((event) => relativeOf(event.path)));
    for (const event of events) {
      const relative = relativeOf(event.path);
      if (!relative || relative.startsWith('..')) continue;
      if (rulesNow.syncsFile(relative)) paths.add(relative);
      if (event.type === 'create' && holdsUnwatchedFolder(root, relative, created)) unwatched.push(relative);
    }
    report(paths);
    if (unwatched.length > 0) restart();
  };

  const start = async () => {
    current = await subscribe(
      root,
      (error, events) => {
        if (stopped) return;
        if (error) return onError(error);
        onEvents(events);
      },
      { ignore: NEVER_WATCHED },
    );
  };
  // One subscription at a time: the native watcher shares the watches of subscriptions on the same folder.
  const restart = () => {
    restarting ??= (async () => {
      // Folders found unwatched while this restart runs are covered by it too: it has not listed them yet.
      await current?.unsubscribe().catch(() => undefined);
      current = null;
      if (stopped) return;
      await start();
      const folders = unwatched;
      unwatched = [];
      const rulesNow = rules();
      const paths = new Set<string>();
      for (const folder of folders) {
        const found = await walkSyncedFiles(root, folder, rulesNow, Number.MAX_SAFE_INTEGER).catch(() => null);
        for (const file of found?.files.keys() ?? []) paths.add(file);
      }
      report(paths);
    })()
      .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        restarting = null;
        // found while the walk above ran: they need a watch that lists them
        if (unwatched.length > 0 && !stopped) restart();
      });
  };

  await start();
  return {
    unsubscribe: async () => {
      stopped = true;
      await restarting;
      await current?.unsubscribe();
      current = null;
    },
  };
}

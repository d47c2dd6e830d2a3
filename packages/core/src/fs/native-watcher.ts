import { createRequire } from 'node:module';

/**
 * @parcel/watcher, the native file watcher, loaded when a watch starts rather than by every
 * command that never watches. By require: the command line's bundle can load nothing outside
 * it with import() (see packages/cli/bundle.mjs).
 */
export function loadNativeWatcher(): typeof import('@parcel/watcher') {
  return createRequire(import.meta.url)('@parcel/watcher') as typeof import('@parcel/watcher');
}

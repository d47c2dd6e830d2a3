/**
 * Everything the commands do, loaded only once a command runs: `--help`, `--version` and a
 * mistyped command line never load the core.
 */
export * as sync from './sync-actions.js';
export * as team from './team-actions.js';
export * as archive from './archive-actions.js';
export * as auth from './auth-actions.js';

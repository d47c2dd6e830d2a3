export * from './sync-config.js';
export * from './sync-status.js';
export * from './sync-log.js';
export * from './results.js';
export * from './planalign.js';
export * from './conflicts.js';
export * from './auto-sync.js';
export * from './regen.js';

export * from './errors.js';
export * from './models/index.js';
export { resolveWorkspacesRoot } from './config/root.js';
export { readSettings, writeSettings, parseSettings, SETTINGS_FILE } from './config/settings-file.js';
export { assertRemoteUrlIsSafe, redactUrl, httpsEquivalent } from './git/remote-url.js';
export { GENERATED_RULES, mergeGitignore, BACKUPS_DIR } from './ignore/gitignore-template.js';
export { compileSyncRules, type SyncRules } from './ignore/sync-rules.js';
export { scanSyncedFiles } from './workspace/file-scan.js';
export { SyncService, type SyncProgress, type SyncPhase, type SyncServiceOptions } from './sync/sync-service.js';

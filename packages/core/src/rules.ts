/**
 * `@planalign/sync-core/rules`: the rules a browser applies too, so the dashboard checks what
 * people type exactly as the CLI and the API will, and the fixed vocabularies a front end names
 * before it loads the rest of the core (the command line's `--help` loads only this entry).
 * Only small modules without Node built-ins, Node-only packages or zod belong here: the
 * dashboard bundles this entry.
 */
export { branchNameProblem, workspaceBranchNameProblem, WORKSPACE_BRANCH_NAME_MAX_LENGTH, type WorkspaceBranchNameProblem } from './models/branch-name.js';
export { remoteKind, remoteUrlProblem, redactUrl, urlHasPassword, type RemoteKind, type RemoteUrlProblem } from './models/remote-url.js';
export { buildShareLink, isShareLink, readShareSource, type SharedWorkspace, type ShareSourceProblem } from './models/share-link.js';
export { CONFLICT_STRATEGIES } from './models/conflict-strategies.js';
export { EXIT_CODES } from './exit-codes.js';

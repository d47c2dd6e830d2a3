/**
 * `@planalign/sync-core/rules`: the rules a browser applies too, so the dashboard checks what
 * people type exactly as the CLI and the API will. Only modules without Node built-ins or
 * Node-only packages belong here: the dashboard bundles this entry.
 */
export { branchNameProblem, workspaceBranchNameProblem, WORKSPACE_BRANCH_NAME_MAX_LENGTH, type WorkspaceBranchNameProblem } from './models/branch-name.js';
export { remoteKind, remoteUrlProblem, redactUrl, urlHasPassword, type RemoteKind, type RemoteUrlProblem } from './models/remote-url.js';
export { buildShareLink, isShareLink, readShareSource, type SharedWorkspace, type ShareSourceProblem } from './models/share-link.js';

import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';
import { ResolvedConflict } from './results.js';

/** Who made a change, from the commit's author (Git identity, or the name set with `init --author`). */
export const Author = lazySchema(() =>
  z.object({
    name: z.string(),
    email: z.string(),
  }),
);
export type Author = z.infer<typeof Author>;

/** One line of a workspace: `main` (the root's synced branch) or a what-if branch. */
export const WorkspaceBranch = lazySchema(() =>
  z.object({
    name: z.string(),
    /** the line this machine shows in the workspace's folder */
    current: z.boolean(),
    /** where the branch is: only here, only on the remote (a teammate's), or both */
    where: z.enum(['local', 'remote', 'both']),
    /** commits of the branch not yet on the remote */
    ahead: z.number().int().nonnegative(),
    commit: z.string().nullable(),
    /** the last change to this workspace on the branch */
    last_changed_by: Author.nullable(),
    last_changed_at: z.string().nullable(),
    last_message: z.string().nullable(),
  }),
);
export type WorkspaceBranch = z.infer<typeof WorkspaceBranch>;

export const BranchList = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    workspace_name: z.string(),
    current: z.string(),
    branches: z.array(WorkspaceBranch),
    /** false when the remote could not be asked: remote branches are as of the last sync */
    remote_reachable: z.boolean().nullable(),
    message: z.string(),
  }),
);
export type BranchList = z.infer<typeof BranchList>;

/** What switching, creating or merging a branch did. */
export const BranchResult = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    workspace_name: z.string(),
    branch: z.string(),
    /** files of the workspace folder rewritten */
    files_changed: z.number().int().nonnegative(),
    resolved_conflicts: z.array(ResolvedConflict),
    message: z.string(),
  }),
);
export type BranchResult = z.infer<typeof BranchResult>;

/** A sharing link: the remote (never with a secret in it), its branch and one workspace. */
export const ShareLink = lazySchema(() =>
  z.object({
    link: z.string(),
    remote_url: z.string(),
    branch: z.string(),
    workspace_id: z.string(),
    workspace_name: z.string(),
    /** whether the remote already has the workspace (otherwise push first) */
    on_remote: z.boolean(),
    message: z.string(),
  }),
);
export type ShareLink = z.infer<typeof ShareLink>;

export const ImportResult = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    workspace_name: z.string(),
    /** the remote of this root it now syncs through: origin or a team remote */
    remote: z.string(),
    /** true when the workspace was already here and the two were merged */
    merged: z.boolean(),
    files_changed: z.number().int().nonnegative(),
    resolved_conflicts: z.array(ResolvedConflict),
    message: z.string(),
  }),
);
export type ImportResult = z.infer<typeof ImportResult>;

/** One change to a workspace, from history (every machine's, as merged here). */
export const WorkspaceChange = lazySchema(() =>
  z.object({
    commit: z.string(),
    author: Author,
    timestamp: z.string(),
    message: z.string(),
    files_changed: z.number().int().nonnegative(),
    scenarios: z.array(z.object({ id: z.string(), name: z.string() })),
  }),
);
export type WorkspaceChange = z.infer<typeof WorkspaceChange>;

export const Contributor = lazySchema(() =>
  z.object({
    author: Author,
    changes: z.number().int().nonnegative(),
    first_change_at: z.string(),
    last_change_at: z.string(),
    scenarios: z.array(z.object({ id: z.string(), name: z.string() })),
  }),
);
export type Contributor = z.infer<typeof Contributor>;

export const WorkspaceHistory = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    workspace_name: z.string(),
    branch: z.string(),
    contributors: z.array(Contributor),
    changes: z.array(WorkspaceChange),
  }),
);
export type WorkspaceHistory = z.infer<typeof WorkspaceHistory>;

/** One version of a scenario's configuration (its scenario.json settings and YAML files). */
export const ScenarioVersion = lazySchema(() =>
  z.object({
    /** short id of the commit that made this version; what diff and restore take */
    version: z.string(),
    commit: z.string(),
    author: Author,
    timestamp: z.string(),
    message: z.string(),
    files: z.array(z.string()),
    current: z.boolean(),
  }),
);
export type ScenarioVersion = z.infer<typeof ScenarioVersion>;

export const ScenarioVersions = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    scenario_id: z.string(),
    scenario_name: z.string(),
    versions: z.array(ScenarioVersion),
  }),
);
export type ScenarioVersions = z.infer<typeof ScenarioVersions>;

/** A setting that differs between two versions (dotted key path inside a JSON or YAML file). */
export const ConfigChange = lazySchema(() =>
  z.object({
    file: z.string(),
    key: z.string(),
    kind: z.enum(['added', 'removed', 'changed']),
    before: z.unknown(),
    after: z.unknown(),
  }),
);
export type ConfigChange = z.infer<typeof ConfigChange>;

export const ScenarioDiff = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    scenario_id: z.string(),
    from: z.string(),
    to: z.string(),
    changes: z.array(ConfigChange),
    /** a unified diff of each file that changed, for people who read diffs */
    patch: z.string(),
  }),
);
export type ScenarioDiff = z.infer<typeof ScenarioDiff>;

export const ScenarioRestore = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    scenario_id: z.string(),
    version: z.string(),
    files_restored: z.array(z.string()),
    /** backups of the versions replaced, for `planalign sync conflicts restore` */
    backups: z.array(z.string()),
    message: z.string(),
  }),
);
export type ScenarioRestore = z.infer<typeof ScenarioRestore>;

/** The scenarios of a workspace as this machine has them. */
export const ScenarioList = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    workspace_name: z.string(),
    scenarios: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        status: z.string().nullable(),
        last_run_at: z.string().nullable(),
      }),
    ),
  }),
);
export type ScenarioList = z.infer<typeof ScenarioList>;
